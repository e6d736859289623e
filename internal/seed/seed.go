package seed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/waba"
)

// Options say how much to seed.
type Options struct {
	// Chats is how many new customers to create, each with one chat.
	Chats int
	// Messages is how many messages to spread over those chats (every chat
	// gets at least one while there are enough).
	Messages int
	// Users is how many agent users (agent01, agent02, ...) reply to
	// customers and have chats assigned; existing agents of those names
	// are reused. Zero means replies without a sender.
	Users int
	// Span is how far back the history reaches; zero means 180 days.
	Span time.Duration
	// Now is when the history ends; zero means the current time.
	Now time.Time
	// Seed makes the generated content repeatable (wamids are random
	// regardless); zero means 1.
	Seed uint64
	// Progress receives a progress bar and a line per step; nil means
	// silence.
	Progress io.Writer
}

// Result says what was seeded.
type Result struct {
	// WaIDs are the new customers' wa_ids, in creation order.
	WaIDs []string
	// AgentIDs are the agents' user ids.
	AgentIDs []int64
	// Messages is how many messages were inserted.
	Messages int
	// Marks is how many received marks were inserted.
	Marks int
	// Elapsed is the whole run, ANALYZE included.
	Elapsed time.Duration
}

// Rows per COPY batch, and the number of COPY streams when seeding next to
// existing messages. There each batch commits on its own: one transaction
// for a million rows would hold back every reader of the event log (see
// the schema's notes on the xid horizon) for the whole run.
const (
	copyBatch   = 10_000
	copyStreams = 2
)

// Seed adds opt.Chats customers with their chats and opt.Messages messages
// to the database behind pool (already migrated), then VACUUM ANALYZEs the
// tables it filled. It only adds rows. Into an empty messages table it
// loads in bulk, locking that table until it commits (bulkLoad); otherwise
// it can run next to a live wamux, and an interrupted run leaves the
// batches it committed, with chats whose last message is not linked yet.
func Seed(ctx context.Context, pool *pgxpool.Pool, opt Options) (Result, error) {
	if opt.Chats < 1 || opt.Messages < 0 || opt.Users < 0 {
		return Result{}, errors.New("seed: need at least one chat and no negative counts")
	}
	if opt.Span <= 0 {
		opt.Span = 180 * 24 * time.Hour
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	start := time.Now()
	s := &seeder{
		pool: pool,
		opt:  opt,
		r:    rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)),
		now:  opt.Now.Unix(),
		log:  opt.Progress,
	}
	var res Result
	var err error
	if res.AgentIDs, s.groupID, err = s.ensureAgents(ctx); err != nil {
		return res, err
	}
	s.agents = res.AgentIDs
	if err := s.newCustomers(ctx); err != nil {
		return res, err
	}
	s.plan()
	if err := s.insertCustomers(ctx); err != nil {
		return res, err
	}
	for _, c := range s.customers {
		res.WaIDs = append(res.WaIDs, c.waID)
	}
	note(s.log, "%d customers and chats, %d agents", len(s.customers), len(s.agents))
	if res.Messages, err = s.insertMessages(ctx); err != nil {
		return res, err
	}
	if err := s.linkLastMessages(ctx, res.WaIDs); err != nil {
		return res, err
	}
	if res.Marks, err = s.insertMarks(ctx); err != nil {
		return res, err
	}
	t := time.Now()
	// VACUUM, not only ANALYZE: it sets the visibility map (index-only
	// scans count new messages per chat) and empties the trigram index's
	// pending list, as autovacuum would soon after a real import.
	if _, err := pool.Exec(ctx, "VACUUM (ANALYZE) persons, chats, messages, received_marks"); err != nil {
		return res, fmt.Errorf("seed: vacuum analyze: %w", err)
	}
	note(s.log, "VACUUM ANALYZE in %s", time.Since(t).Round(time.Millisecond))
	res.Elapsed = time.Since(start)
	return res, nil
}

type seeder struct {
	pool    *pgxpool.Pool
	opt     Options
	r       *rand.Rand
	now     int64
	log     io.Writer
	agents  []int64
	groupID int64

	customers []customer
	// msgs is the planned history, oldest first.
	msgs []planned
}

type customer struct {
	waID, name, first string
	assignedUser      *int64
	assignedGroup     *int64
	// first and last message, last inbound message (unix seconds, 0: none)
	firstTs, lastTs, lastInTs int64
}

type planned struct {
	ts   int64
	chat int32
	out  bool
}

// ensureAgents creates (or finds) the agent users, members of the
// built-in "Regular user" group, and returns their ids and that group's.
func (s *seeder) ensureAgents(ctx context.Context) ([]int64, int64, error) {
	var groupID int64
	if err := s.pool.QueryRow(ctx, "SELECT id FROM groups WHERE role = 'user'").Scan(&groupID); err != nil {
		return nil, 0, fmt.Errorf("seed: find the regular users' group: %w", err)
	}
	if s.opt.Users == 0 {
		return nil, groupID, nil
	}
	var names, firsts, lasts []string
	for i := range s.opt.Users {
		names = append(names, fmt.Sprintf("agent%02d", i+1))
		firsts = append(firsts, firstNames[(i*7)%len(firstNames)])
		lasts = append(lasts, lastNames[(i*5)%len(lastNames)])
	}
	// Token-only users (no password), active at once, as an admin would
	// create and activate them.
	_, err := s.pool.Exec(ctx, `
INSERT INTO users (username, first_name, last_name, role, is_active)
SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), 'user', true
ON CONFLICT ((lower(username))) DO NOTHING`, names, firsts, lasts)
	if err != nil {
		return nil, 0, fmt.Errorf("seed: create agents: %w", err)
	}
	rows, err := s.pool.Query(ctx, "SELECT id FROM users WHERE lower(username) = ANY($1::text[]) ORDER BY id", names)
	if err != nil {
		return nil, 0, fmt.Errorf("seed: find agents: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, 0, fmt.Errorf("seed: find agents: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `
INSERT INTO group_members (group_id, user_id) SELECT $1, unnest($2::bigint[])
ON CONFLICT DO NOTHING`, groupID, ids); err != nil {
		return nil, 0, fmt.Errorf("seed: add agents to their group: %w", err)
	}
	return ids, groupID, nil
}

// newCustomers draws opt.Chats customers whose numbers are not in the
// database yet.
func (s *seeder) newCustomers(ctx context.Context) error {
	taken := map[string]bool{}
	var fresh []string
	for len(fresh) < s.opt.Chats {
		id := waID(s.r)
		if !taken[id] {
			taken[id] = true
			fresh = append(fresh, id)
		}
	}
	// A second seed into the same database must not collide with the
	// first one's customers; a few rounds settle it.
	for round := 0; ; round++ {
		rows, err := s.pool.Query(ctx, "SELECT wa_id FROM persons WHERE wa_id = ANY($1::text[])", fresh)
		if err != nil {
			return fmt.Errorf("seed: look for existing customers: %w", err)
		}
		existing, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("seed: look for existing customers: %w", err)
		}
		if len(existing) == 0 {
			break
		}
		if round == 10 {
			return errors.New("seed: could not draw enough new customer numbers")
		}
		clash := map[string]bool{}
		for _, id := range existing {
			clash[id] = true
		}
		for i, id := range fresh {
			if !clash[id] {
				continue
			}
			for taken[id] {
				id = waID(s.r)
			}
			taken[id] = true
			fresh[i] = id
		}
	}
	s.customers = make([]customer, len(fresh))
	for i, id := range fresh {
		c := &s.customers[i]
		c.waID = id
		c.name, c.first = profileName(s.r)
		if len(s.agents) > 0 {
			switch u := s.r.Float64(); {
			case u < 0.35:
				a := s.agents[s.r.IntN(len(s.agents))]
				c.assignedUser = &a
				if s.r.IntN(2) == 0 {
					c.assignedGroup = &s.groupID
				}
			case u < 0.45:
				c.assignedGroup = &s.groupID
			}
		}
	}
	return nil
}

// plan lays out the whole history: how many messages each chat gets (a
// long tail: most chats are short, a few very long), in conversations of a
// few messages at random moments of the span, the customer usually
// opening and an agent answering within minutes.
func (s *seeder) plan() {
	n, total := len(s.customers), s.opt.Messages
	counts := make([]int, n)
	cum := make([]float64, n)
	acc := 0.0
	for i := range n {
		acc += math.Exp(1.2 * s.r.NormFloat64())
		cum[i] = acc
	}
	rest := total
	if total >= n {
		for i := range counts {
			counts[i] = 1
		}
		rest -= n
	}
	for range rest {
		i, _ := slices.BinarySearch(cum, s.r.Float64()*acc)
		counts[min(i, n-1)]++
	}

	span := int64(s.opt.Span / time.Second)
	s.msgs = make([]planned, 0, total)
	for ci, k := range counts {
		// The customer's first contact; conversations happen after it.
		first := s.now - 3600 - s.r.Int64N(max(span-3600, 1))
		for k > 0 {
			size := min(k, 1+int(s.r.ExpFloat64()*5))
			k -= size
			ts := first + s.r.Int64N(max(s.now-first-600, 1))
			out := s.r.Float64() < 0.15
			for range size {
				if ts >= s.now {
					ts = s.now - 1 - s.r.Int64N(60)
				}
				s.msgs = append(s.msgs, planned{ts: ts, chat: int32(ci), out: out})
				if s.r.Float64() < 0.65 {
					out = !out
					ts += 5 + int64(s.r.ExpFloat64()*90)
				} else {
					ts += 2 + s.r.Int64N(30)
				}
			}
		}
	}
	slices.SortStableFunc(s.msgs, func(a, b planned) int { return cmp.Compare(a.ts, b.ts) })
	for _, m := range s.msgs {
		c := &s.customers[m.chat]
		if c.firstTs == 0 {
			c.firstTs = m.ts
		}
		c.lastTs = m.ts
		if !m.out {
			c.lastInTs = m.ts
		}
	}
}

// insertCustomers writes persons and chats. COPY needs no SQL beyond the
// tables' and columns' names; the chats' last_message_id is linked once
// their messages exist.
func (s *seeder) insertCustomers(ctx context.Context) error {
	now := time.Unix(s.now, 0).UTC()
	persons := make([][]any, len(s.customers))
	chats := make([][]any, len(s.customers))
	for i, c := range s.customers {
		payload := appendJSONString([]byte(`{"profile":{"name":`), c.name)
		payload = appendJSONString(append(payload, `},"wa_id":`...), c.waID)
		payload = append(payload, '}')
		created, lastAt, lastIn := now, any(nil), any(nil)
		if c.firstTs != 0 {
			created = time.Unix(c.firstTs, 0).UTC()
			lastAt = time.Unix(c.lastTs, 0).UTC()
		}
		if c.lastInTs != 0 {
			lastIn = time.Unix(c.lastInTs, 0).UTC()
		}
		persons[i] = []any{c.waID, c.name, payload, inbox.Initials(c.name), lastIn, created, created}
		chats[i] = []any{c.waID, c.assignedUser, c.assignedGroup, lastAt, created, created}
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"persons"},
			[]string{"wa_id", "profile_name", "waba_payload", "initials", "last_message_at", "created_at", "updated_at"},
			pgx.CopyFromRows(persons)); err != nil {
			return fmt.Errorf("seed: copy persons: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"chats"},
			[]string{"wa_id", "assigned_user_id", "assigned_group_id", "last_message_at", "created_at", "updated_at"},
			pgx.CopyFromRows(chats)); err != nil {
			return fmt.Errorf("seed: copy chats: %w", err)
		}
		return nil
	})
}

var messageColumns = []string{
	"wamid", "chat_wa_id", "from_us", "sender_id", "type", "waba_payload", "body_text",
	"sent_at", "delivered_at", "read_at", "failed_at", "status_errors", "ts", "created_at",
}

// failedErrors is the `errors` of a failed status as the Cloud API sends it.
var failedErrors = []byte(`[{"code":131026,"title":"Message undeliverable","message":"Message undeliverable","error_data":{"details":"Message could not be delivered to the recipient."}}]`)

// insertMessages streams the planned history in COPY batches, generating
// rows while earlier batches are copied. Into an empty messages table it
// loads in bulk (bulkLoad); otherwise over copyStreams connections, each
// batch committing on its own.
func (s *seeder) insertMessages(ctx context.Context) (int, error) {
	if len(s.msgs) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, copyStreams)
	go func() {
		defer close(batches)
		s.generate(ctx, batches)
	}()
	// Whatever happens, let the generator finish.
	defer func() {
		cancel()
		for range batches {
		}
	}()

	bar := newProgress(s.log, len(s.msgs), "messages")
	n, bulk, err := s.bulkLoad(ctx, batches, bar)
	if !bulk && err == nil {
		n, err = s.streamLoad(ctx, batches, bar)
	}
	if err != nil {
		if s.log != nil {
			fmt.Fprintln(s.log)
		}
		return n, err
	}
	if n < len(s.msgs) {
		return n, fmt.Errorf("seed: only %d of %d messages were generated: %w", n, len(s.msgs), context.Cause(ctx))
	}
	return n, nil
}

// streamLoad copies batches over copyStreams connections at once, each
// batch in its own transaction, so that it can run next to a live wamux.
func (s *seeder) streamLoad(ctx context.Context, batches <-chan [][]any, bar *progress) (int, error) {
	var (
		mu       sync.Mutex
		inserted int
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range copyStreams {
		wg.Go(func() {
			for rows := range batches {
				if ctx.Err() != nil {
					continue
				}
				n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"messages"}, messageColumns, pgx.CopyFromRows(rows))
				mu.Lock()
				inserted += int(n)
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("seed: copy messages: %w", err)
					cancel()
				}
				bar.update(inserted)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return inserted, firstErr
	}
	bar.done()
	return inserted, nil
}

// bulkLoad loads every batch in one transaction when the messages table is
// empty, the way pg_restore does: it drops the table's secondary indexes
// (those no constraint owns) and foreign keys, copies, and makes them again
// from their own definitions before committing. Building an index once is
// several times cheaper than maintaining it row by row, and checking a
// foreign key once (one join) than row by row (one lookup per row).
// Measured here for 200,000 messages: 12 s with everything in place, 1.6 s
// with the primary key alone; the trigram index then builds in 3.8 s.
// Being one transaction, a failure leaves the schema as it was; while it
// runs it locks the messages table, which is why it only runs on an empty
// one. It reports bulk=false, having changed nothing, when the table has
// rows.
func (s *seeder) bulkLoad(ctx context.Context, batches <-chan [][]any, bar *progress) (n int, bulk bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("seed: begin: %w", err)
	}
	defer func() {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) && err == nil {
			err = fmt.Errorf("seed: rollback: %w", rbErr)
		}
	}()
	// Sized for one index build at a time on a developer machine.
	if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '512MB'"); err != nil {
		return 0, false, fmt.Errorf("seed: %w", err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return 0, false, fmt.Errorf("seed: lock messages: %w", err)
	}
	var empty bool
	if err := tx.QueryRow(ctx, "SELECT NOT EXISTS (SELECT 1 FROM messages)").Scan(&empty); err != nil {
		return 0, false, fmt.Errorf("seed: look at messages: %w", err)
	}
	if !empty {
		return 0, false, nil
	}
	// What the load does without: the secondary indexes (those no
	// constraint owns) and the foreign keys, with the statements that make
	// them again.
	rows, err := tx.Query(ctx, `
SELECT 'DROP INDEX ' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid), c.relname
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'messages'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
UNION ALL
SELECT 'ALTER TABLE messages DROP CONSTRAINT ' || quote_ident(k.conname),
       'ALTER TABLE messages ADD CONSTRAINT ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid),
       k.conname
FROM pg_constraint k
WHERE k.conrelid = 'messages'::regclass AND k.contype = 'f'`)
	if err != nil {
		return 0, true, fmt.Errorf("seed: list the indexes and foreign keys of messages: %w", err)
	}
	type deferred struct{ drop, create, name string }
	later, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (deferred, error) {
		var d deferred
		return d, r.Scan(&d.drop, &d.create, &d.name)
	})
	if err != nil {
		return 0, true, fmt.Errorf("seed: list the indexes and foreign keys of messages: %w", err)
	}
	for _, d := range later {
		if _, err := tx.Exec(ctx, d.drop); err != nil {
			return 0, true, fmt.Errorf("seed: drop %s for the load: %w", d.name, err)
		}
	}
	for rows := range batches {
		c, err := tx.CopyFrom(ctx, pgx.Identifier{"messages"}, messageColumns, pgx.CopyFromRows(rows))
		n += int(c)
		if err != nil {
			return n, true, fmt.Errorf("seed: copy messages: %w", err)
		}
		bar.update(n)
	}
	if err := ctx.Err(); err != nil {
		return n, true, err
	}
	bar.done()
	for _, d := range later {
		t := time.Now()
		if _, err := tx.Exec(ctx, d.create); err != nil {
			return n, true, fmt.Errorf("seed: make %s again: %w", d.name, err)
		}
		note(s.log, "%s made in %s", d.name, time.Since(t).Round(time.Millisecond))
	}
	if err := tx.Commit(ctx); err != nil {
		return n, true, fmt.Errorf("seed: commit: %w", err)
	}
	return n, true, nil
}

// generate turns the plan into COPY rows, in batches of copyBatch.
func (s *seeder) generate(ctx context.Context, batches chan<- [][]any) {
	t := newTexter(s.r)
	batch := make([][]any, 0, copyBatch)
	var payload []byte
	for i, m := range s.msgs {
		c := &s.customers[m.chat]
		ts := time.Unix(m.ts, 0).UTC()
		body := t.body(!m.out, c.first)
		row := make([]any, len(messageColumns))
		row[1], row[2], row[4], row[6], row[12], row[13] = c.waID, m.out, "text", inbox.SearchText(body), ts, ts
		payload = payload[:0]
		if !m.out {
			wamid := waba.NewInboundMessageID(c.waID)
			// As the provider sends it (the keys in Meta's order).
			payload = appendJSONString(append(payload, `{"from":`...), c.waID)
			payload = appendJSONString(append(payload, `,"id":`...), wamid)
			payload = appendJSONString(append(payload, `,"timestamp":`...), strconv.FormatInt(m.ts, 10))
			payload = appendJSONString(append(payload, `,"type":"text","text":{"body":`...), body)
			payload = append(payload, "}}"...)
			row[0] = wamid
		} else {
			wamid := waba.NewOutboundMessageID(c.waID)
			// As wamux stores what it sent: the provider request plus id
			// and timestamp.
			payload = appendJSONString(append(payload, `{"id":`...), wamid)
			payload = appendJSONString(append(payload, `,"recipient_type":"individual","text":{"body":`...), body)
			payload = append(append(payload, `},"timestamp":`...), strconv.FormatInt(m.ts, 10)...)
			payload = appendJSONString(append(payload, `,"to":`...), c.waID)
			payload = append(payload, `,"type":"text"}`...)
			row[0] = wamid
			if len(s.agents) > 0 && s.r.Float64() < 0.9 {
				row[3] = s.agents[s.r.IntN(len(s.agents))]
			}
			s.statuses(row, m.ts)
		}
		row[5] = slices.Clone(payload)
		batch = append(batch, row)
		if len(batch) == copyBatch || i == len(s.msgs)-1 {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return
			}
			batch = make([][]any, 0, copyBatch)
		}
	}
}

// statuses fills the status columns of an outgoing message sent at ts: 1%
// failed, the rest delivered within seconds and mostly read within an
// hour, none of it later than now.
func (s *seeder) statuses(row []any, ts int64) {
	at := func(sec int64) any {
		if sec > s.now {
			return nil
		}
		return time.Unix(sec, 0).UTC()
	}
	row[7] = at(ts)
	if s.r.Float64() < 0.01 {
		row[10], row[11] = at(ts+2), failedErrors
		if row[10] == nil {
			row[11] = nil
		}
		return
	}
	delivered := ts + 1 + s.r.Int64N(20)
	row[8] = at(delivered)
	if row[8] != nil && s.r.Float64() < 0.8 {
		row[9] = at(delivered + 5 + int64(s.r.ExpFloat64()*1200))
	}
}

// linkLastMessages points each new chat at its newest message, the way the
// inbound path keeps it (ts, then id, newest first), and counts its
// incoming messages (chats.incoming_count).
func (s *seeder) linkLastMessages(ctx context.Context, waIDs []string) error {
	t := time.Now()
	for lo := 0; lo < len(waIDs); lo += copyBatch {
		chunk := waIDs[lo:min(lo+copyBatch, len(waIDs))]
		_, err := s.pool.Exec(ctx, `
UPDATE chats c SET last_message_id = l.id, last_message_at = l.ts, updated_at = l.ts,
    incoming_count = (SELECT count(*) FROM messages m WHERE m.chat_wa_id = w.wa_id AND NOT m.from_us)
FROM unnest($1::text[]) AS w(wa_id)
CROSS JOIN LATERAL (
    SELECT m.id, m.ts FROM messages m WHERE m.chat_wa_id = w.wa_id ORDER BY m.ts DESC, m.id DESC LIMIT 1
) AS l
WHERE c.wa_id = w.wa_id`, chunk)
		if err != nil {
			return fmt.Errorf("seed: link chats' last messages: %w", err)
		}
	}
	note(s.log, "chats linked to their last messages in %s", time.Since(t).Round(time.Millisecond))
	return nil
}

// insertMarks gives every active user a received mark in about 60% of the
// new chats: mostly at the customer's newest message (nothing new), else
// hours or days before it (a few new messages).
func (s *seeder) insertMarks(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, "SELECT id FROM users WHERE is_active ORDER BY id")
	if err != nil {
		return 0, fmt.Errorf("seed: list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("seed: list users: %w", err)
	}
	var marks [][]any
	for _, u := range users {
		for _, c := range s.customers {
			if c.lastInTs == 0 || s.r.Float64() >= 0.6 {
				continue
			}
			until := c.lastInTs
			if s.r.Float64() >= 0.7 {
				until -= 3600 + s.r.Int64N(5*24*3600)
			}
			marks = append(marks, []any{u, c.waID, time.Unix(until, 0).UTC()})
		}
	}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"received_marks"}, []string{"user_id", "chat_wa_id", "received_until"}, pgx.CopyFromRows(marks)); err != nil {
		return 0, fmt.Errorf("seed: copy received marks: %w", err)
	}
	note(s.log, "%d received marks for %d users", len(marks), len(users))
	return len(marks), nil
}

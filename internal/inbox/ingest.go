package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/storage"
	"github.com/wamux/wamux/internal/waba"
)

// Event kinds of the event log (the CHECK of events.kind lists them all).
const (
	EventIncomingMessage = "incoming_message"
	EventOutgoingMessage = "outgoing_message"
	EventStatus          = "status"
	EventProviderError   = "provider_error"
)

// MediaRegistrar records inbound media so that messages can link to wamux's
// own copy; internal/media implements it.
type MediaRegistrar interface {
	// EnsureInbound records a provider media id (idempotently) inside the
	// inbound transaction and returns wamux's id for it.
	EnsureInbound(ctx context.Context, q *db.Queries, providerMediaID, mimeType, sha256, filename string) (uuid.UUID, error)
	// URL is the public link of a media id.
	URL(id uuid.UUID) string
	// Kick wakes the background fetcher after new media were recorded.
	Kick()
	// ProviderID returns the provider's id for a wamux media id, uploading
	// the file to the provider first when needed.
	ProviderID(ctx context.Context, id uuid.UUID) (string, error)
}

// Ingest stores one provider notification in one transaction: persons and
// chats upserted, messages inserted idempotently on the provider's message
// id, statuses applied (or kept until their message arrives), and an event
// appended for everything new. It returns only after the commit, so a 200
// to the provider means the notification is durable; a replay changes
// nothing and appends no event.
func (s *Service) Ingest(ctx context.Context, n *waba.Notification) error {
	return s.ingestOn(ctx, s.pool, n)
}

// maxIngestAttempts bounds the retries of a transaction that PostgreSQL
// aborted to resolve a deadlock or a serialization failure.
const maxIngestAttempts = 5

// ingestOn is Ingest over pool (the committer's writers have their own).
// A transaction aborted by a deadlock (40P01) or a serialization failure
// (40001) changed nothing and is run again: concurrent writers lock in a
// fixed order (see the queries), so this is the last resort for orders no
// query controls, and such an abort never reaches the provider as a 5xx.
func (s *Service) ingestOn(ctx context.Context, pool *pgxpool.Pool, n *waba.Notification) error {
	if len(n.Messages)+len(n.Statuses)+len(n.Errors) == 0 {
		return nil
	}
	tx, newMedia, err := s.ingestUncommitted(ctx, pool, n)
	if err != nil {
		return err
	}
	return s.commitIngested(ctx, tx, newMedia)
}

// commitIngested commits a transaction of ingestUncommitted and, when it
// recorded new media, wakes the media fetcher.
func (s *Service) commitIngested(ctx context.Context, tx *storage.PipelinedTx, newMedia bool) error {
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if newMedia && s.media != nil {
		s.media.Kick()
	}
	return nil
}

// ingestUncommitted runs n's statements in a transaction of its own and
// returns it open: the committer commits it while it already runs the next
// batch's statements (see Committer). The transaction's BEGIN goes with its
// first statement (storage.PipelinedTx): one round trip fewer per batch on
// the writers' critical path. Deadlocks and serialization failures are
// retried as in ingestOn. On an error nothing is left open.
func (s *Service) ingestUncommitted(ctx context.Context, pool *pgxpool.Pool, n *waba.Notification) (*storage.PipelinedTx, bool, error) {
	for attempt := 1; ; attempt++ {
		tx, err := storage.BeginPipelined(ctx, pool)
		if err != nil {
			return nil, false, fmt.Errorf("begin: %w", err)
		}
		newMedia, err := s.ingest(ctx, db.New(tx), n)
		if err == nil {
			return tx, newMedia, nil
		}
		rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = tx.Rollback(rbCtx)
		cancel()
		if !retryable(err) || attempt == maxIngestAttempts || ctx.Err() != nil {
			return nil, false, err
		}
		s.logger.WarnContext(ctx, "inbound transaction aborted; running it again", "attempt", attempt, "error", err)
	}
}

func (s *Service) ingest(ctx context.Context, q *db.Queries, n *waba.Notification) (newMedia bool, err error) {
	ev := &eventBatch{}
	contacts := make(map[string]waba.Contact, len(n.Contacts))
	for _, c := range n.Contacts {
		contacts[c.WaID] = c
	}

	if len(n.Messages) > 0 {
		fresh, err := s.ingestMessages(ctx, q, n, contacts)
		if err != nil {
			return false, err
		}
		newMedia = fresh
	}

	if len(n.Statuses) > 0 {
		if err := applyStatuses(ctx, q, n.Statuses, ev); err != nil {
			return false, err
		}
	}
	for _, e := range n.Errors {
		ev.add(EventProviderError, "", 0, map[string]json.RawMessage{"error": e})
	}
	if err := ev.flush(ctx, q); err != nil {
		return false, err
	}
	return newMedia, nil
}

type insertedMessage struct {
	id     int64
	wamid  string
	chatID string
	ts     time.Time
}

func inserted2(rows []db.MessagesInsertRow) []insertedMessage {
	out := make([]insertedMessage, len(rows))
	for i, r := range rows {
		out[i] = insertedMessage{id: r.ID, wamid: r.Wamid, chatID: r.ChatWaID, ts: r.Ts}
	}
	return out
}

// afterInsert moves the chats' newest message forward and applies the
// statuses that arrived before their message.
func afterInsert(ctx context.Context, q *db.Queries, rows []insertedMessage) error {
	if len(rows) == 0 {
		return nil
	}
	touch := db.ChatsTouchLastMessageParams{}
	wamids := make([]string, len(rows))
	for i, r := range rows {
		touch.ChatWaIds = append(touch.ChatWaIds, r.chatID)
		touch.Ids = append(touch.Ids, r.id)
		touch.Tss = append(touch.Tss, r.ts)
		wamids[i] = r.wamid
	}
	if err := q.ChatsTouchLastMessage(ctx, touch); err != nil {
		return fmt.Errorf("update chats' last message: %w", err)
	}
	pending, err := q.PendingStatusesTake(ctx, wamids)
	if err != nil {
		return fmt.Errorf("take pending statuses: %w", err)
	}
	return applyWaiting(ctx, q, pending)
}

// applyWaiting applies the statuses that waited for messages just stored
// (taken out of message_statuses_pending); their events were appended when
// they arrived.
func applyWaiting(ctx context.Context, q *db.Queries, waiting []db.PendingStatusesTakeRow) error {
	if len(waiting) == 0 {
		return nil
	}
	p := db.MessageStatusesApplyParams{}
	for _, st := range waiting {
		p.Wamids = append(p.Wamids, st.Wamid)
		p.Statuses = append(p.Statuses, st.Status)
		p.Ats = append(p.Ats, st.At)
		p.Errors = append(p.Errors, orNull(st.Errors))
	}
	if _, err := q.MessageStatusesApply(ctx, p); err != nil {
		return fmt.Errorf("apply pending statuses: %w", err)
	}
	return nil
}

// applyStatuses records statuses on their messages, keeps those of unknown
// messages for later, and appends an event for each status seen for the
// first time.
//
// A status may arrive while the send of its message is still storing it
// (the provider answers the send, then reports "sent" at once): this
// transaction does not see that message yet, and the send's transaction
// did not see a pending status either, so the status would wait forever.
// Both sides therefore take a lock per message id before deciding (here
// for every status, in Send for the message it stores): whichever comes
// second sees what the first committed. The locks are taken first, in one
// statement and in key order: one cheap statement per batch. (Locking only
// the statuses that found no message and looking those up again cost a
// second lookup per unknown message; the bench's statuses run, two thirds
// of them for unknown messages, measured 2,942 req/s that way and 4,374
// this way, back to back on the same machine, with the usual spread.)
func applyStatuses(ctx context.Context, q *db.Queries, statuses []waba.Status, ev *eventBatch) error {
	wamids := make([]string, len(statuses))
	for i, st := range statuses {
		wamids[i] = st.ID
	}
	if err := q.StatusWamidsLock(ctx, wamids); err != nil {
		return fmt.Errorf("lock the messages of the statuses: %w", err)
	}
	emitted := map[statusKey]bool{}
	missing, err := applyKnown(ctx, q, statuses, ev, emitted)
	if err != nil || len(missing) == 0 {
		return err
	}
	pend := db.PendingStatusesInsertParams{}
	for _, st := range missing {
		pend.Wamids = append(pend.Wamids, st.ID)
		pend.Statuses = append(pend.Statuses, st.Status)
		pend.Ats = append(pend.Ats, posix(st.Timestamp))
		pend.Errors = append(pend.Errors, orNull(st.Errors))
		pend.Payloads = append(pend.Payloads, st.Raw)
	}
	fresh, err := q.PendingStatusesInsert(ctx, pend)
	if err != nil {
		return fmt.Errorf("keep pending statuses: %w", err)
	}
	freshSet := make(map[statusKey]bool, len(fresh))
	for _, f := range fresh {
		freshSet[statusKey{f.Wamid, f.Status}] = true
	}
	for _, st := range missing {
		k := statusKey{st.ID, st.Status}
		if freshSet[k] && !emitted[k] {
			emitted[k] = true
			ev.add(EventStatus, st.RecipientID, 0, map[string]json.RawMessage{"status": st.Raw})
		}
	}
	return nil
}

type statusKey struct{ wamid, status string }

// applyKnown applies statuses to the messages that exist, appends an event
// for each status new to its message (once, by emitted), and returns the
// statuses whose message it did not find.
func applyKnown(ctx context.Context, q *db.Queries, statuses []waba.Status, ev *eventBatch, emitted map[statusKey]bool) ([]waba.Status, error) {
	p := db.MessageStatusesApplyParams{}
	for _, st := range statuses {
		p.Wamids = append(p.Wamids, st.ID)
		p.Statuses = append(p.Statuses, st.Status)
		p.Ats = append(p.Ats, posix(st.Timestamp))
		p.Errors = append(p.Errors, orNull(st.Errors))
	}
	applied, err := q.MessageStatusesApply(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("apply statuses: %w", err)
	}
	known := make(map[string]db.MessageStatusesApplyRow, len(applied))
	for _, r := range applied {
		known[r.Wamid] = r
	}
	var missing []waba.Status
	for _, st := range statuses {
		r, ok := known[st.ID]
		if !ok {
			missing = append(missing, st)
			continue
		}
		k := statusKey{st.ID, st.Status}
		if isNewStatus(r, st.Status) && !emitted[k] {
			emitted[k] = true
			ev.add(EventStatus, r.ChatWaID, r.ID, map[string]json.RawMessage{"status": st.Raw})
		}
	}
	return missing, nil
}

func isNewStatus(r db.MessageStatusesApplyRow, status string) bool {
	switch status {
	case "sent":
		return r.NewSent
	case "delivered":
		return r.NewDelivered
	case "read":
		return r.NewRead
	case "failed":
		return r.NewFailed
	case "played":
		return r.NewPlayed
	case "deleted":
		return r.NewDeleted
	}
	return false
}

// ingestMessages stores the customers' messages of n with MessagesIngest
// (one statement: persons, messages, chats, events) and applies the
// statuses that arrived before their message. It reports whether it
// recorded new media.
func (s *Service) ingestMessages(ctx context.Context, q *db.Queries, n *waba.Notification, contacts map[string]waba.Contact) (newMedia bool, err error) {
	p := db.MessagesIngestParams{}
	addPersons(&p, n, contacts)
	seen := make(map[string]bool, len(n.Messages))
	for _, m := range n.Messages {
		if seen[m.ID] {
			continue // a provider retry grouped with its original: one row, one event
		}
		seen[m.ID] = true
		// raw is the event's message where it differs from the payload
		// stored; JSON null: the same.
		payload, raw := m.Raw, json.RawMessage("null")
		if m.Media != nil && m.Media.ID != "" && s.media != nil {
			id, err := s.media.EnsureInbound(ctx, q, m.Media.ID, m.Media.MimeType, m.Media.SHA256, m.Media.Filename)
			if err != nil {
				return false, fmt.Errorf("record media of %s: %w", m.ID, err)
			}
			newMedia = true
			if payload, err = linkMedia(m.Raw, m.Type, id.String(), s.media.URL(id)); err != nil {
				return false, fmt.Errorf("link media of %s: %w", m.ID, err)
			}
			raw = m.Raw
		}
		p.Wamids = append(p.Wamids, m.ID)
		p.ChatWaIds = append(p.ChatWaIds, m.From)
		p.Types = append(p.Types, m.Type)
		p.Payloads = append(p.Payloads, payload)
		p.Contexts = append(p.Contexts, orNull(m.Context))
		p.BodyTexts = append(p.BodyTexts, SearchText(m.Text))
		p.Tss = append(p.Tss, posix(m.Timestamp))
		p.Raws = append(p.Raws, raw)
	}
	rows, err := q.MessagesIngest(ctx, p)
	if err != nil {
		return false, fmt.Errorf("store messages: %w", err)
	}
	waiting := make([]db.PendingStatusesTakeRow, len(rows))
	for i, r := range rows {
		waiting[i] = db.PendingStatusesTakeRow(r)
	}
	return newMedia, applyWaiting(ctx, q, waiting)
}

// addPersons adds the senders of n's messages to p, sorted by wa_id (a
// fixed lock order: concurrent notifications never deadlock on them), each
// with the time of its newest message and, when n has it, its profile.
func addPersons(p *db.MessagesIngestParams, n *waba.Notification, contacts map[string]waba.Contact) {
	latest := map[string]int64{}
	for _, m := range n.Messages {
		if m.Timestamp > latest[m.From] {
			latest[m.From] = m.Timestamp
		}
	}
	ids := make([]string, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c, ok := contacts[id]
		ok = ok && len(c.Raw) > 0
		payload := json.RawMessage(`{}`)
		if ok {
			payload = c.Raw
		}
		p.PersonWaIds = append(p.PersonWaIds, id)
		p.ProfileNames = append(p.ProfileNames, c.ProfileName)
		p.PersonPayloads = append(p.PersonPayloads, payload)
		p.Initials = append(p.Initials, Initials(c.ProfileName))
		p.LastMessageAts = append(p.LastMessageAts, posix(latest[id]))
		p.HasContacts = append(p.HasContacts, ok)
	}
}

// Initials are the first letters of the first two words of a name
// ("Konrad Tester" -> "KT"), shown when a contact has no avatar.
func Initials(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(unicode.ToUpper(r))
				break
			}
		}
		if b.Len() > 0 && len([]rune(b.String())) == 2 {
			break
		}
	}
	return b.String()
}

// linkMedia points a message's media object at wamux's copy: its `id`
// becomes wamux's media id and `link` wamux's URL, as the reference shows;
// every other field stays as the provider sent it.
func linkMedia(raw json.RawMessage, msgType, id, link string) (json.RawMessage, error) {
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(raw, &msg); err != nil {
		return nil, err
	}
	key := msgType
	if _, ok := msg[key]; !ok {
		return raw, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(msg[key], &obj); err != nil {
		return raw, nil // not an object: leave it as sent
	}
	obj["id"], _ = json.Marshal(id)
	obj["link"], _ = json.Marshal(link)
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	msg[key] = b
	return json.Marshal(msg)
}

// retryable reports whether err is PostgreSQL aborting a transaction that
// succeeds when run again: a deadlock victim or a serialization failure.
func retryable(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

func posix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func orNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("null")
	}
	return r
}

// eventBatch collects events to append with one statement.
type eventBatch struct {
	p db.EventsAppendParams
}

func (b *eventBatch) add(kind, chatWaID string, messageID int64, payload any) {
	raw, err := json.Marshal(payload)
	if err != nil {
		raw = []byte(`{}`) // payloads are built from valid JSON; cannot happen
	}
	b.p.Kinds = append(b.p.Kinds, kind)
	b.p.ChatWaIds = append(b.p.ChatWaIds, chatWaID)
	b.p.MessageIds = append(b.p.MessageIds, messageID)
	b.p.Payloads = append(b.p.Payloads, raw)
}

func (b *eventBatch) flush(ctx context.Context, q *db.Queries) error {
	if len(b.p.Kinds) == 0 {
		return nil
	}
	if err := q.EventsAppend(ctx, b.p); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}

package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/ownership"
)

// queryCounter counts the queries of a pool by their sqlc name.
type queryCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if name, ok := strings.CutPrefix(d.SQL, "-- name: "); ok {
		name, _, _ = strings.Cut(name, " ")
		c.mu.Lock()
		c.n[name]++
		c.mu.Unlock()
	}
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *queryCounter) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

func (c *queryCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
}

// sqlAssigner assigns chats with a plain UPDATE and records each call: the
// engine's decisions, without ownership's event rendering.
type sqlAssigner struct {
	pool  *pgxpool.Pool
	mu    sync.Mutex
	calls []string
}

func (a *sqlAssigner) Assign(ctx context.Context, _ *inbox.Viewer, waID string, c ownership.AssignmentChange, _ json.RawMessage) (ownership.Assignment, error) {
	a.mu.Lock()
	a.calls = append(a.calls, waID)
	a.mu.Unlock()
	out := ownership.Assignment{WaID: waID}
	err := a.pool.QueryRow(ctx, `UPDATE chats SET
  assigned_user_id = CASE WHEN $2 THEN $3 ELSE assigned_user_id END,
  assigned_group_id = CASE WHEN $4 THEN $5 ELSE assigned_group_id END
WHERE wa_id = $1 RETURNING assigned_user_id, assigned_group_id`,
		waID, c.User.Set, c.User.ID, c.Group.Set, c.Group.ID).Scan(&out.UserID, &out.GroupID)
	out.Event = &ownership.AssignmentEvent{ChatWaID: waID}
	return out, err
}

func (a *sqlAssigner) assigned() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

type batchEnv struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	queries  *queryCounter
	assigner *sqlAssigner
	engine   *Engine
	bot      int64
	group    int64
}

func newBatchEnv(t *testing.T) *batchEnv {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(dbtest.URL(t))
	require.NoError(t, err)
	qc := &queryCounter{n: map[string]int{}}
	cfg.ConnConfig.Tracer = qc
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	e := &batchEnv{t: t, ctx: ctx, pool: pool, queries: qc, assigner: &sqlAssigner{pool: pool}}
	svc := New(Config{Pool: pool, Logger: slog.New(slog.DiscardHandler), Assigner: e.assigner, Presenter: wamidPresenter{}, AllowPrivate: true})
	e.engine = NewEngine(svc, EngineOptions{Replica: "test"})
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO users (username, role, is_active) VALUES ('bot', 'app', true) RETURNING id`).Scan(&e.bot))
	require.NoError(t, pool.QueryRow(ctx, `SELECT id FROM groups ORDER BY id LIMIT 1`).Scan(&e.group))
	return e
}

// chat creates a chat, assigned to group when it is not nil.
func (e *batchEnv) chat(waID string, group *int64) {
	_, err := e.pool.Exec(e.ctx, `INSERT INTO persons (wa_id, profile_name) VALUES ($1, 'Customer')`, waID)
	require.NoError(e.t, err)
	_, err = e.pool.Exec(e.ctx, `INSERT INTO chats (wa_id, assigned_group_id) VALUES ($1, $2)`, waID, group)
	require.NoError(e.t, err)
}

// incoming appends an incoming message event of waID to the log.
func (e *batchEnv) incoming(waID string) {
	payload := fmt.Sprintf(`{"contact": {"wa_id": %q}, "message": {"id": "wamid.%s.%d", "from": %q}}`, waID, waID, time.Now().UnixNano(), waID)
	_, err := e.pool.Exec(e.ctx, `INSERT INTO events (kind, chat_wa_id, payload) VALUES ('incoming_message', $1, $2)`, waID, payload)
	require.NoError(e.t, err)
}

func (e *batchEnv) freshRule() {
	_, err := e.pool.Exec(e.ctx, `INSERT INTO rules (position, assign_to_user) VALUES (0, $1)`, e.bot)
	require.NoError(e.t, err)
}

// evaluate reads the whole log as one batch and evaluates it with the
// default engine, counting its queries.
func (e *batchEnv) evaluate() {
	rows, err := e.engine.q.RuleEngineEvents(e.ctx, db.RuleEngineEventsParams{AllPayloads: true, CursorXid: "0", CursorID: 0, Lim: 100})
	require.NoError(e.t, err)
	require.NotEmpty(e.t, rows)
	e.queries.reset()
	e.engine.evaluateBatch(e.ctx, claim{mode: ModeDefault}, rows)
}

func (e *batchEnv) assignment(waID string) (user, group *int64) {
	require.NoError(e.t, e.pool.QueryRow(e.ctx, `SELECT assigned_user_id, assigned_group_id FROM chats WHERE wa_id = $1`, waID).Scan(&user, &group))
	return user, group
}

// A batch reads the assignments of all its chats in one query, and a chat
// the batch assigned is no longer fresh for its next messages.
func TestBatchReadsChatsOnce(t *testing.T) {
	e := newBatchEnv(t)
	e.freshRule()
	e.chat("4911", nil)
	e.chat("4922", &e.group) // assigned: not fresh
	e.chat("4933", nil)
	for _, c := range []string{"4911", "4922", "4911", "4933", "4911", "4999"} { // 4999: no chat (pruned)
		e.incoming(c)
	}
	e.evaluate()

	require.Equal(t, 1, e.queries.count("RuleChatAssignments"))
	require.Equal(t, 0, e.queries.count("RuleChatAssignment"), "no chat read on its own")
	require.ElementsMatch(t, []string{"4911", "4933"}, e.assigner.assigned(), "each fresh chat assigned once")
	for _, c := range []string{"4911", "4933"} {
		u, g := e.assignment(c)
		require.Equal(t, &e.bot, u)
		require.Nil(t, g)
	}
	u, g := e.assignment("4922")
	require.Nil(t, u)
	require.Equal(t, &e.group, g)

	// Evaluated again (a crash before the position moved): nothing is
	// fresh any more, nothing is assigned twice.
	e.evaluate()
	require.Len(t, e.assigner.assigned(), 2)
}

// Without a rule for fresh messages, incoming messages cost no query.
func TestBatchWithoutFreshRuleReadsNothing(t *testing.T) {
	e := newBatchEnv(t)
	e.chat("4911", nil)
	e.incoming("4911")
	e.evaluate()
	require.Equal(t, 0, e.queries.count("RuleChatAssignments")+e.queries.count("RuleChatAssignment"))
	require.Empty(t, e.assigner.assigned())
}

// A batch reading older than the TTL is read again, chat by chat: a chat
// assigned by someone else meanwhile is not fresh.
func TestChatStatesExpire(t *testing.T) {
	e := newBatchEnv(t)
	e.chat("4911", nil)
	cs := newChatStates(time.Minute)
	now := time.Now()
	cs.now = func() time.Time { return now }
	rows, err := e.engine.q.RuleChatAssignments(e.ctx, []string{"4911", "4999"})
	require.NoError(t, err)
	cs.load([]string{"4911", "4999"}, rows)

	_, err = e.pool.Exec(e.ctx, `UPDATE chats SET assigned_group_id = $1 WHERE wa_id = '4911'`, e.group)
	require.NoError(t, err)
	st, found, err := e.engine.chatState(e.ctx, cs, "4911")
	require.NoError(t, err)
	require.True(t, found)
	require.True(t, st.fresh(), "within the TTL the batch's reading stands")
	_, found, err = e.engine.chatState(e.ctx, cs, "4999")
	require.NoError(t, err)
	require.False(t, found, "a chat missing from the reading does not exist")

	now = now.Add(time.Minute)
	e.queries.reset()
	st, found, err = e.engine.chatState(e.ctx, cs, "4911")
	require.NoError(t, err)
	require.True(t, found)
	require.False(t, st.fresh(), "past the TTL the chat is read again")
	require.Equal(t, 1, e.queries.count("RuleChatAssignment"))

	// What the engine assigned itself is known; a failed assignment is read again.
	cs.set("4911", chatState{exists: true, user: &e.bot})
	st, _, _ = e.engine.chatState(e.ctx, cs, "4911")
	require.Equal(t, &e.bot, st.user)
	cs.forget("4911")
	e.queries.reset()
	_, _, err = e.engine.chatState(e.ctx, cs, "4911")
	require.NoError(t, err)
	require.Equal(t, 1, e.queries.count("RuleChatAssignment"))
}

// Events after the position: whatever the horizon, the engine looks again
// soon when the log has any.
func TestEventsAfterPosition(t *testing.T) {
	e := newBatchEnv(t)
	above := func(xid string, id int64) bool {
		v, err := e.engine.q.RuleEngineEventsAboveHorizon(e.ctx, db.RuleEngineEventsAboveHorizonParams{CursorXid: xid, CursorID: id})
		require.NoError(t, err)
		return v
	}
	require.False(t, above("0", 0), "empty log")
	e.incoming("4911")
	e.incoming("4911")
	var xids []string
	var ids []int64
	rows, err := e.pool.Query(e.ctx, `SELECT xid::text, id FROM events ORDER BY xid, id`)
	require.NoError(t, err)
	for rows.Next() {
		var x string
		var id int64
		require.NoError(t, rows.Scan(&x, &id))
		xids, ids = append(xids, x), append(ids, id)
	}
	require.NoError(t, rows.Err())
	require.Len(t, ids, 2)
	require.True(t, above("0", 0))
	require.True(t, above(xids[0], ids[0]), "the second event is after the first")
	require.False(t, above(xids[1], ids[1]), "nothing after the last")
}

// A busy engine claims once: each batch's advance renews the lease and
// hands the next batch the configuration and the position; an idle step
// claims again, so a configuration changed meanwhile is seen.
func TestBusyEngineClaimsOnce(t *testing.T) {
	e := newBatchEnv(t)
	e.freshRule()
	e.chat("4911", nil)
	e.chat("4922", nil)
	step := func() time.Duration {
		wait, err := e.engine.step(e.ctx)
		require.NoError(t, err)
		return wait
	}
	position := func() int64 {
		var id int64
		require.NoError(t, e.pool.QueryRow(e.ctx, `SELECT cursor_id FROM rule_engine WHERE leased_by = 'test' AND lease_expires_at > now()`).Scan(&id))
		return id
	}
	e.incoming("4911")
	e.queries.reset()
	require.Zero(t, step())
	require.Equal(t, 1, e.queries.count("RuleEngineClaim"))
	require.Equal(t, 1, e.queries.count("RuleEngineAdvance"))
	first := position()

	e.incoming("4922")
	e.queries.reset()
	require.Zero(t, step())
	require.Equal(t, 0, e.queries.count("RuleEngineClaim"), "the advance of the batch before was the claim")
	require.Equal(t, 1, e.queries.count("RuleEngineAdvance"))
	require.Greater(t, position(), first)
	require.ElementsMatch(t, []string{"4911", "4922"}, e.assigner.assigned())

	_, err := e.pool.Exec(e.ctx, `UPDATE rule_engine SET mode = 'custom', url = 'http://127.0.0.1:9/' WHERE id = 1`)
	require.NoError(t, err)
	e.queries.reset()
	require.Positive(t, step(), "idle")
	require.Equal(t, 0, e.queries.count("RuleEngineClaim"), "still the advance's")
	e.queries.reset()
	require.Positive(t, step())
	require.Equal(t, 1, e.queries.count("RuleEngineClaim"), "after an idle step the engine claims")

	// A held claim older than a third of the lease is not used.
	e.engine.held, e.engine.heldAt = &claim{mode: ModeDefault}, time.Now().Add(-e.engine.opts.LeaseTTL)
	e.queries.reset()
	st, ok, err := e.engine.claim(e.ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, ModeCustom, st.mode)
	require.Equal(t, 1, e.queries.count("RuleEngineClaim"))
}

// wamidPresenter shows a message by its wamid and text only: the custom
// engine of these tests reads nothing else.
type wamidPresenter struct{}

func (wamidPresenter) Messages(msgs []inbox.Message) []api.Message {
	out := make([]api.Message, len(msgs))
	for i, m := range msgs {
		out[i] = api.Message{Id: m.Wamid}
	}
	return out
}

// message stores an incoming message of waID and appends its event.
func (e *batchEnv) message(waID, wamid string) {
	var id int64
	require.NoError(e.t, e.pool.QueryRow(e.ctx, `INSERT INTO messages (wamid, chat_wa_id, from_us, type, waba_payload, ts)
VALUES ($1, $2, false, 'text', '{}', date_trunc('second', now())) RETURNING id`, wamid, waID).Scan(&id))
	payload := fmt.Sprintf(`{"contact": {"wa_id": %q}, "message": {"id": %q, "from": %q}}`, waID, wamid, waID)
	_, err := e.pool.Exec(e.ctx, `INSERT INTO events (kind, chat_wa_id, message_id, payload) VALUES ('incoming_message', $1, $2, $3)`, waID, id, payload)
	require.NoError(e.t, err)
}

// With the custom engine a batch reads its chats and its messages once,
// and an answer naming the message of the payload needs no look-up.
func TestCustomBatchReadsMessagesOnce(t *testing.T) {
	e := newBatchEnv(t)
	engine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Incoming []struct {
				ID string `json:"id"`
			} `json:"incoming_messages"`
		}
		b, _ := io.ReadAll(r.Body)
		require.NoError(t, json.Unmarshal(b, &in))
		out := []map[string]any{}
		for _, m := range in.Incoming {
			out = append(out, map[string]any{"message_id": m.ID, "user": e.bot})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"assignment": out})
	}))
	t.Cleanup(engine.Close)
	e.chat("4911", nil)
	e.chat("4922", &e.group) // not fresh: no call
	e.chat("4933", nil)
	e.message("4911", "wamid.A")
	e.message("4922", "wamid.B")
	e.message("4933", "wamid.C")
	e.message("4911", "wamid.D") // the chat is the bot's by then: no call

	rows, err := e.engine.q.RuleEngineEvents(e.ctx, db.RuleEngineEventsParams{AllPayloads: true, CursorXid: "0", CursorID: 0, Lim: 100})
	require.NoError(t, err)
	e.queries.reset()
	e.engine.evaluateBatch(e.ctx, claim{mode: ModeCustom, url: engine.URL, timeout: 5 * time.Second}, rows)

	require.ElementsMatch(t, []string{"4911", "4933"}, e.assigner.assigned())
	require.Equal(t, 1, e.queries.count("RuleChatAssignments"))
	require.Equal(t, 1, e.queries.count("RuleEngineMessages"))
	require.Equal(t, 0, e.queries.count("RuleChatAssignment")+e.queries.count("RuleMessageByWamid"))
	u, _ := e.assignment("4933")
	require.Equal(t, &e.bot, u)
}

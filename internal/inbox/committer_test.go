package inbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/storage"
	"github.com/wamux/wamux/internal/waba"
)

// startCommitter runs a committer with writers writers on its own pool, as
// serve does, until the test ends.
func startCommitter(t *testing.T, svc *inbox.Service, url string, writers int) *inbox.Committer {
	t.Helper()
	wpool, err := storage.OpenGeneric(context.Background(), url, inbox.ConnsPerWriter*writers)
	require.NoError(t, err)
	c := inbox.NewCommitter(inbox.CommitterConfig{Service: svc, Pool: wpool, Writers: writers, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { c.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped; wpool.Close() })
	return c
}

func textMessage(wamid, from string, ts int64) waba.Message {
	return waba.Message{ID: wamid, From: from, Timestamp: ts, Type: "text", Text: "hi " + wamid,
		Raw: []byte(fmt.Sprintf(`{"id":%q,"from":%q,"type":"text","text":{"body":"hi"}}`, wamid, from))}
}

// Many requests at once into few chats, through several writers: every
// request commits, nothing is lost or doubled, each chat's last message is
// its newest, and a chat's events are in the order of its messages (a
// chat's requests go through one writer, one transaction after another).
func TestCommitterWritersKeepEveryMessageAndEachChatsOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	svc := inbox.New(inbox.Config{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	c := startCommitter(t, svc, url, 3)

	const senders, perSender, chats = 24, 25, 12
	base := time.Now().Add(-time.Hour).Unix()
	var wg sync.WaitGroup
	errs := make(chan error, senders*perSender)
	for s := range senders {
		wg.Go(func() {
			for i := range perSender {
				chat := fmt.Sprint("4915550", (s+i)%chats)
				m := textMessage(fmt.Sprintf("wamid.s%d.%d", s, i), chat, base+int64(i))
				n := &waba.Notification{
					Contacts: []waba.Contact{{WaID: chat, ProfileName: "Customer " + chat, Raw: []byte(`{"profile":{"name":"x"}}`)}},
					Messages: []waba.Message{m},
				}
				if err := c.Ingest(ctx, n); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	var messages, events int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM messages`).Scan(&messages))
	require.Equal(t, senders*perSender, messages)
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'incoming_message'`).Scan(&events))
	require.Equal(t, senders*perSender, events, "one event per message")
	assertLastMessages(t, pool, chats)

	// Per chat, the log's order (xid, id) is the order of the message ids.
	var disordered int
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT count(*) FROM (
			SELECT message_id < lag(message_id) OVER (PARTITION BY chat_wa_id ORDER BY xid, id) AS back
			FROM events WHERE kind = 'incoming_message') x
		WHERE back`).Scan(&disordered))
	require.Zero(t, disordered, "a chat's events follow its messages")
}

// Requests spanning chats of different writers, in every order, with
// statuses of each other's messages: the writers' transactions meet on the
// same rows. None fails (lock order, else a retry), nothing is lost.
func TestCommitterWritersOnOverlappingChats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	svc := inbox.New(inbox.Config{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	c := startCommitter(t, svc, url, 4)

	const chats = 8
	base := time.Now().Add(-time.Hour).Unix()
	// Messages to report statuses about.
	var first waba.Notification
	for i := range 40 {
		first.Messages = append(first.Messages, textMessage(fmt.Sprint("wamid.seed.", i), fmt.Sprint("4915551", i%chats), base))
	}
	require.NoError(t, c.Ingest(ctx, &first))

	const senders, perSender = 16, 30
	var wg sync.WaitGroup
	errs := make(chan error, senders*perSender)
	for s := range senders {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(s), 7))
			for i := range perSender {
				n := &waba.Notification{}
				for k, chat := range rng.Perm(chats)[:3] {
					n.Messages = append(n.Messages, textMessage(fmt.Sprintf("wamid.s%d.%d.%d", s, i, k), fmt.Sprint("4915551", chat), base+int64(rng.IntN(100))))
				}
				for _, j := range rng.Perm(40)[:6] {
					status := []string{"delivered", "read"}[rng.IntN(2)]
					n.Statuses = append(n.Statuses, waba.Status{ID: fmt.Sprint("wamid.seed.", j), RecipientID: fmt.Sprint("4915551", j%chats),
						Status: status, Timestamp: base + 1, Raw: []byte(`{"status":"` + status + `"}`)})
				}
				if err := c.Ingest(ctx, n); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	var messages, pending int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM messages`).Scan(&messages))
	require.Equal(t, 40+senders*perSender*3, messages)
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM message_statuses_pending`).Scan(&pending))
	require.Zero(t, pending, "every status found its message")
	var statusEvents, reported int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'status'`).Scan(&statusEvents))
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT count(delivered_at) + count(read_at) FROM messages WHERE wamid LIKE 'wamid.seed.%'`).Scan(&reported))
	require.Equal(t, reported, statusEvents, "one event per status seen first")
	assertLastMessages(t, pool, chats)
}

// assertLastMessages checks that every chat's last message is its newest
// by (ts, id), and that there are chats chats.
func assertLastMessages(t *testing.T, pool *pgxpool.Pool, chats int) {
	t.Helper()
	var n, wrong int
	require.NoError(t, pool.QueryRow(context.Background(), `
		SELECT count(*), count(*) FILTER (WHERE c.last_message_id IS DISTINCT FROM (
			SELECT m.id FROM messages m WHERE m.chat_wa_id = c.wa_id ORDER BY m.ts DESC, m.id DESC LIMIT 1))
		FROM chats c`).Scan(&n, &wrong))
	require.Equal(t, chats, n)
	require.Zero(t, wrong, "every chat's last message is its newest")
}

// A transaction PostgreSQL aborts as a deadlock victim is run again: the
// request still commits, and nothing surfaces as an error. The deadlock is
// made on purpose: the test's transaction holds person B while the ingest
// (locking persons in order, A then B) waits for it, then asks for A.
func TestIngestRetriesADeadlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	svc := inbox.New(inbox.Config{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	base := time.Now().Add(-time.Hour).Unix()
	require.NoError(t, svc.Ingest(ctx, &waba.Notification{Messages: []waba.Message{
		textMessage("wamid.a0", "4915552001", base), textMessage("wamid.b0", "4915552002", base)}}))

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `UPDATE persons SET updated_at = now() WHERE wa_id = '4915552002'`)
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() {
		done <- svc.Ingest(ctx, &waba.Notification{Messages: []waba.Message{
			textMessage("wamid.a1", "4915552001", base+1), textMessage("wamid.b1", "4915552002", base+1)}})
	}()
	// Wait until the ingest holds A and waits for B.
	require.Eventually(t, func() bool {
		var waiting bool
		err := pool.QueryRow(ctx, `
			SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			               WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%MessagesIngest%')`).Scan(&waiting)
		return err == nil && waiting
	}, 10*time.Second, 10*time.Millisecond)
	// A closes the cycle. The ingest's backend, waiting longer, runs the
	// deadlock check first (after deadlock_timeout) and aborts its own
	// transaction, which releases A; the ingest runs again once this one
	// commits.
	_, err = tx.Exec(ctx, `UPDATE persons SET updated_at = now() WHERE wa_id = '4915552001'`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the ingest did not finish")
	}
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE wamid IN ('wamid.a1', 'wamid.b1')`).Scan(&n))
	require.Equal(t, 2, n)
	var events int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'incoming_message'`).Scan(&events))
	require.Equal(t, 4, events, "the aborted attempt left no event behind")
}

// With the database gone, a request fails (the provider gets a 5xx and
// retries) instead of hanging or being acknowledged.
func TestCommitterReportsADatabaseFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	svc := inbox.New(inbox.Config{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	c := startCommitter(t, svc, url, 2)
	// A closed pool: every transaction fails to begin.
	wpool, err := storage.OpenGeneric(ctx, url, 1)
	require.NoError(t, err)
	wpool.Close()
	broken := inbox.NewCommitter(inbox.CommitterConfig{Service: svc, Pool: wpool, Writers: 2, Logger: slog.New(slog.DiscardHandler)})
	bctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { broken.Run(bctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	n := &waba.Notification{Messages: []waba.Message{textMessage("wamid.f", "4915553001", time.Now().Unix())}}
	require.Error(t, broken.Ingest(ctx, n))
	require.NoError(t, c.Ingest(ctx, n), "the same request commits where the database answers")
}

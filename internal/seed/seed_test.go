package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/inbox"
)

func TestSeedFillsAConsistentInbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	// The schema's own indexes and foreign keys of messages, which the bulk
	// load drops and must put back.
	var schemaIndexes, schemaFKs int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_indexes WHERE tablename = 'messages'),
		(SELECT count(*) FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'f')`).Scan(&schemaIndexes, &schemaFKs); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	res, err := Seed(ctx, pool, Options{Chats: 40, Messages: 3000, Users: 3, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.WaIDs) != 40 || res.Messages != 3000 || len(res.AgentIDs) != 3 {
		t.Fatalf("seeded %d chats, %d messages, %d agents", len(res.WaIDs), res.Messages, len(res.AgentIDs))
	}
	if !strings.Contains(progress.String(), "100% 3000/3000 messages") {
		t.Errorf("progress bar never reached 100%%:\n%s", progress.String())
	}

	var msgs, inbound, chatsOff, withoutLast, failedWithoutErrors, readBeforeDelivered, indexes, fks int
	q := func(sql string, dst *int) {
		t.Helper()
		if err := pool.QueryRow(ctx, sql).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q("SELECT count(*) FROM messages", &msgs)
	q("SELECT count(*) FROM messages WHERE NOT from_us", &inbound)
	// Every chat points at its newest message and counts its incoming ones,
	// as the inbound path keeps them.
	q(`SELECT count(*) FROM chats c WHERE c.last_message_id IS DISTINCT FROM
	     (SELECT id FROM messages m WHERE m.chat_wa_id = c.wa_id ORDER BY ts DESC, id DESC LIMIT 1)
	     OR c.last_message_at IS DISTINCT FROM (SELECT max(ts) FROM messages m WHERE m.chat_wa_id = c.wa_id)
	     OR c.incoming_count <> (SELECT count(*) FROM messages m WHERE m.chat_wa_id = c.wa_id AND NOT m.from_us)`, &chatsOff)
	q("SELECT count(*) FROM chats WHERE last_message_id IS NULL", &withoutLast)
	q("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL AND status_errors IS NULL", &failedWithoutErrors)
	q("SELECT count(*) FROM messages WHERE read_at < delivered_at OR (NOT from_us AND sent_at IS NOT NULL)", &readBeforeDelivered)
	// The bulk load put back what it took away.
	q("SELECT count(*) FROM pg_indexes WHERE tablename = 'messages'", &indexes)
	q("SELECT count(*) FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'f'", &fks)
	if msgs != 3000 || chatsOff != 0 || withoutLast != 0 || failedWithoutErrors != 0 || readBeforeDelivered != 0 {
		t.Errorf("messages %d, chats off %d, chats without a last message %d, failed without errors %d, bad statuses %d",
			msgs, chatsOff, withoutLast, failedWithoutErrors, readBeforeDelivered)
	}
	if inbound < 1000 || inbound > 2200 {
		t.Errorf("%d of 3000 messages are inbound; want a mix", inbound)
	}
	if indexes != schemaIndexes || fks != schemaFKs || fks == 0 {
		t.Errorf("messages has %d indexes and %d foreign keys after the load; want %d and %d", indexes, fks, schemaIndexes, schemaFKs)
	}

	// Payloads are what the provider sends and what wamux stores; body_text
	// is the text folded for search, as the inbound path stores it.
	var payload json.RawMessage
	var body string
	if err := pool.QueryRow(ctx, "SELECT waba_payload, body_text FROM messages WHERE NOT from_us LIMIT 1").Scan(&payload, &body); err != nil {
		t.Fatal(err)
	}
	var in struct {
		From, ID, Timestamp, Type string
		Text                      struct{ Body string }
	}
	if err := json.Unmarshal(payload, &in); err != nil || in.Type != "text" || inbox.SearchText(in.Text.Body) != body || !strings.HasPrefix(in.ID, "wamid.") {
		t.Errorf("inbound payload %s (%v)", payload, err)
	}

	// A second seed adds to the first; it cannot bulk load into a table
	// with rows, and must not collide with the first one's customers.
	res2, err := Seed(ctx, pool, Options{Chats: 40, Messages: 500, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	q("SELECT count(*) FROM messages", &msgs)
	q("SELECT count(*) FROM chats", &withoutLast)
	if msgs != 3500 || withoutLast != 80 || res2.Messages != 500 {
		t.Errorf("after a second seed: %d messages, %d chats", msgs, withoutLast)
	}
}

func TestBodiesContainTheSearchTermsAtTheirShare(t *testing.T) {
	t.Parallel()
	tx := newTexter(rand.New(rand.NewPCG(1, 2)))
	const n = 400_000
	terms := SearchTerms()
	hits := make([]int, len(terms))
	for i := range n {
		b := strings.ToLower(tx.body(i%2 == 0, "Anna"))
		for k, term := range terms {
			if strings.Contains(b, term.Word) {
				hits[k]++
			}
		}
	}
	for k, term := range terms {
		got := float64(hits[k]) / n
		if term.Share == 0 && hits[k] > 0 || got < term.Share*0.6 || got > term.Share*1.4 {
			t.Errorf("%q is in %.4f%% of bodies; SearchTerms says %.4f%%", term.Word, 100*got, 100*term.Share)
		}
	}
}

func BenchmarkGenerateMessages(b *testing.B) {
	s := &seeder{
		opt: Options{Chats: 1000, Messages: 100_000, Span: 180 * 24 * time.Hour},
		r:   rand.New(rand.NewPCG(1, 2)),
		now: time.Now().Unix(),
	}
	s.customers = make([]customer, s.opt.Chats)
	for i := range s.customers {
		s.customers[i].waID = waID(s.r)
		s.customers[i].name, s.customers[i].first = profileName(s.r)
	}
	s.plan()
	b.ResetTimer()
	for b.Loop() {
		batches := make(chan [][]any, 1)
		go func() { s.generate(context.Background(), batches); close(batches) }()
		for range batches {
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(s.msgs)), "ns/message")
}

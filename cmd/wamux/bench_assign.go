package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/httpapi"
	"github.com/wamux/wamux/internal/loadgen"
	"github.com/wamux/wamux/internal/rules"
	"github.com/wamux/wamux/internal/waba"
	"github.com/wamux/wamux/internal/webhooks"
)

// assignOptions are the flags of `wamux bench-assign`.
type assignOptions struct {
	rate        int
	duration    time.Duration
	warmup      time.Duration
	engineDelay time.Duration
	keep        bool
}

// The assignment-latency targets for this 2-core machine, at 100
// fresh messages/s.
const (
	targetAssignRate      = 100
	targetAssignP99       = 250 * time.Millisecond // default engine
	targetAssignCustomP99 = 300 * time.Millisecond // custom engine answering in 5 ms
)

// benchAssign is `wamux bench-assign`: on a fresh database it serves wamux
// with serve's own wiring (rule engine and fan-out included), makes an app
// user "bot" with a webhook on assigned messages to a loopback receiver,
// and measures the assignment latency: from the provider's 200 for a
// fresh incoming message to the bot's receiver getting that message in
// `assigned_messages`, at a steady rate of messages each from a new
// customer (so each opens a fresh chat), first with the default engine
// (rule: fresh message -> the bot), then with a custom engine on loopback
// that answers after engine-delay, assigning the message to the bot.
//
// It prints a markdown table and drops the database unless --keep.
func benchAssign(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench-assign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o assignOptions
	fs.IntVar(&o.rate, "rate", targetAssignRate, "fresh incoming messages/s")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "length of each measured run")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured start of each run")
	fs.DurationVar(&o.engineDelay, "engine-delay", 5*time.Millisecond, "how long the custom engine takes to answer")
	fs.BoolVar(&o.keep, "keep", false, "keep the database afterwards")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || o.rate < 1 || o.duration <= 0 || o.warmup < 0 || o.engineDelay < 0 {
		fmt.Fprintln(stderr, "usage: wamux bench-assign [--rate R] [--duration D] [--warmup W] [--engine-delay E] [--keep]")
		return errUsage
	}
	bcfg, name, cleanup, err := benchConfig(ctx, cfg, "wamux_bench_assign", o.keep, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	bcfg.MessageCap = 0
	logger := newLogger(bcfg, stderr)
	a, err := openApp(ctx, bcfg, logger, true)
	if err != nil {
		return err
	}
	defer a.close()
	// The receiver and the custom engine are on loopback.
	a.webhookAllowPrivate = true
	a.webhooks = webhooks.New(webhooks.Config{Pool: a.pool, Logger: logger, AllowPrivate: true})
	a.rules = rules.New(rules.Config{Pool: a.pool, Logger: logger, Assigner: a.ownership,
		Presenter: httpapi.NewPresenter(bcfg.BaseURL, a.accounts), AllowPrivate: true})
	token, err := a.accounts.CreateAdmin(ctx, "bench", "")
	if err != nil {
		return describe(err)
	}

	addr, stopServer, err := serveBench(ctx, a)
	if err != nil {
		return err
	}
	defer stopServer()
	b := &assignBench{opt: o, addr: addr, token: token, secret: bcfg.AppSecret, stderr: stderr, app: a}
	fmt.Fprintf(stderr, "wamux serves on %s, database %s, %d cores\n", addr, name, runtime.NumCPU())
	if err := b.run(ctx); err != nil {
		return err
	}
	b.print(stdout)
	return nil
}

type assignBench struct {
	opt    assignOptions
	addr   string
	token  string
	secret string
	stderr io.Writer
	app    *app

	bot      int64
	receiver *benchReceiver
	engine   *benchRuleEngine
	// customers numbers the customers, so that every message of every run
	// comes from a new one.
	customers int

	rows    []tableRow
	details []string
}

func (b *assignBench) logf(format string, args ...any) { fmt.Fprintf(b.stderr, format+"\n", args...) }

func (b *assignBench) detail(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	b.details = append(b.details, line)
	b.logf("%s", line)
}

func (b *assignBench) run(ctx context.Context) error {
	if err := b.setup(ctx); err != nil {
		return err
	}
	defer func() { _ = b.receiver.srv.Close(); b.engine.close() }()
	if err := b.measure(ctx, "default engine (rule: fresh message -> bot)", targetAssignP99); err != nil {
		return err
	}
	if err := b.api(ctx, http.MethodPut, "/api/v1/rule_engine/", map[string]any{
		"mode": rules.ModeCustom, "url": b.engine.url, "timeout": 2}); err != nil {
		return fmt.Errorf("configure the custom engine: %w", err)
	}
	label := fmt.Sprintf("custom engine on loopback (answers in %s)", b.opt.engineDelay)
	if err := b.measure(ctx, label, targetAssignCustomP99); err != nil {
		return err
	}
	b.detail("custom engine: %d calls answered", b.engine.calls.Load())
	return nil
}

// setup makes the bot (an app user) with its webhook on assigned messages,
// the default engine's rule, and the custom engine (configured later).
func (b *assignBench) setup(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// A benchReceiver that counts only what arrives in assigned_messages.
	b.receiver = &benchReceiver{url: "http://" + ln.Addr().String() + "/bot", arrivals: map[string]time.Time{}}
	b.receiver.srv = &http.Server{Handler: assignedOnly{b.receiver}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.receiver.srv.Serve(ln) }()

	if err := b.app.pool.QueryRow(ctx, `INSERT INTO users (username, role, is_active) VALUES ('bot', 'app', true) RETURNING id`).Scan(&b.bot); err != nil {
		return err
	}
	if _, err := b.app.pool.Exec(ctx, `INSERT INTO group_members (group_id, user_id) SELECT id, $1 FROM groups WHERE role = 'app'`, b.bot); err != nil {
		return err
	}
	on, off := true, false
	p := &auth.Principal{User: db.User{ID: b.bot}}
	if _, err := b.app.webhooks.Create(ctx, p, webhooks.Input{URL: &b.receiver.url, IncomingMessages: &off, OutgoingMessages: &off,
		AssignedMessages: &on, ChatAssignment: &off, Tagging: &off}); err != nil {
		return describe(err)
	}
	if err := b.api(ctx, http.MethodPost, "/api/v1/rules/", map[string]any{
		"tagged_with": nil, "assign_to_user": b.bot, "description": "every fresh message to the bot"}); err != nil {
		return fmt.Errorf("create the rule: %w", err)
	}
	if b.engine, err = newBenchRuleEngine(b.bot, b.opt.engineDelay); err != nil {
		return err
	}
	// Let the fan-out claim the webhook.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var leased bool
		if err := b.app.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM waba_webhooks WHERE lease_expires_at > now())`).Scan(&leased); err != nil {
			return err
		}
		if leased {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the bot's webhook was not claimed within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// api calls the API as the admin and wants a 2xx.
func (b *assignBench) api(ctx context.Context, method, path string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+b.addr+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Token "+b.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, out)
	}
	return nil
}

// inbound builds n signed notifications of one text message each, every one
// from a new customer; it returns them with their wamids and chats.
func (b *assignBench) inbound(n int) ([]loadgen.Request, []string, []string, error) {
	biz := waba.DefaultBusiness()
	reqs := make([]loadgen.Request, n)
	ids := make([]string, n)
	chats := make([]string, n)
	for i := range n {
		b.customers++
		from := fmt.Sprintf("4916%09d", b.customers)
		msg := map[string]any{"text": map[string]any{"body": inboundTexts[i%len(inboundTexts)]}}
		body, id, err := waba.BuildInboundEnvelope(biz, from, fmt.Sprintf("Customer %d", b.customers), msg, time.Now())
		if err != nil {
			return nil, nil, nil, err
		}
		h := http.Header{"Content-Type": {"application/json"}, "X-Hub-Signature-256": {waba.Sign(body, b.secret)}}
		reqs[i] = loadgen.NewRequest(http.MethodPost, b.addr, "/api/v1/waba/webhook/", h, body)
		ids[i], chats[i] = id, from
	}
	return reqs, ids, chats, nil
}

// measure sends opt.rate fresh messages per second for opt.warmup +
// opt.duration (open loop), waits until the bot has every acknowledged one
// in assigned_messages, and adds the latency of those sent after the
// warm-up to the table.
func (b *assignBench) measure(ctx context.Context, label string, target time.Duration) error {
	warm := int(b.opt.warmup.Seconds() * float64(b.opt.rate))
	n := warm + int(b.opt.duration.Seconds()*float64(b.opt.rate))
	reqs, ids, chats, err := b.inbound(n)
	if err != nil {
		return err
	}
	// bench-fanout's open-loop sender, which records each acknowledgement.
	drv := &fanoutBench{opt: fanoutOptions{rate: b.opt.rate}, addr: b.addr, app: b.app, acked: make([]atomic.Int64, n)}
	b.logf("%s: %d fresh messages/s for %s (+%s warm-up)", label, b.opt.rate, b.opt.duration, b.opt.warmup)
	before := drv.readCPU(ctx)
	ackLat, failed := drv.openLoop(ctx, reqs)
	cpu := drv.readCPU(ctx).Since(before)
	sendEnd := time.Now()
	missing := b.await(ctx, ids, drv.acked, 30*time.Second)
	drain := time.Since(sendEnd)

	assignedAt, err := b.assignedAt(ctx, chats[warm:])
	if err != nil {
		return err
	}
	var lat, engine, delivery []time.Duration
	var acked, early int
	b.receiver.mu.Lock()
	for i := warm; i < n; i++ {
		ack := drv.acked[i].Load()
		if ack == 0 {
			continue
		}
		acked++
		at, ok := b.receiver.arrivals[ids[i]]
		if !ok {
			continue
		}
		d := at.Sub(time.Unix(0, ack))
		if d < 0 {
			early++
			d = 0
		}
		lat = append(lat, d)
		if t, ok := assignedAt[chats[i]]; ok {
			engine = append(engine, t.Sub(time.Unix(0, ack)))
			delivery = append(delivery, at.Sub(t))
		}
	}
	b.receiver.mu.Unlock()
	slices.Sort(lat)
	slices.Sort(ackLat)
	slices.Sort(engine)
	slices.Sort(delivery)
	if len(lat) == 0 {
		return fmt.Errorf("%s: the bot received nothing (%d acknowledged, %d failed)", label, acked, failed)
	}
	p99 := pct(lat, 99)
	short := label
	if i := strings.Index(label, " ("); i > 0 {
		short = label[:i]
	}
	b.rows = append(b.rows,
		tableRow{fmt.Sprintf("%s: assignment latency p50 at %s fresh messages/s", label, thousands(b.opt.rate)), ms(pct(lat, 50)) + disturbance(cpu), "", ""},
		tableRow{fmt.Sprintf("%s: assignment latency p99", short), ms(p99) + disturbance(cpu), "< " + ms(target), yesNo(p99 < target && missing == 0)},
		tableRow{fmt.Sprintf("%s: assignment latency max", short), ms(lat[len(lat)-1]), "", ""},
	)
	b.detail("%s: %d of %d measured messages acknowledged (%d failed; ack p50 %s, p99 %s); %d reached the bot in assigned_messages, "+
		"%d never within 30 s; the last one %s after the last send; %d arrived before the provider's 200 (counted as 0 ms); CPU %s",
		short, acked, n-warm, failed, ms(pct(ackLat, 50)), ms(pct(ackLat, 99)), len(lat), missing, drain.Round(time.Millisecond), early, cpuText(cpu))
	b.detail("%s, where the time goes (%d messages): acknowledged -> the rule engine's assignment p50 %s, p99 %s; "+
		"assignment -> the bot's receiver (fan-out) p50 %s, p99 %s", short, len(engine),
		ms(pct(engine, 50)), ms(pct(engine, 99)), ms(pct(delivery, 50)), ms(pct(delivery, 99)))
	return nil
}

// assignedAt is when each of chats was first assigned (the start of the
// assigning transaction, by the database's clock: the same machine's).
func (b *assignBench) assignedAt(ctx context.Context, chats []string) (map[string]time.Time, error) {
	rows, err := b.app.pool.Query(ctx, `SELECT chat_wa_id, min(occurred_at) FROM chat_assignment_events
WHERE chat_wa_id = ANY($1::text[]) GROUP BY chat_wa_id`, chats)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(chats))
	for rows.Next() {
		var c string
		var t time.Time
		if err := rows.Scan(&c, &t); err != nil {
			return nil, err
		}
		out[c] = t
	}
	return out, rows.Err()
}

// await waits until the receiver has every acknowledged message, at most
// limit after the last send, and returns how many it still misses.
func (b *assignBench) await(ctx context.Context, ids []string, acked []atomic.Int64, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		missing := 0
		b.receiver.mu.Lock()
		for i, id := range ids {
			if _, ok := b.receiver.arrivals[id]; !ok && acked[i].Load() != 0 {
				missing++
			}
		}
		b.receiver.mu.Unlock()
		if missing == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return missing
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *assignBench) print(w io.Writer) {
	fmt.Fprintf(w, "\n| assignment latency (%d cores, %s runs) | measured | target | met |\n|---|---|---|---|\n", runtime.NumCPU(), b.opt.duration)
	for _, r := range b.rows {
		target, met := r.target, r.met
		if target == "" {
			target, met = "—", "—"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.metric, r.measured, target, met)
	}
	fmt.Fprintln(w)
	for _, d := range b.details {
		fmt.Fprintf(w, "- %s\n", d)
	}
}

// assignedOnly passes to a benchReceiver only the calls that carry
// assigned_messages: the latency is to that field.
type assignedOnly struct{ r *benchReceiver }

var assignedKey = []byte(`"assigned_messages"`)

func (h assignedOnly) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !bytes.Contains(body, assignedKey) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	h.r.ServeHTTP(w, req)
}

// benchRuleEngine is a custom rule engine on loopback like the reference's
// Python example: after delay it assigns every incoming message (so its
// chat) to the bot.
type benchRuleEngine struct {
	srv   *http.Server
	url   string
	calls atomic.Int64
}

func newBenchRuleEngine(bot int64, delay time.Duration) (*benchRuleEngine, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &benchRuleEngine{url: "http://" + ln.Addr().String() + "/engine"}
	e.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Incoming []struct {
				ID string `json:"id"`
			} `json:"incoming_messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"error": err.Error()})
			return
		}
		time.Sleep(delay)
		out := []map[string]any{}
		for _, m := range in.Incoming {
			out = append(out, map[string]any{"message_id": m.ID, "user": bot})
		}
		e.calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"assignment": out})
	})}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

func (e *benchRuleEngine) close() { _ = e.srv.Close() }

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/loadgen"
	"github.com/wamux/wamux/internal/waba"
	"github.com/wamux/wamux/internal/webhooks"
)

// fanoutOptions are the flags of `wamux bench-fanout`.
type fanoutOptions struct {
	subscribers, rate, conns int
	duration                 time.Duration
	keep                     bool
	cpuProfile               string
}

// The fan-out targets for this 2-core machine.
const (
	targetFanoutRate  = 1000                   // inbound events/s every subscriber keeps up with
	targetFanoutP99   = 250 * time.Millisecond // end-to-end, at that rate
	targetFanoutRatio = 0.6                    // max inbound rate with subscribers / without
)

// benchFanout is `wamux bench-fanout`: on a fresh database it serves wamux
// with serve's own wiring (the fan-out engine included) and measures
//  1. the maximum inbound rate with no webhook (closed loop),
//  2. a steady inbound rate with N webhooks, each receiving every event, on
//     loopback receivers: delivered events/s and the end-to-end latency from
//     the provider's 200 to the receiver's arrival,
//  3. the maximum inbound rate with those N webhooks, and how long the
//     subscribers then take to catch up.
//
// It prints a markdown table and drops the database unless --keep.
func benchFanout(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench-fanout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o fanoutOptions
	fs.IntVar(&o.subscribers, "subscribers", 10, "webhooks, each receiving every inbound event")
	fs.IntVar(&o.rate, "rate", targetFanoutRate, "inbound events/s of the steady run")
	fs.IntVar(&o.conns, "conns", 64, "connections of the maximum-rate runs")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "length of each run")
	fs.BoolVar(&o.keep, "keep", false, "keep the database afterwards")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the runs with subscribers to this file")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || o.subscribers < 1 || o.rate < 1 || o.conns < 1 || o.duration <= 0 {
		fmt.Fprintln(stderr, "usage: wamux bench-fanout [--subscribers N] [--rate R] [--conns C] [--duration D] [--keep]")
		return errUsage
	}
	bcfg, name, cleanup, err := benchConfig(ctx, cfg, "wamux_bench_fanout", o.keep, stderr)
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
	// The receivers are on loopback.
	a.webhookAllowPrivate = true
	a.webhooks = webhooks.New(webhooks.Config{Pool: a.pool, Logger: logger, AllowPrivate: true})

	addr, stopServer, err := serveBench(ctx, a)
	if err != nil {
		return err
	}
	defer stopServer()
	b := &fanoutBench{opt: o, addr: addr, secret: bcfg.AppSecret, stderr: stderr, app: a}
	fmt.Fprintf(stderr, "wamux serves on %s, database %s, %d cores\n", addr, name, runtime.NumCPU())
	if err := b.run(ctx); err != nil {
		return err
	}
	b.print(stdout)
	return nil
}

type fanoutBench struct {
	opt    fanoutOptions
	addr   string
	secret string
	stderr io.Writer
	app    *app

	receivers []*benchReceiver
	// index maps a wamid to its request of the steady run; acked holds
	// when each was acknowledged (unix ns, 0: not yet).
	index map[string]int
	acked []atomic.Int64

	rows    []tableRow
	details []string
}

func (b *fanoutBench) logf(format string, args ...any) { fmt.Fprintf(b.stderr, format+"\n", args...) }

func (b *fanoutBench) detail(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	b.details = append(b.details, line)
	b.logf("%s", line)
}

// benchReceiver is one subscriber's endpoint: it records when each message
// arrived.
type benchReceiver struct {
	srv      *http.Server
	url      string
	mu       sync.Mutex
	arrivals map[string]time.Time
	count    atomic.Int64 // messages received, duplicates included
	unique   atomic.Int64 // distinct messages received
	posts    atomic.Int64
}

func newBenchReceiver() (*benchReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &benchReceiver{url: "http://" + ln.Addr().String() + "/hook", arrivals: map[string]time.Time{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *benchReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	// The wamids, found without decoding the whole payload: the receivers
	// share the machine with what they measure. Each appears several times
	// (messages, incoming_messages); the first arrival counts.
	ids := map[string]bool{}
	for rest := body; ; {
		i := bytes.Index(rest, wamidKey)
		if i < 0 {
			break
		}
		rest = rest[i+len(wamidKey)-len("wamid."):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			break
		}
		ids[string(rest[:j])] = true
		rest = rest[j:]
	}
	r.mu.Lock()
	for id := range ids {
		if _, dup := r.arrivals[id]; !dup {
			r.arrivals[id] = now
			r.unique.Add(1)
		}
	}
	r.mu.Unlock()
	r.count.Add(int64(len(ids)))
	r.posts.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

var wamidKey = []byte(`"id":"wamid.`)

func (b *fanoutBench) run(ctx context.Context) error {
	none, err := b.maxRate(ctx, "no subscribers")
	if err != nil {
		return err
	}
	if err := b.subscribe(ctx); err != nil {
		return err
	}
	defer func() {
		for _, r := range b.receivers {
			_ = r.srv.Close()
		}
	}()
	if o := b.opt.cpuProfile; o != "" {
		f, err := os.Create(o)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if err := b.steady(ctx); err != nil {
		return err
	}
	start := b.delivered()
	t0 := time.Now()
	with, err := b.maxRate(ctx, fmt.Sprintf("%d subscribers", b.opt.subscribers))
	if err != nil {
		return err
	}
	during := b.delivered() - start
	b.detail("during the maximum-rate run with %d subscribers they received %s events (%s/s)",
		b.opt.subscribers, thousands(int(during)), thousands(int(float64(during)/time.Since(t0).Seconds())))
	target, err := b.eventCount(ctx)
	if err != nil {
		return err
	}
	var backlog int64
	for _, r := range b.receivers {
		backlog = max(backlog, target-r.unique.Load())
	}
	drain, caught, err := b.catchUp(ctx, 5*time.Minute)
	if err != nil {
		return err
	}
	ratio := with.Rate() / none.Rate()
	b.rows = append(b.rows,
		tableRow{"maximum inbound rate, no subscribers (acknowledged/s)", thousands(int(none.Rate())) + "/s", "", ""},
		tableRow{fmt.Sprintf("maximum inbound rate, %d subscribers (acknowledged/s)", b.opt.subscribers),
			fmt.Sprintf("%s/s (%.0f%% of none)", thousands(int(with.Rate())), 100*ratio),
			fmt.Sprintf("≥ %.0f%% of none", 100*targetFanoutRatio), yesNo(ratio >= targetFanoutRatio)},
		tableRow{"its largest backlog when it ended (events of one subscriber), caught up in",
			fmt.Sprintf("%s events, %s (%s events/s delivered meanwhile)", thousands(int(backlog)), drain.Round(10*time.Millisecond), thousands(int(caught))), "", ""},
	)
	return nil
}

// inbound builds n signed notifications of one new text message each, from
// 1,000 customers, and returns them with their wamids.
func (b *fanoutBench) inbound(n int) ([]loadgen.Request, []string, error) {
	biz := waba.DefaultBusiness()
	reqs := make([]loadgen.Request, n)
	ids := make([]string, n)
	r := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	for i := range n {
		c := r.IntN(1000)
		from := fmt.Sprintf("4915%09d", 100_000_000+c)
		msg := map[string]any{"text": map[string]any{"body": inboundTexts[r.IntN(len(inboundTexts))]}}
		body, id, err := waba.BuildInboundEnvelope(biz, from, fmt.Sprintf("Customer %d", c), msg, time.Now())
		if err != nil {
			return nil, nil, err
		}
		h := http.Header{"Content-Type": {"application/json"}, "X-Hub-Signature-256": {waba.Sign(body, b.secret)}}
		reqs[i] = loadgen.NewRequest(http.MethodPost, b.addr, "/api/v1/waba/webhook/", h, body)
		ids[i] = id
	}
	return reqs, ids, nil
}

// maxRate sends notifications over opt.conns connections as fast as they
// are acknowledged, after a one-second warm-up.
func (b *fanoutBench) maxRate(ctx context.Context, label string) (loadgen.Result, error) {
	n := int(b.opt.duration.Seconds()*20_000) + 20_000
	b.logf("preparing %d notifications", n)
	reqs, _, err := b.inbound(n)
	if err != nil {
		return loadgen.Result{}, err
	}
	if warm := loadgen.ClosedLoop(ctx, b.addr, b.opt.conns, time.Second, reqs[:20_000]); warm.OK == 0 {
		return loadgen.Result{}, fmt.Errorf("warm-up: nothing acknowledged: %s", warm.FirstError)
	}
	b.logf("maximum inbound rate, %s: %s over %d connections", label, b.opt.duration, b.opt.conns)
	before := b.readCPU(ctx)
	res := loadgen.ClosedLoop(ctx, b.addr, b.opt.conns, b.opt.duration, reqs[20_000:])
	cpu := b.readCPU(ctx).Since(before)
	b.detail("maximum inbound rate, %s: %d acknowledged in %s (%s/s), %d failed, %d errors; ack p50 %s, p99 %s; CPU %s",
		label, res.OK, res.Elapsed.Round(10*time.Millisecond), thousands(int(res.Rate())), res.Failed, res.Errors,
		ms(res.Percentile(50)), ms(res.Percentile(99)), cpuText(cpu))
	if res.Exhausted {
		b.detail("every prepared request was sent before %s passed: the rate is a lower bound", b.opt.duration)
	}
	if res.OK == 0 {
		return res, fmt.Errorf("nothing acknowledged: %s", res.FirstError)
	}
	return res, nil
}

// subscribe creates opt.subscribers app users, each with a webhook on
// incoming messages pointing at its own loopback receiver.
func (b *fanoutBench) subscribe(ctx context.Context) error {
	for i := range b.opt.subscribers {
		r, err := newBenchReceiver()
		if err != nil {
			return err
		}
		b.receivers = append(b.receivers, r)
		var id int64
		if err := b.app.pool.QueryRow(ctx, `INSERT INTO users (username, role, is_active) VALUES ($1, 'app', true) RETURNING id`,
			fmt.Sprintf("subscriber%d", i)).Scan(&id); err != nil {
			return err
		}
		if _, err := b.app.pool.Exec(ctx, `INSERT INTO group_members (group_id, user_id) SELECT id, $1 FROM groups WHERE role = 'app'`, id); err != nil {
			return err
		}
		on, off := true, false
		p := &auth.Principal{User: db.User{ID: id}}
		if _, err := b.app.webhooks.Create(ctx, p, webhooks.Input{URL: &r.url, IncomingMessages: &on, AssignedMessages: &off, ChatAssignment: &off, Tagging: &off}); err != nil {
			return describe(err)
		}
	}
	// Let the engine claim them all.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var leased int
		if err := b.app.pool.QueryRow(ctx, `SELECT count(*) FROM waba_webhooks WHERE lease_expires_at > now()`).Scan(&leased); err != nil {
			return err
		}
		if leased == b.opt.subscribers {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d webhooks were claimed", leased, b.opt.subscribers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *fanoutBench) delivered() int64 {
	var n int64
	for _, r := range b.receivers {
		n += r.count.Load()
	}
	return n
}

func (b *fanoutBench) posts() int64 {
	var n int64
	for _, r := range b.receivers {
		n += r.posts.Load()
	}
	return n
}

// steady sends opt.rate notifications per second for opt.duration, open
// loop, recording when each was acknowledged, then waits until every
// subscriber has every acknowledged message and measures the end-to-end
// latency: from the acknowledgement to the arrival at the receiver.
func (b *fanoutBench) steady(ctx context.Context) error {
	n := int(b.opt.duration.Seconds() * float64(b.opt.rate))
	reqs, ids, err := b.inbound(n)
	if err != nil {
		return err
	}
	b.index = make(map[string]int, n)
	for i, id := range ids {
		b.index[id] = i
	}
	b.acked = make([]atomic.Int64, n)
	b.logf("steady run: %d events/s for %s to %d subscribers", b.opt.rate, b.opt.duration, b.opt.subscribers)
	before := b.readCPU(ctx)
	startDelivered, startPosts := b.delivered(), b.posts()
	start := time.Now()
	ackLat, failed := b.openLoop(ctx, reqs)
	sendEnd := time.Now()
	cpu := b.readCPU(ctx).Since(before)
	var acked int64
	for i := range b.acked {
		if b.acked[i].Load() != 0 {
			acked++
		}
	}
	drain, _, err := b.catchUp(ctx, time.Minute)
	if err != nil {
		return err
	}
	delivered := b.delivered() - startDelivered
	window := sendEnd.Sub(start) + drain
	var e2e []time.Duration
	var early int
	for _, r := range b.receivers {
		r.mu.Lock()
		for id, at := range r.arrivals {
			i, ok := b.index[id]
			if !ok {
				continue
			}
			ack := b.acked[i].Load()
			if ack == 0 {
				continue
			}
			d := at.Sub(time.Unix(0, ack))
			if d < 0 {
				early++
				d = 0
			}
			e2e = append(e2e, d)
		}
		r.mu.Unlock()
	}
	slices.Sort(e2e)
	slices.Sort(ackLat)
	if len(e2e) == 0 {
		return fmt.Errorf("steady run: nothing delivered (%d of %d acknowledged, %d failed)", acked, n, failed)
	}
	// Keeping up: every subscriber has every acknowledged event less than a
	// second after the last acknowledgement (a backlog would take longer),
	// at the end-to-end latency below.
	perSub := float64(delivered) / float64(b.opt.subscribers) / window.Seconds()
	p99 := pct(e2e, 99)
	keptUp := drain < time.Second && delivered >= acked*int64(b.opt.subscribers)
	b.rows = append(b.rows,
		tableRow{fmt.Sprintf("steady %s inbound events/s, %d subscribers: delivered events/s (every event to every subscriber; backlog gone %s after the last acknowledgement)",
			thousands(b.opt.rate), b.opt.subscribers, drain.Round(time.Millisecond)),
			fmt.Sprintf("%s/s (%s/s per subscriber)", thousands(int(float64(delivered)/window.Seconds())), thousands(int(perSub))),
			fmt.Sprintf("keep up with %s/s", thousands(b.opt.rate)), yesNo(keptUp)},
		tableRow{"end-to-end latency p50 (acknowledged → received)", ms(pct(e2e, 50)), "", ""},
		tableRow{"end-to-end latency p99 (acknowledged → received)", ms(p99), "< " + ms(targetFanoutP99), yesNo(p99 < targetFanoutP99)},
		tableRow{"end-to-end latency max", ms(e2e[len(e2e)-1]), "", ""},
	)
	posts := b.posts() - startPosts
	b.detail("steady run: %d of %d acknowledged (%d failed; ack p50 %s, p99 %s); %d deliveries in %d POSTs (%.1f events per POST); "+
		"the last subscriber caught up %s after the last send; %d deliveries arrived before the provider's 200 (counted as 0 ms); CPU %s",
		acked, n, failed, ms(pct(ackLat, 50)), ms(pct(ackLat, 99)), len(e2e), posts, float64(len(e2e))/float64(max(posts, 1)),
		drain.Round(time.Millisecond), early, cpuText(cpu))
	return nil
}

// openLoop sends reqs at opt.rate per second whatever the answers (a
// request goes out on the first free connection when it is due) and
// records each acknowledgement's time; it returns the acknowledgement
// latencies, counted from when each request was due.
func (b *fanoutBench) openLoop(ctx context.Context, reqs []loadgen.Request) ([]time.Duration, int) {
	type due struct {
		i  int
		at time.Time
	}
	ticks := make(chan due, len(reqs))
	var mu sync.Mutex
	var lats []time.Duration
	var failed int
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			c := loadgen.NewConn(b.addr)
			defer c.Close()
			var mine []time.Duration
			bad := 0
			for tk := range ticks {
				status, _, err := c.Do(reqs[tk.i], false)
				now := time.Now()
				if err != nil || status != http.StatusOK {
					bad++
					continue
				}
				b.acked[tk.i].Store(now.UnixNano())
				mine = append(mine, now.Sub(tk.at))
			}
			mu.Lock()
			lats = append(lats, mine...)
			failed += bad
			mu.Unlock()
		})
	}
	interval := time.Second / time.Duration(b.opt.rate)
	start := time.Now()
	for i := range reqs {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		if ctx.Err() != nil {
			break
		}
		ticks <- due{i: i, at: at}
	}
	close(ticks)
	wg.Wait()
	return lats, failed
}

// catchUp waits until every subscriber has received every incoming
// message stored since the webhooks were created, and returns how long
// that took and the delivered rate meanwhile.
func (b *fanoutBench) catchUp(ctx context.Context, limit time.Duration) (time.Duration, float64, error) {
	start := time.Now()
	first := b.delivered()
	target, err := b.eventCount(ctx)
	if err != nil {
		return 0, 0, err
	}
	for {
		done := true
		for _, r := range b.receivers {
			if r.unique.Load() < target {
				done = false
				break
			}
		}
		if done {
			took := time.Since(start)
			return took, float64(b.delivered()-first) / max(took.Seconds(), 1e-3), nil
		}
		if time.Since(start) > limit {
			var got []int64
			for _, r := range b.receivers {
				got = append(got, r.unique.Load())
			}
			var pending []string
			rows, err := b.app.pool.Query(ctx, `SELECT id, consecutive_failures, coalesce(last_error, ''), coalesce(leased_by, '') FROM waba_webhooks ORDER BY id`)
			if err == nil {
				for rows.Next() {
					var id, fails int64
					var lastErr, leased string
					_ = rows.Scan(&id, &fails, &lastErr, &leased)
					pending = append(pending, fmt.Sprintf("#%d failures=%d error=%q lease=%q", id, fails, lastErr, leased))
				}
				rows.Close()
			}
			return 0, 0, fmt.Errorf("subscribers did not catch up within %s: %d events each expected, received %v; webhooks: %v", limit, target, got, pending)
		}
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// eventCount is how many incoming messages each subscriber should have
// received by now: every one stored since the webhooks were created.
func (b *fanoutBench) eventCount(ctx context.Context) (int64, error) {
	var n int64
	err := b.app.pool.QueryRow(ctx, `SELECT count(*) FROM events e
WHERE e.kind = 'incoming_message' AND e.created_at >= (SELECT min(created_at) FROM waba_webhooks)`).Scan(&n)
	return n, err
}

// readCPU reads the CPU accounting, tracking the PostgreSQL processes that
// serve this run: the bench database's backends and the server's own
// writers, not the other databases of a shared server.
func (b *fanoutBench) readCPU(ctx context.Context) loadgen.CPU {
	rows, err := b.app.pool.Query(ctx, `SELECT pid FROM pg_stat_activity
WHERE datname = current_database() OR backend_type IN ('checkpointer', 'background writer', 'walwriter')`)
	var pids []int
	if err == nil {
		pids, _ = pgx.CollectRows(rows, pgx.RowTo[int])
	}
	return loadgen.ReadCPU(pids...)
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func (b *fanoutBench) print(w io.Writer) {
	fmt.Fprintf(w, "\n| fan-out (%d cores, %s runs) | measured | target | met |\n|---|---|---|---|\n", runtime.NumCPU(), b.opt.duration)
	for _, r := range b.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.metric, r.measured, r.target, r.met)
	}
	fmt.Fprintln(w)
	for _, d := range b.details {
		fmt.Fprintf(w, "- %s\n", d)
	}
}

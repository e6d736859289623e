package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/loadgen"
	"github.com/wamux/wamux/internal/seed"
	"github.com/wamux/wamux/internal/waba"
)

// benchOptions are the flags of `wamux bench`.
type benchOptions struct {
	chats, messages, users int
	conns, rate, reads     int
	attempts               int
	cpuProfile             string
	duration               time.Duration
	keep                   bool
}

// The issue's targets for this 2-core machine.
const (
	targetInboundRate = 4000                  // acknowledged req/s, each kind
	targetAckP99      = 80 * time.Millisecond // at 1,000 req/s
	targetChatsP99    = 20 * time.Millisecond
	targetPageP99     = 10 * time.Millisecond
	targetSearchP99   = 100 * time.Millisecond
)

// readBudget bounds the time of each timed series of reads (the searches
// share one).
const readBudget = 60 * time.Second

// maxInboundRate bounds how many requests a closed-loop phase prepares per
// second of its duration; a phase that sends them all ends early and says
// so.
const maxInboundRate = 25_000

// runBench is `wamux bench` (make bench): it creates a fresh database on
// the PostgreSQL of DATABASE_URL (or the one `make run` finds), serves
// wamux on a loopback port with serve's own wiring, seeds it, measures the
// reads and the inbound path, prints a markdown table, and drops the
// database unless --keep.
func runBench(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o benchOptions
	fs.IntVar(&o.chats, "chats", 10_000, "chats (customers) to seed")
	fs.IntVar(&o.messages, "messages", 1_000_000, "messages to seed (e.g. 200000 for a quick run)")
	fs.IntVar(&o.users, "users", 5, "agent users to seed")
	fs.IntVar(&o.conns, "conns", 64, "connections of the inbound throughput runs")
	fs.IntVar(&o.rate, "rate", 1000, "request rate of the acknowledgement latency run (req/s)")
	fs.IntVar(&o.reads, "reads", 200, "timed requests of each read")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each inbound run")
	fs.BoolVar(&o.keep, "keep", false, "keep the database afterwards")
	fs.IntVar(&o.attempts, "attempts", 3, "runs of an inbound phase at most, while other programs disturb it")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write CPU profiles of the inbound throughput runs (server and load generator) to F-messages and F-statuses")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || o.chats < 1 || o.messages < o.chats ||
		o.conns < 1 || o.rate < 1 || o.reads < 1 || o.duration <= 0 || o.attempts < 1 {
		fmt.Fprintln(stderr, "usage: wamux bench [--chats N] [--messages M] [--users U] [--conns C] [--rate R] [--reads N] [--duration D] [--attempts A] [--cpuprofile F] [--keep]")
		return errUsage
	}

	bcfg, name, cleanup, err := benchConfig(ctx, cfg, "wamux_bench", o.keep, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	logger := newLogger(bcfg, stderr)

	a, err := openApp(ctx, bcfg, logger, true)
	if err != nil {
		return err
	}
	defer a.close()
	token, err := a.accounts.CreateAdmin(ctx, "bench", "")
	if err != nil {
		return describe(err)
	}
	addr, stopServer, err := serveBench(ctx, a)
	if err != nil {
		return err
	}
	defer stopServer()

	b := &bench{opt: o, addr: addr, token: token, secret: bcfg.AppSecret, stderr: stderr, app: a}
	fmt.Fprintf(stderr, "wamux serves on %s, database %s, %d cores\n", addr, name, runtime.NumCPU())
	if err := b.run(ctx); err != nil {
		return err
	}
	b.print(stdout)
	return nil
}

// dropDatabase drops the bench's database, ending its connections first.
func dropDatabase(ctx context.Context, baseURL, dbname string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		return fmt.Errorf("connect to drop %s: %w", dbname, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{dbname}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", dbname, err)
	}
	return nil
}

// bench is one run's state and findings.
type bench struct {
	opt   benchOptions
	addr  string
	token string
	// agentToken is a seeded agent's: a regular user reads the chats of
	// its group (ChatPage), where the admin reads all (ChatPageAll).
	agentToken string
	secret     string
	stderr     io.Writer
	app        *app

	seeded    seed.Result
	customers []customerName

	rows    []tableRow
	details []string
}

type customerName struct{ waID, name string }

type tableRow struct{ metric, measured, target, met string }

func (b *bench) logf(format string, args ...any) { fmt.Fprintf(b.stderr, format+"\n", args...) }

func (b *bench) run(ctx context.Context) error {
	if err := b.calibrate(); err != nil {
		return err
	}
	b.logf("seeding %d messages in %d chats", b.opt.messages, b.opt.chats)
	before := b.readCPU(ctx)
	res, err := seed.Seed(ctx, b.app.pool, seed.Options{Chats: b.opt.chats, Messages: b.opt.messages, Users: b.opt.users, Progress: b.stderr})
	if err != nil {
		return err
	}
	b.seeded = res
	if len(res.AgentIDs) > 0 {
		var agent string
		if err := b.app.pool.QueryRow(ctx, "SELECT username FROM users WHERE id = $1", res.AgentIDs[0]).Scan(&agent); err != nil {
			return fmt.Errorf("find a seeded agent: %w", err)
		}
		if b.agentToken, err = b.app.accounts.IssueToken(ctx, agent); err != nil {
			return fmt.Errorf("token for %s: %w", agent, err)
		}
	}
	b.detail("seed: %d messages in %d chats, %d agents, %d received marks in %s (%.0f messages/s; CPU %s)",
		res.Messages, len(res.WaIDs), len(res.AgentIDs), res.Marks, res.Elapsed.Round(100*time.Millisecond),
		float64(res.Messages)/res.Elapsed.Seconds(), cpuText(b.readCPU(ctx).Since(before)))
	rows, err := b.app.pool.Query(ctx, "SELECT wa_id, profile_name FROM persons WHERE wa_id = ANY($1::text[])", res.WaIDs)
	if err != nil {
		return err
	}
	b.customers, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (customerName, error) {
		var c customerName
		return c, r.Scan(&c.waID, &c.name)
	})
	if err != nil {
		return err
	}
	// The seed's dirty pages are not the next phases' cost. CHECKPOINT
	// needs superuser or pg_checkpoint; without, the phases share it.
	if _, err := b.app.pool.Exec(ctx, "CHECKPOINT"); err != nil {
		b.logf("no CHECKPOINT after seeding (%v); measurements may pay for writing the seed back", err)
	}

	if err := b.reads(ctx); err != nil {
		return err
	}
	if err := b.latency(ctx); err != nil {
		return err
	}
	if err := b.throughput(ctx, "messages", "1 message", b.messageRequests); err != nil {
		return err
	}
	return b.throughput(ctx, "statuses", "1 status", b.statusRequests)
}

// calibrate times a fixed piece of wamux's own work, parsing a
// one-message notification, on one goroutine before anything else runs.
// The reference machine is a virtual machine whose speed changes from
// day to day by more than most changes to the code (the parser's Go
// benchmark, unchanged, took 25-28 µs on 25 November and 13-14 µs on 7
// December): this line says which kind of day a run had, so that runs can
// be compared (docs/performance.md).
func (b *bench) calibrate() error {
	body, _, err := waba.BuildInboundEnvelope(waba.DefaultBusiness(), "4915550001111", "Ann Lee",
		map[string]any{"text": map[string]any{"body": inboundTexts[0]}}, time.Now())
	if err != nil {
		return err
	}
	const rounds = 5
	best := time.Duration(1 << 62)
	for range rounds { // the fastest of five 200 ms samples: the least disturbed
		n, start := 0, time.Now()
		for time.Since(start) < 200*time.Millisecond {
			if _, err := waba.ParseNotification(body); err != nil {
				return err
			}
			n++
		}
		best = min(best, time.Since(start)/time.Duration(n))
	}
	b.detail("machine speed: parsing a one-message notification took %.1f µs (the fastest of %d samples; docs/performance.md compares runs by it)",
		float64(best)/float64(time.Microsecond), rounds)
	return nil
}

func (b *bench) detail(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	b.details = append(b.details, line)
	b.logf("%s", line)
}

// readCPU reads the CPU accounting, tracking the PostgreSQL processes that
// serve this run: the bench database's backends and the server's own
// writers (shared with any other database, but busy with ours here).
func (b *bench) readCPU(ctx context.Context) loadgen.CPU {
	rows, err := b.app.pool.Query(ctx, `SELECT pid FROM pg_stat_activity
WHERE datname = current_database() OR backend_type IN ('checkpointer', 'background writer', 'walwriter')`)
	var pids []int
	if err == nil {
		pids, _ = pgx.CollectRows(rows, pgx.RowTo[int])
	}
	return loadgen.ReadCPU(pids...)
}

// cpuText describes CPU usage, warning when other programs took enough of
// the machine to disturb the measurement.
func cpuText(u loadgen.Usage) string {
	if !u.OK {
		return "not measured"
	}
	s := fmt.Sprintf("%.2f of %d cores busy: wamux and load generator %.2f, PostgreSQL %.2f, other %.2f",
		u.Busy, u.Cores, u.Self, u.Tracked, u.Other)
	if u.Other > disturbed {
		s += " (DISTURBED: other programs or databases were busy)"
	}
	return s
}

// disturbance marks a measurement taken while other programs were busy.
func disturbance(u loadgen.Usage) string {
	if !u.OK || u.Other <= disturbed {
		return ""
	}
	return fmt.Sprintf(" (disturbed: others used %.1f cores)", u.Other)
}

// --- reads -------------------------------------------------------------------

func (b *bench) get(target string) loadgen.Request {
	return b.getAs(b.token, target)
}

func (b *bench) getAs(token, target string) loadgen.Request {
	h := http.Header{"Authorization": {"Token " + token}, "Accept": {"application/json"}}
	return loadgen.NewRequest(http.MethodGet, b.addr, target, h, nil)
}

// reads times the reads of the inbox screen (the chats list, a chat's
// messages, a search of messages and one of chats), one request at a time
// after a warm-up, as one user clicking through it would.
func (b *bench) reads(ctx context.Context) error {
	n := b.opt.reads
	r := rand.New(rand.NewPCG(2, 3))
	randomChat := func() string { return b.seeded.WaIDs[r.IntN(len(b.seeded.WaIDs))] }

	chats := make([]loadgen.Request, n)
	for i := range chats {
		chats[i] = b.get("/api/v1/chats/?limit=100")
	}
	var agentChats []loadgen.Request
	if b.agentToken != "" {
		agentChats = make([]loadgen.Request, n)
		for i := range agentChats {
			agentChats[i] = b.getAs(b.agentToken, "/api/v1/chats/?limit=100")
		}
	}
	pages := make([]loadgen.Request, n)
	for i := range pages {
		pages[i] = b.get("/api/v1/messages/" + url.PathEscape(randomChat()) + "/?limit=20")
	}
	terms := seed.SearchTerms()
	perTerm := max(n/len(terms), 1)
	searches := make([][]loadgen.Request, len(terms))
	chatSearches := make([][]loadgen.Request, len(terms))
	for k, t := range terms {
		for range perTerm {
			searches[k] = append(searches[k], b.get("/api/v1/messages/?search="+url.QueryEscape(t.Word)))
			chatSearches[k] = append(chatSearches[k], b.get("/api/v1/chats/?limit=100&search="+url.QueryEscape(t.Word)))
		}
	}
	// Each series stops early when its time is up, so that a pathological
	// plan cannot make the run endless; the table then says how many
	// requests it timed.
	timed := func(reqs []loadgen.Request, budget time.Duration, check func(int, []byte) error) loadgen.Result {
		ctx, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		return loadgen.Sequential(ctx, b.addr, reqs, check)
	}
	// Warm-up in the order an inbox screen is used: the chats, a chat's
	// messages, searches. Connections are pooled, so the timed series
	// below run on connections that served every kind of request.
	warmups := append(append([][]loadgen.Request{chats, pages}, searches...), chatSearches...)
	if agentChats != nil {
		warmups = append(warmups, agentChats)
	}
	for _, reqs := range warmups {
		res := timed(reqs[:min(10, len(reqs))], readBudget/5, nil)
		if res.OK != res.Sent || res.OK == 0 {
			return fmt.Errorf("reads warm-up failed: %s", res.FirstError)
		}
	}

	var page struct {
		Count   int               `json:"count"`
		Results []json.RawMessage `json:"results"`
	}
	decode := func(_ int, body []byte) error { return json.Unmarshal(body, &page) }
	b.logf("timing %d chats lists (and as many of an agent's), %d message pages, %d message searches, %d chats searches (at most %s each)", n, n, perTerm*len(terms), perTerm*len(terms), readBudget)
	b.settle(ctx)
	before := b.readCPU(ctx)
	chatRes := timed(chats, readBudget, decode)
	chatsSeen, chatCount := len(page.Results), page.Count
	var agentRes loadgen.Result
	var agentSeen, agentCount int
	if agentChats != nil {
		agentRes = timed(agentChats, readBudget, decode)
		agentSeen, agentCount = len(page.Results), page.Count
	}
	pageRes := timed(pages, readBudget, nil)
	// perWord times one series per search word, with the count each
	// word's last page reported.
	perWord := func(series [][]loadgen.Request) ([]loadgen.Result, []int) {
		res, counts := make([]loadgen.Result, len(series)), make([]int, len(series))
		for k, reqs := range series {
			res[k] = timed(reqs, readBudget/time.Duration(len(series)), decode)
			counts[k] = page.Count
		}
		return res, counts
	}
	termRes, counts := perWord(searches)
	chatTermRes, chatCounts := perWord(chatSearches)
	cpu := b.readCPU(ctx).Since(before)
	searchRes := loadgen.Combine(termRes...)
	chatSearchRes := loadgen.Combine(chatTermRes...)
	all := append(append([]loadgen.Result{chatRes, pageRes}, termRes...), chatTermRes...)
	if agentChats != nil {
		all = append(all, agentRes)
	}
	for _, r := range all {
		if r.OK != r.Sent || r.OK == 0 {
			return fmt.Errorf("reads failed: %d of %d answered 2xx (first failure: %s)", r.OK, r.Sent, r.FirstError)
		}
	}

	b.add2("chats list (limit 100, admin)", chatRes, targetChatsP99, cpu)
	if agentChats != nil {
		b.add2("chats list (limit 100, an agent: its group's chats)", agentRes, targetChatsP99, cpu)
	}
	b.add2("message page (limit 20, random chat)", pageRes, targetPageP99, cpu)
	b.add2(fmt.Sprintf("search (%d words of varying frequency)", len(terms)), searchRes, targetSearchP99, cpu)
	b.add2(fmt.Sprintf("chats search (the same %d words, limit 100)", len(terms)), chatSearchRes, targetSearchP99, cpu)
	b.detail("reads: sequential, one connection, after a warm-up; chats list showed %d of %d chats (the agent's: %d of %d); CPU %s",
		chatsSeen, chatCount, agentSeen, agentCount, cpuText(cpu))
	for k, t := range terms {
		// Search counts stop at a bound (inbox.SearchCountBound): at the
		// bound, the API says "at least".
		matches := fmt.Sprintf("%d matching messages (%.3f%% of the seeded ones)", counts[k], 100*float64(counts[k])/float64(b.seeded.Messages))
		if counts[k] >= inbox.SearchCountBound {
			matches = fmt.Sprintf("at least %d matching messages (the API counts searches up to that bound)", counts[k])
		}
		b.detail("search %q: %s; p50 %s, p99 %s over %d requests",
			t.Word, matches, ms(termRes[k].Percentile(50)), ms(termRes[k].Percentile(99)), termRes[k].Sent)
	}
	for k, t := range terms {
		matches := fmt.Sprintf("%d matching chats", chatCounts[k])
		if chatCounts[k] >= inbox.SearchCountBound {
			matches = fmt.Sprintf("at least %d matching chats", chatCounts[k])
		}
		b.detail("chats search %q: %s; p50 %s, p99 %s over %d requests",
			t.Word, matches, ms(chatTermRes[k].Percentile(50)), ms(chatTermRes[k].Percentile(99)), chatTermRes[k].Sent)
	}
	return nil
}

// add2 adds a p50 row and a p99 row with its target, saying how many
// requests were timed when the series ran out of time.
func (b *bench) add2(metric string, r loadgen.Result, target time.Duration, cpu loadgen.Usage) {
	if r.Sent < b.opt.reads {
		metric += fmt.Sprintf(" (%d requests in %s)", r.Sent, readBudget)
	}
	p99 := r.Percentile(99)
	b.rows = append(b.rows,
		tableRow{metric + " p50", ms(r.Percentile(50)) + disturbance(cpu), "", ""},
		tableRow{metric + " p99", ms(p99) + disturbance(cpu), "< " + ms(target), yesNo(p99 < target)})
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v >= 100 {
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// --- inbound -----------------------------------------------------------------

// signed returns the provider's POST of body, signed as Meta signs it.
func (b *bench) signed(body []byte) loadgen.Request {
	h := http.Header{
		"Content-Type":        {"application/json"},
		"User-Agent":          {"facebookexternalua"},
		"X-Hub-Signature-256": {waba.Sign(body, b.secret)},
	}
	return loadgen.NewRequest(http.MethodPost, b.addr, "/api/v1/waba/webhook/", h, body)
}

// prepare builds n requests with build, on every core.
func prepare(n int, build func(r *rand.Rand, i int) (loadgen.Request, error)) ([]loadgen.Request, error) {
	reqs := make([]loadgen.Request, n)
	workers := runtime.NumCPU()
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w)+10, uint64(time.Now().UnixNano())))
			for i := w; i < n; i += workers {
				req, err := build(r, i)
				if err != nil {
					errs[w] = err
					return
				}
				reqs[i] = req
			}
		})
	}
	wg.Wait()
	return reqs, errors.Join(errs...)
}

var inboundTexts = []string{
	"Hi, is my order on its way?",
	"Hello! Can I still change the delivery address?",
	"Thanks, it arrived today 👍",
	"Do you have the rain coat in navy?",
	"My order number is 481516, when will it ship?",
}

// messageRequests returns n notifications of one new text message each,
// from seeded customers (nine in ten) and new ones.
func (b *bench) messageRequests(_ context.Context, n int) ([]loadgen.Request, string, error) {
	biz := waba.DefaultBusiness()
	reqs, err := prepare(n, func(r *rand.Rand, i int) (loadgen.Request, error) {
		from, name := "", ""
		if r.IntN(10) > 0 {
			c := b.customers[r.IntN(len(b.customers))]
			from, name = c.waID, c.name
		} else {
			from, name = fmt.Sprintf("4917%09d", r.IntN(1e9)), "New Customer"
		}
		msg := map[string]any{"text": map[string]any{"body": inboundTexts[r.IntN(len(inboundTexts))]}}
		body, _, err := waba.BuildInboundEnvelope(biz, from, name, msg, time.Now())
		if err != nil {
			return nil, err
		}
		return b.signed(body), nil
	})
	if err != nil || len(reqs) == 0 {
		return reqs, "", err
	}
	return reqs, fmt.Sprintf("%d-byte requests", len(reqs[0])), nil
}

// statusRequests returns n notifications of one status each: "read" for
// seeded outgoing messages not read yet, then "delivered" for wamids
// wamux never stored (kept pending, as statuses that overtake their
// message are), shuffled together.
func (b *bench) statusRequests(ctx context.Context, n int) ([]loadgen.Request, string, error) {
	rows, err := b.app.pool.Query(ctx, `SELECT wamid, chat_wa_id FROM messages
WHERE from_us AND read_at IS NULL AND failed_at IS NULL ORDER BY random() LIMIT $1`, n)
	if err != nil {
		return nil, "", err
	}
	type known struct{ wamid, to string }
	ks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (known, error) {
		var k known
		return k, r.Scan(&k.wamid, &k.to)
	})
	if err != nil {
		return nil, "", err
	}
	order := rand.New(rand.NewPCG(4, 5)).Perm(n)
	biz := waba.DefaultBusiness()
	reqs, err := prepare(n, func(r *rand.Rand, i int) (loadgen.Request, error) {
		var u waba.StatusUpdate
		if j := order[i]; j < len(ks) {
			u = waba.StatusUpdate{MessageID: ks[j].wamid, RecipientID: ks[j].to, Status: "read"}
		} else {
			to := b.customers[r.IntN(len(b.customers))].waID
			u = waba.StatusUpdate{MessageID: waba.NewOutboundMessageID(to), RecipientID: to, Status: "delivered", Category: "service"}
		}
		body, err := waba.BuildStatusEnvelope(biz, u)
		if err != nil {
			return nil, err
		}
		return b.signed(body), nil
	})
	stored := min(len(ks), n)
	return reqs, fmt.Sprintf("%d read statuses of stored messages and %d delivered statuses of unknown ones", stored, n-stored), err
}

// throughput sends one kind of notification over opt.conns connections as
// fast as they are acknowledged, after a one-second warm-up.
func (b *bench) throughput(ctx context.Context, kind, each string, build func(ctx context.Context, n int) ([]loadgen.Request, string, error)) error {
	warmN := maxInboundRate
	n := int(b.opt.duration.Seconds() * maxInboundRate)
	var (
		res loadgen.Result
		cpu loadgen.Usage
		mix string
	)
	err := b.attempts(ctx, kind, func(attempt int) (loadgen.Usage, error) {
		b.logf("preparing %d %s notifications", warmN+n, kind)
		all, m, err := build(ctx, warmN+n)
		if err != nil {
			return loadgen.Usage{}, err
		}
		warm := loadgen.ClosedLoop(ctx, b.addr, b.opt.conns, time.Second, all[:warmN])
		if warm.OK == 0 {
			return loadgen.Usage{}, fmt.Errorf("inbound %s warm-up: nothing acknowledged: %s", kind, warm.FirstError)
		}
		b.logf("sending %s for %s over %d connections", kind, b.opt.duration, b.opt.conns)
		stop, err := b.profile(kind)
		if err != nil {
			return loadgen.Usage{}, err
		}
		before := b.readCPU(ctx)
		r := loadgen.ClosedLoop(ctx, b.addr, b.opt.conns, b.opt.duration, all[warmN:])
		u := b.readCPU(ctx).Since(before)
		stop()
		b.logf("attempt %d: %.0f req/s; CPU %s", attempt, r.Rate(), cpuText(u))
		if attempt == 1 || u.Other < cpu.Other {
			res, cpu, mix = r, u, m
		}
		return u, nil
	})
	if err != nil {
		return err
	}
	rate := res.Rate()
	measured := fmt.Sprintf("%s req/s", thousands(int(rate))) + disturbance(cpu)
	if res.Errors+res.Failed > 0 {
		measured += fmt.Sprintf(" (%d errors)", res.Errors+res.Failed)
	}
	b.rows = append(b.rows, tableRow{
		fmt.Sprintf("inbound %s: acknowledged req/s, %s each, %d connections", kind, each, b.opt.conns),
		measured, "≥ " + thousands(targetInboundRate) + " req/s", yesNo(rate >= targetInboundRate && res.Errors+res.Failed == 0),
	})
	b.detail("inbound %s: %d acknowledged in %s, %d failed, %d errors%s; latency p50 %s, p99 %s, max %s; %s; CPU %s",
		kind, res.OK, res.Elapsed.Round(10*time.Millisecond), res.Failed, res.Errors, firstError(res),
		ms(res.Percentile(50)), ms(res.Percentile(99)), ms(res.Percentile(100)), mix, cpuText(cpu))
	if res.Exhausted {
		b.detail("inbound %s: every prepared request was sent before %s passed; raise maxInboundRate", kind, b.opt.duration)
	}
	return nil
}

// latency sends new-message notifications at a steady opt.rate for
// opt.duration (open loop) and reports the acknowledgement latency.
func (b *bench) latency(ctx context.Context) error {
	n := int(b.opt.duration.Seconds() * float64(b.opt.rate))
	var (
		res loadgen.Result
		cpu loadgen.Usage
	)
	err := b.attempts(ctx, "latency", func(attempt int) (loadgen.Usage, error) {
		reqs, _, err := b.messageRequests(ctx, n+b.opt.rate)
		if err != nil {
			return loadgen.Usage{}, err
		}
		warm := loadgen.ClosedLoop(ctx, b.addr, 4, time.Second, reqs[:b.opt.rate])
		if warm.OK == 0 {
			return loadgen.Usage{}, fmt.Errorf("latency warm-up: nothing acknowledged: %s", warm.FirstError)
		}
		b.logf("sending messages at %d req/s for %s", b.opt.rate, b.opt.duration)
		before := b.readCPU(ctx)
		r, err := loadgen.OpenLoop(ctx, b.addr, b.opt.rate, b.opt.duration, 128, reqs[b.opt.rate:])
		u := b.readCPU(ctx).Since(before)
		if err != nil {
			return u, err
		}
		b.logf("attempt %d: p50 %s, p99 %s; CPU %s", attempt, ms(r.Percentile(50)), ms(r.Percentile(99)), cpuText(u))
		if attempt == 1 || u.Other < cpu.Other {
			res, cpu = r, u
		}
		return u, nil
	})
	if err != nil {
		return err
	}
	p99 := res.Percentile(99)
	label := fmt.Sprintf("acknowledgement latency at %s req/s", thousands(b.opt.rate))
	b.rows = append(b.rows,
		tableRow{label + " p50", ms(res.Percentile(50)) + disturbance(cpu), "", ""},
		tableRow{label + " p99", ms(p99) + disturbance(cpu), "< " + ms(targetAckP99), yesNo(p99 < targetAckP99 && res.Errors+res.Failed == 0)})
	b.detail("latency run: %d acknowledged (%.0f req/s), %d failed, %d errors%s; max %s; CPU %s",
		res.OK, res.Rate(), res.Failed, res.Errors, firstError(res), ms(res.Percentile(100)), cpuText(cpu))
	return nil
}

// profile starts a CPU profile of this process (server and load
// generator) into opt.cpuProfile with the kind of run inserted before its
// extension, and returns how to stop it; without the flag it does nothing.
func (b *bench) profile(kind string) (stop func(), err error) {
	if b.opt.cpuProfile == "" {
		return func() {}, nil
	}
	ext := filepath.Ext(b.opt.cpuProfile)
	name := strings.TrimSuffix(b.opt.cpuProfile, ext) + "-" + kind + ext
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		b.logf("CPU profile in %s", name)
	}, nil
}

// Other programs share this machine (and other databases its PostgreSQL):
// a phase they disturbed measures them as much as wamux.
const (
	// disturbed is how much CPU (in cores) other processes may take during
	// a phase before it is run again.
	disturbed = 0.25
	// settleLimit bounds the wait for an idle machine before each phase.
	settleLimit = time.Minute
)

// attempts runs a phase up to opt.attempts times, each after waiting for
// the machine to settle, until one is not disturbed; run keeps the least
// disturbed result itself.
func (b *bench) attempts(ctx context.Context, phase string, run func(attempt int) (loadgen.Usage, error)) error {
	for attempt := 1; ; attempt++ {
		b.settle(ctx)
		u, err := run(attempt)
		if err != nil || !u.OK || u.Other <= disturbed || attempt >= b.opt.attempts || ctx.Err() != nil {
			return err
		}
		b.logf("%s was disturbed by other programs (%.2f cores); running it again", phase, u.Other)
	}
}

// settle waits, at most settleLimit, until the machine is nearly idle
// (wamux is idle between phases, so what is busy is somebody else).
func (b *bench) settle(ctx context.Context) {
	deadline := time.Now().Add(settleLimit)
	for ctx.Err() == nil {
		before := loadgen.ReadCPU()
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
		u := loadgen.ReadCPU().Since(before)
		if !u.OK || u.Busy < disturbed || time.Now().After(deadline) {
			if u.OK && u.Busy >= disturbed {
				b.logf("the machine is still busy (%.2f cores) after %s; measuring anyway", u.Busy, settleLimit)
			}
			return
		}
	}
}

func firstError(r loadgen.Result) string {
	if r.FirstError == "" {
		return ""
	}
	return " (first: " + r.FirstError + ")"
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// print writes the findings as markdown.
func (b *bench) print(w io.Writer) {
	fmt.Fprintf(w, "\n| metric | measured | target | met? |\n|---|---|---|---|\n")
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

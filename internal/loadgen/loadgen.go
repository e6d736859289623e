package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one complete HTTP/1.1 request (request line, headers, body),
// ready to be written to a connection.
type Request []byte

// NewRequest builds a Request for host (also the Host header) with the
// given headers; Content-Length is added when body is not empty.
func NewRequest(method, host, target string, header http.Header, body []byte) Request {
	b := make([]byte, 0, 256+len(body))
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, target...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	keys := make([]string, 0, len(header))
	for k := range header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range header[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if len(body) > 0 {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

// Timeout bounds every request: a request not answered within it counts
// as an error.
const Timeout = 30 * time.Second

// Conn is one keep-alive client connection; it dials on first use and
// again after an error. It is not safe for concurrent use.
type Conn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
}

// NewConn returns a connection to addr (host:port), not dialled yet.
func NewConn(addr string) *Conn { return &Conn{addr: addr} }

// Do sends req and reads the answer, returning its status code and, when
// keepBody is set, its body (otherwise discarded).
func (c *Conn) Do(req Request, keepBody bool) (int, []byte, error) {
	if c.c == nil {
		conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return 0, nil, err
		}
		c.c = conn
		c.br = bufio.NewReaderSize(conn, 16<<10)
	}
	if err := c.c.SetDeadline(time.Now().Add(Timeout)); err != nil {
		c.Close()
		return 0, nil, err
	}
	if _, err := c.c.Write(req); err != nil {
		c.Close()
		return 0, nil, err
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.Close()
		return 0, nil, err
	}
	var body []byte
	if keepBody {
		body, err = io.ReadAll(res.Body)
	} else {
		_, err = io.Copy(io.Discard, res.Body)
	}
	res.Body.Close()
	if err != nil || res.Close {
		c.Close()
	}
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, body, nil
}

// Close closes the connection; the next Do dials again.
func (c *Conn) Close() {
	if c.c != nil {
		c.c.Close()
		c.c, c.br = nil, nil
	}
}

// Result is what a run measured.
type Result struct {
	// Sent counts the requests sent, answered or not.
	Sent int
	// OK counts 2xx answers; Failed other answers; Errors requests without
	// an answer (connection errors, timeouts).
	OK, Failed, Errors int
	// Codes counts the answers by status code.
	Codes map[int]int
	// FirstError describes the first failure, if any.
	FirstError string
	// Elapsed is from the first request sent to the last answer.
	Elapsed time.Duration
	// Latencies are those of the OK answers, sorted.
	Latencies []time.Duration
	// Exhausted reports that the run ended because every prepared request
	// was sent, before its time was up.
	Exhausted bool
}

// Rate is the OK answers per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile returns the p-th percentile (0 < p <= 100) of the OK
// answers' latencies (nearest rank), or 0 without any.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.999999) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// tally collects one worker's observations; merged at the end of a run.
type tally struct {
	sent, ok, failed, errors int
	codes                    map[int]int
	firstErr                 string
	lat                      []time.Duration
}

func (t *tally) record(status int, err error, lat time.Duration) {
	t.sent++
	switch {
	case err != nil:
		t.errors++
		if t.firstErr == "" {
			t.firstErr = err.Error()
		}
	case status >= 200 && status < 300:
		t.ok++
		t.codes[status]++
		t.lat = append(t.lat, lat)
	default:
		t.failed++
		t.codes[status]++
		if t.firstErr == "" {
			t.firstErr = "answered " + strconv.Itoa(status)
		}
	}
}

func merge(ts []*tally, elapsed time.Duration) Result {
	r := Result{Codes: map[int]int{}, Elapsed: elapsed}
	for _, t := range ts {
		r.Sent += t.sent
		r.OK += t.ok
		r.Failed += t.failed
		r.Errors += t.errors
		for k, v := range t.codes {
			r.Codes[k] += v
		}
		if r.FirstError == "" {
			r.FirstError = t.firstErr
		}
		r.Latencies = append(r.Latencies, t.lat...)
	}
	slices.Sort(r.Latencies)
	return r
}

// ClosedLoop sends reqs over conns connections, each sending its next
// request as soon as the previous one is answered, every request once,
// until all are sent or d has passed. Latency is from send to answer.
func ClosedLoop(ctx context.Context, addr string, conns int, d time.Duration, reqs []Request) Result {
	var next atomic.Int64
	var wg sync.WaitGroup
	tallies := make([]*tally, conns)
	start := time.Now()
	deadline := start.Add(d)
	var exhausted atomic.Bool
	for w := range conns {
		t := &tally{codes: map[int]int{}, lat: make([]time.Duration, 0, 4096)}
		tallies[w] = t
		wg.Go(func() {
			c := NewConn(addr)
			defer c.Close()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= int64(len(reqs)) {
					exhausted.Store(true)
					return
				}
				t0 := time.Now()
				status, _, err := c.Do(reqs[i], false)
				t.record(status, err, time.Since(t0))
			}
		})
	}
	wg.Wait()
	r := merge(tallies, time.Since(start))
	r.Exhausted = exhausted.Load()
	return r
}

// OpenLoop sends reqs at rate requests per second for d, whatever the
// answers: request i is due at start + i/rate and goes out on the first of
// conns connections that is free. Its latency counts from when it was due,
// not from when it was sent, so a server that falls behind cannot hide the
// queue it causes (coordinated omission). Once the last request is due, the
// run waits at most Timeout for the answers still outstanding.
func OpenLoop(ctx context.Context, addr string, rate int, d time.Duration, conns int, reqs []Request) (Result, error) {
	if rate <= 0 {
		return Result{}, errors.New("open loop: rate must be positive")
	}
	total := min(int(d.Seconds()*float64(rate)), len(reqs))
	interval := time.Second / time.Duration(rate)
	type due struct {
		i  int
		at time.Time
	}
	ticks := make(chan due, total)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	tallies := make([]*tally, conns)
	for w := range conns {
		t := &tally{codes: map[int]int{}, lat: make([]time.Duration, 0, total/conns+16)}
		tallies[w] = t
		wg.Go(func() {
			c := NewConn(addr)
			defer c.Close()
			for tk := range ticks {
				if ctx.Err() != nil {
					t.record(0, ctx.Err(), 0)
					continue
				}
				status, _, err := c.Do(reqs[tk.i], false)
				t.record(status, err, time.Since(tk.at))
			}
		})
	}
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		ticks <- due{i: i, at: at}
	}
	close(ticks)
	stop := time.AfterFunc(Timeout, cancel)
	defer stop.Stop()
	wg.Wait()
	r := merge(tallies, time.Since(start))
	if ctx.Err() != nil && r.Sent < total {
		return r, fmt.Errorf("open loop: %d of %d requests were never sent", total-r.Sent, total)
	}
	return r, nil
}

// Sequential sends reqs one at a time on one connection and measures each;
// check, when set, inspects every answer's body and may fail the request.
func Sequential(ctx context.Context, addr string, reqs []Request, check func(i int, body []byte) error) Result {
	t := &tally{codes: map[int]int{}, lat: make([]time.Duration, 0, len(reqs))}
	c := NewConn(addr)
	defer c.Close()
	start := time.Now()
	for i, req := range reqs {
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		status, body, err := c.Do(req, check != nil)
		lat := time.Since(t0)
		if err == nil && check != nil && status >= 200 && status < 300 {
			err = check(i, body)
		}
		t.record(status, err, lat)
	}
	return merge([]*tally{t}, time.Since(start))
}

// Combine merges the results of several runs into one, as if their
// requests had been one run (elapsed times add up).
func Combine(rs ...Result) Result {
	ts := make([]*tally, len(rs))
	var elapsed time.Duration
	for i, r := range rs {
		t := &tally{sent: r.Sent, ok: r.OK, failed: r.Failed, errors: r.Errors, codes: r.Codes, firstErr: r.FirstError, lat: r.Latencies}
		ts[i] = t
		elapsed += r.Elapsed
	}
	return merge(ts, elapsed)
}

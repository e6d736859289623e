package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewRequestIsValidHTTP(t *testing.T) {
	t.Parallel()
	req := NewRequest(http.MethodPost, "127.0.0.1:8080", "/api/v1/waba/webhook/",
		http.Header{"Content-Type": {"application/json"}, "X-Hub-Signature-256": {"sha256=00"}}, []byte(`{"a":1}`))
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(req)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/waba/webhook/" || r.Host != "127.0.0.1:8080" ||
		r.Header.Get("X-Hub-Signature-256") != "sha256=00" || string(body) != `{"a":1}` {
		t.Errorf("parsed %s %s host %q headers %v body %q", r.Method, r.URL, r.Host, r.Header, body)
	}
}

// counter is a server that answers 200, or 500 for paths under /fail/,
// after delay, and counts the requests per path.
type counter struct {
	mu    sync.Mutex
	seen  map[string]int
	delay time.Duration
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.seen[r.URL.Path]++
	c.mu.Unlock()
	time.Sleep(c.delay)
	if strings.HasPrefix(r.URL.Path, "/fail/") {
		w.WriteHeader(http.StatusInternalServerError)
	}
	io.WriteString(w, "{}")
}

func serve(t *testing.T, delay time.Duration) (*counter, string) {
	t.Helper()
	c := &counter{seen: map[string]int{}, delay: delay}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, strings.TrimPrefix(srv.URL, "http://")
}

func requests(addr string, n int, prefix string) []Request {
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = NewRequest(http.MethodGet, addr, prefix+strconv.Itoa(i), nil, nil)
	}
	return reqs
}

func TestClosedLoopSendsEveryRequestOnce(t *testing.T) {
	t.Parallel()
	c, addr := serve(t, 0)
	reqs := append(requests(addr, 150, "/ok/"), requests(addr, 10, "/fail/")...)
	res := ClosedLoop(context.Background(), addr, 4, time.Minute, reqs)
	if res.Sent != 160 || res.OK != 150 || res.Failed != 10 || res.Errors != 0 || !res.Exhausted {
		t.Fatalf("sent %d, ok %d, failed %d, errors %d, exhausted %v", res.Sent, res.OK, res.Failed, res.Errors, res.Exhausted)
	}
	if len(c.seen) != 160 {
		t.Errorf("the server saw %d distinct requests, want 160", len(c.seen))
	}
	for p, n := range c.seen {
		if n != 1 {
			t.Errorf("%s was sent %d times", p, n)
		}
	}
	if res.Codes[200] != 150 || res.Codes[500] != 10 || len(res.Latencies) != 150 || res.Percentile(50) <= 0 {
		t.Errorf("codes %v, %d latencies, p50 %s", res.Codes, len(res.Latencies), res.Percentile(50))
	}
}

// A server slower than the schedule builds a queue; open-loop latencies
// must include the time requests waited in it.
func TestOpenLoopCountsLatencyFromWhenRequestsWereDue(t *testing.T) {
	t.Parallel()
	_, addr := serve(t, 20*time.Millisecond)
	// 20 requests due within 100 ms, one connection answering one per
	// 20 ms: the last waits for the 19 before it.
	res, err := OpenLoop(context.Background(), addr, 200, 100*time.Millisecond, 1, requests(addr, 100, "/ok/"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 20 || res.OK != 20 {
		t.Fatalf("sent %d, ok %d; want 20", res.Sent, res.OK)
	}
	if max := res.Percentile(100); max < 250*time.Millisecond {
		t.Errorf("the last request's latency is %s; it waited behind 19 others of 20 ms", max)
	}
}

func TestSequentialChecksBodies(t *testing.T) {
	t.Parallel()
	_, addr := serve(t, 0)
	calls := 0
	res := Sequential(context.Background(), addr, requests(addr, 5, "/ok/"), func(i int, body []byte) error {
		calls++
		if string(body) != "{}" {
			t.Errorf("body %q", body)
		}
		if i == 4 {
			return io.ErrUnexpectedEOF
		}
		return nil
	})
	if calls != 5 || res.OK != 4 || res.Errors != 1 {
		t.Errorf("%d checks, ok %d, errors %d", calls, res.OK, res.Errors)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	t.Parallel()
	r := Result{}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	if r.Percentile(50) != 50*time.Millisecond || r.Percentile(99) != 99*time.Millisecond || r.Percentile(100) != 100*time.Millisecond {
		t.Errorf("p50 %s, p99 %s, p100 %s", r.Percentile(50), r.Percentile(99), r.Percentile(100))
	}
	if (Result{}).Percentile(99) != 0 {
		t.Error("no latencies must give 0")
	}
}

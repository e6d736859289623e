package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/dbtest"
)

// The business number and secrets every wabasim and wamux of a test share.
const (
	phoneNumberID = "110200300400500"
	appSecret     = "e2e-app-secret"
	providerToken = "EAAG-e2e-token"
)

// node is one `wamux serve` process and the wabasim it talks to: wabasim
// POSTs its signed webhooks (injected inbound messages, statuses of sends)
// to this wamux, and this wamux sends through that wabasim.
type node struct {
	name   string
	url    string // wamux's base URL, http://127.0.0.1:port
	simURL string // wabasim's base URL
	wamux  *proc
	sim    *proc
}

type nodeOptions struct {
	// statusDelay is wabasim's wait before each status of a send (its
	// -status-delay). The default, 500ms, leaves wamux time to commit a
	// send before its first status arrives; TestStatusRacingItsSend covers
	// the race when it does not.
	statusDelay string
}

type nodeOption func(*nodeOptions)

// withStatusDelay sets wabasim's -status-delay ("-1ns": none at all).
func withStatusDelay(d string) nodeOption { return func(o *nodeOptions) { o.statusDelay = d } }

// simAddrLine finds wabasim's listening address in its text log.
var simAddrLine = regexp.MustCompile(`msg="wabasim listening" addr=(\S+)`)

// startNode starts a wabasim and a wamux on databaseURL. wabasim listens on
// a port of its own choosing (read back from its log); wamux's port is
// reserved first, since each must know the other's URL before it starts.
func startNode(t testing.TB, name, databaseURL string, opts ...nodeOption) *node {
	t.Helper()
	o := nodeOptions{statusDelay: "500ms"}
	for _, f := range opts {
		f(&o)
	}
	port := freePort(t)
	n := &node{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	n.sim = start(t, name+"/wabasim", binary("wabasim"), []string{
		"-addr", "127.0.0.1:0",
		"-webhook", n.url + "/api/v1/waba/webhook/",
		"-app-secret", appSecret,
		"-token", providerToken,
		"-phone-number-id", phoneNumberID,
		"-status-delay", o.statusDelay,
		// A status refused while wamux is busy is retried soon.
		"-retry-backoff", "100ms",
	}, nil)
	line := n.sim.waitLine(20*time.Second, "listening line", simAddrLine.MatchString)
	n.simURL = "http://" + simAddrLine.FindStringSubmatch(line)[1]

	n.wamux = start(t, name+"/wamux", binary("wamux"), []string{"serve"}, append(wamuxEnv(databaseURL),
		"WAMUX_ADDR="+strings.TrimPrefix(n.url, "http://"),
		"WAMUX_BASE_URL="+n.url,
		"WAMUX_PROVIDER=cloud",
		"WAMUX_PROVIDER_URL="+n.simURL+"/v21.0",
		"WAMUX_PROVIDER_TOKEN="+providerToken,
		"WAMUX_PHONE_NUMBER_ID="+phoneNumberID,
		"WAMUX_APP_SECRET="+appSecret,
		"WAMUX_MEDIA_DIR="+t.TempDir(),
		"WAMUX_WEBHOOK_ALLOW_PRIVATE=true",
		// The template database is migrated; replicas must not race on it.
		"WAMUX_MIGRATE_ON_START=false",
		"WAMUX_SHUTDOWN_TIMEOUT=5s",
		// A killed replica's webhooks go to another within seconds.
		"WAMUX_WEBHOOK_LEASE_TTL=5s",
	))
	n.wamux.waitLine(30*time.Second, `"serving" line`, func(l string) bool {
		var rec struct{ Msg, Addr string }
		return json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "serving" && rec.Addr == strings.TrimPrefix(n.url, "http://")
	})
	return n
}

// wamuxEnv is the environment every wamux command of a test shares.
func wamuxEnv(databaseURL string) []string {
	return []string{"DATABASE_URL=" + databaseURL, "WAMUX_ENV=production", "WAMUX_LOG_LEVEL=info", "WAMUX_MESSAGE_CAP=0"}
}

// freePort reserves a loopback port by binding it and letting it go; the
// process started on it right after takes it (a collision fails loudly in
// startNode, not silently).
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// newDatabase gives the test its own migrated database and an admin token,
// made by `wamux createadmin` (the token is its last stdout line).
func newDatabase(t testing.TB) (databaseURL, adminToken string) {
	t.Helper()
	databaseURL = dbtest.URL(t)
	cmd := exec.Command(binary("wamux"), "createadmin", "--username", "admin")
	// Its media directory would otherwise be var/media in the package.
	cmd.Env = append(append(baseEnv(), wamuxEnv(databaseURL)...), "WAMUX_MEDIA_DIR="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "wamux createadmin: %s", stderr.String())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	token := strings.TrimSpace(lines[len(lines)-1])
	require.NotEmpty(t, token, "createadmin printed no token: %q", out)
	return databaseURL, token
}

// client calls one HTTP server as one caller.
type client struct {
	t     testing.TB
	base  string
	token string // sent as "Authorization: Token ..." when set
	http  *http.Client
}

func newClient(t testing.TB, base, token string) *client {
	return &client{t: t, base: base, token: token, http: &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is an answer read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "not a JSON object: %s", r.Body)
	return m
}

// do sends body (JSON-encoded unless it is already []byte with a content
// type set by header) and reads the answer.
func (c *client) do(method, path string, body any, header ...string) response {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
		ct = "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Token "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err, "%s %s", method, path)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// getJSON GETs path and requires a 200 JSON object.
func (c *client) getJSON(path string) map[string]any {
	c.t.Helper()
	r := c.do(http.MethodGet, path, nil)
	require.Equal(c.t, http.StatusOK, r.Status, "GET %s: %s", path, r.Body)
	return r.JSON(c.t)
}

// results GETs a paginated list and returns its results.
func (c *client) results(path string) []map[string]any {
	c.t.Helper()
	page := c.getJSON(path)
	raw, ok := page["results"].([]any)
	require.True(c.t, ok, "GET %s: no results: %v", path, page)
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

// inject makes wabasim post a customer's message to its wamux, signed, and
// returns the provider message id. wabasim answers only after wamux did, so
// on return the message is committed.
func (n *node) inject(t testing.TB, body map[string]any) string {
	t.Helper()
	id, err := n.tryInject(body)
	require.NoError(t, err)
	return id
}

// tryInject is inject for other goroutines than the test's: it returns the
// problem instead of failing the test.
func (n *node) tryInject(body map[string]any) (string, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	res, err := injectClient.Post(n.simURL+"/_control/inbound", "application/json", bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("inject into %s: %w", n.name, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", fmt.Errorf("inject into %s: %w", n.name, err)
	}
	var out struct {
		ID     string `json:"id"`
		Status int    `json:"status"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.Status != http.StatusOK || out.ID == "" {
		return "", fmt.Errorf("inject into %s: wabasim answered %d: %s", n.name, res.StatusCode, b)
	}
	return out.ID, nil
}

var injectClient = &http.Client{Timeout: 30 * time.Second}

// injectText injects a text message from waID.
func (n *node) injectText(t testing.TB, waID, name, text string) string {
	t.Helper()
	return n.inject(t, textMessage(waID, name, text))
}

func textMessage(waID, name, text string) map[string]any {
	return map[string]any{"from": waID, "name": name, "text": text}
}

// eventually polls cond every 20 ms until it holds, failing the test with
// msg after within.
func eventually(t testing.TB, within time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: "+msg, append([]any{within}, args...)...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func itoa(n int) string { return fmt.Sprint(n) }

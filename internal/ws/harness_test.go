package ws_test

import (
	"bytes"
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

	"github.com/coder/websocket"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux"
	"github.com/wamux/wamux/internal/accounts"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/httpapi"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/media"
	"github.com/wamux/wamux/internal/ownership"
	"github.com/wamux/wamux/internal/waba"
	"github.com/wamux/wamux/internal/webhooks"
	"github.com/wamux/wamux/internal/ws"
)

const baseURL = "http://wamux.test"

// stack is one test's database and the services over it; servers (each
// with its own hub, as replicas have) are started on it with server.
type stack struct {
	t          testing.TB
	pool       *pgxpool.Pool
	logger     *slog.Logger
	cfg        config.Config
	auth       *auth.Authenticator
	accounts   *accounts.Service
	inbox      *inbox.Service
	media      *media.Service
	adminToken string
}

func newStack(t testing.TB) *stack {
	t.Helper()
	pool := dbtest.Pool(t)
	cfg, err := config.Parse(func(string) string { return "" })
	require.NoError(t, err)
	cfg.BaseURL, cfg.Env = baseURL, "development"
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := &stack{t: t, pool: pool, logger: logger, cfg: cfg}
	s.auth = auth.NewAuthenticator(pool, auth.NewProviderKeyVerifier("", time.Minute, logger), logger)
	s.accounts = accounts.New(pool, s.auth)
	provider, err := waba.New(waba.Config{Name: "sandbox", Logger: logger, Deliver: func(ctx context.Context, body []byte) error {
		n, err := waba.ParseNotification(body)
		if err != nil {
			return err
		}
		return s.inbox.Ingest(ctx, n)
	}})
	require.NoError(t, err)
	if c, ok := provider.(interface{ Close() error }); ok {
		t.Cleanup(func() { _ = c.Close() })
	}
	s.media = media.New(media.Config{Pool: pool, Dir: t.TempDir(), Provider: provider, Logger: logger, BaseURL: baseURL})
	s.inbox = inbox.New(inbox.Config{Pool: pool, Media: s.media, Provider: provider, Logger: logger})
	s.adminToken, err = s.accounts.CreateAdmin(context.Background(), "admin", "admin-secret-1")
	require.NoError(t, err)
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// server is one wamux HTTP server with its websocket hub.
type server struct {
	s   *stack
	srv *httptest.Server
	hub *ws.Hub
	// stop stops the hub (as serve does after the HTTP drain) and waits
	// for it.
	stop func()
}

// server starts the real Echo stack and a hub on the stack's database,
// tuned for tests (quick polls); both stop when the test ends.
func (s *stack) server(tweak ...func(*ws.Config)) *server {
	s.t.Helper()
	presenter := httpapi.NewPresenter(baseURL, s.accounts)
	cfg := ws.Config{Pool: s.pool, Logger: s.logger, Auth: s.auth, Presenter: presenter, Chats: s.inbox,
		PollInterval: 100 * time.Millisecond, CloseTimeout: 3 * time.Second}
	for _, f := range tweak {
		f(&cfg)
	}
	hub, err := ws.NewHub(cfg)
	require.NoError(s.t, err)
	own := ownership.New(ownership.Config{Pool: s.pool, Presenter: presenter})
	h, err := httpapi.New(httpapi.Deps{Config: s.cfg, Logger: s.logger, Pool: s.pool, Auth: s.auth, Accounts: s.accounts,
		Inbox: s.inbox, Inbound: s.inbox, Media: s.media, Ownership: own,
		Webhooks: webhooks.New(webhooks.Config{Pool: s.pool, Logger: s.logger, AllowPrivate: true}), Websockets: hub})
	require.NoError(s.t, err)
	srv := httptest.NewServer(h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	s.t.Cleanup(func() { stop(); srv.Close() })
	return &server{s: s, srv: srv, hub: hub, stop: stop}
}

// post sends a request with a JSON body (nil: none) and returns the status
// and body.
func (sv *server) post(method, path, token string, body any) (int, []byte) {
	sv.s.t.Helper()
	var r io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			b, err = json.Marshal(body)
			require.NoError(sv.s.t, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, sv.srv.URL+path, r)
	require.NoError(sv.s.t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(sv.s.t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(sv.s.t, err)
	return res.StatusCode, out
}

// inbound posts a provider notification to the server's inbound webhook.
func (sv *server) inbound(body []byte) {
	sv.s.t.Helper()
	status, out := sv.post("POST", "/api/v1/waba/webhook/", "", body)
	require.Equal(sv.s.t, http.StatusOK, status, "%s", out)
}

// metric reads one sample of the server's /metrics.
func (sv *server) metric(name string) string {
	sv.s.t.Helper()
	res, err := http.Get(sv.srv.URL + "/metrics")
	require.NoError(sv.s.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			return v
		}
	}
	return ""
}

// createUser creates an active user of role and returns its id and a
// token.
func (s *stack) createUser(username, role string) (int64, string) {
	s.t.Helper()
	ctx := context.Background()
	u, _, err := s.accounts.Create(ctx, accounts.NewUser{Username: username, Role: role, Password: username + "-pass-123"})
	require.NoError(s.t, err)
	tok, err := s.accounts.IssueToken(ctx, username)
	require.NoError(s.t, err)
	return u.ID, tok
}

func (s *stack) exec(sql string, args ...any) {
	s.t.Helper()
	_, err := s.pool.Exec(context.Background(), sql, args...)
	require.NoError(s.t, err)
}

// inboundText is a Cloud API notification with one text message.
func inboundText(wamid, from, name, text string, ts time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": "109876543210987", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": "15550001000", "phone_number_id": "110200300400500"},
			"contacts":          []any{map[string]any{"profile": map[string]any{"name": name}, "wa_id": from}},
			"messages": []any{map[string]any{"from": from, "id": wamid, "timestamp": fmt.Sprint(ts.Unix()), "type": "text",
				"text": map[string]any{"body": text}}},
		}}}}},
	})
	return b
}

// statusNote is a Cloud API notification with one status.
func statusNote(wamid, recipient, status string, ts time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": "109876543210987", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": "15550001000", "phone_number_id": "110200300400500"},
			"statuses":          []any{map[string]any{"id": wamid, "status": status, "timestamp": fmt.Sprint(ts.Unix()), "recipient_id": recipient}},
		}}}}},
	})
	return b
}

// spec is openapi.yaml, whose schemas every frame must match.
var spec = sync.OnceValue(func() *openapi3.T {
	doc, err := openapi3.NewLoader().LoadFromData(wamux.OpenAPI)
	if err != nil {
		panic(err)
	}
	return doc
})

// frameSchemas name the schema of each frame type.
var frameSchemas = map[string]string{"response": "WsResponse", "token": "WsTokenResult", "waba_webhook": "WsWabaWebhook"}

// frame is one message from the server, already validated against its
// schema.
type frame struct {
	raw []byte
	m   map[string]any
}

func (f frame) typ() string    { s, _ := f.m["type"].(string); return s }
func (f frame) status() string { s, _ := f.m["status"].(string); return s }

// payload is a waba_webhook frame's waba_payload.
func (f frame) payload() map[string]any { p, _ := f.m["waba_payload"].(map[string]any); return p }

// ids are the `id` of the objects in the payload's list named key
// ("messages", "statuses").
func (f frame) ids(key string) []string {
	var out []string
	list, _ := f.payload()[key].([]any)
	for _, o := range list {
		if id, ok := o.(map[string]any)["id"].(string); ok {
			out = append(out, id)
		}
	}
	return out
}

// client is a real websocket client whose frames a goroutine reads into a
// channel until the connection ends.
type client struct {
	t      testing.TB
	conn   *websocket.Conn
	frames chan frame
	done   chan struct{}
	err    error // why reading ended, once done is closed
}

// dial connects to the server's /ws/ and starts reading.
func (sv *server) dial() *client {
	c := sv.dialRaw()
	c.start()
	return c
}

// dialRaw connects without reading: nothing reads unless start is called.
func (sv *server) dialRaw() *client {
	t := sv.s.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(sv.srv.URL, "http")+"/ws/", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, res.StatusCode)
	conn.SetReadLimit(64 << 20)
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &client{t: t, conn: conn, frames: make(chan frame, 10000), done: make(chan struct{})}
}

func (c *client) start() {
	go func() {
		defer close(c.done)
		for {
			typ, data, err := c.conn.Read(context.Background())
			if err != nil {
				c.err = err
				return
			}
			f := frame{raw: data}
			if typ != websocket.MessageText || json.Unmarshal(data, &f.m) != nil {
				c.err = fmt.Errorf("not a JSON text frame: %q", data)
				return
			}
			if name, ok := frameSchemas[f.typ()]; !ok {
				c.err = fmt.Errorf("unknown frame type: %s", data)
				return
			} else if err := spec().Components.Schemas[name].Value.VisitJSON(toAny(data)); err != nil {
				c.err = fmt.Errorf("frame does not match %s: %v; frame: %s", name, err, data)
				return
			}
			c.frames <- f
		}
	}()
}

func toAny(data []byte) any {
	var v any
	_ = json.Unmarshal(data, &v)
	return v
}

func (c *client) sendText(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, []byte(s)))
}

// next returns the next frame, failing the test when none comes in time.
func (c *client) next() frame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-c.done:
		select {
		case f := <-c.frames:
			return f
		default:
		}
		require.FailNow(c.t, "the connection ended", "%v", c.err)
	case <-time.After(10 * time.Second):
		require.FailNow(c.t, "no frame within 10s")
	}
	return frame{}
}

// auth sends the token and requires success.
func (c *client) auth(token string) {
	c.t.Helper()
	c.sendText(`{"token": "` + token + `"}`)
	f := c.next()
	require.Equal(c.t, "token", f.typ(), "%s", f.raw)
	require.Equal(c.t, "success", f.status(), "%s", f.raw)
}

// until returns the frames received until one satisfies ok (included).
func (c *client) until(ok func(frame) bool) []frame {
	c.t.Helper()
	var out []frame
	for {
		f := c.next()
		out = append(out, f)
		if ok(f) {
			return out
		}
	}
}

// quiet requires that no frame arrives for d.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	select {
	case f := <-c.frames:
		require.FailNow(c.t, "unexpected frame", "%s", f.raw)
	case <-time.After(d):
	}
}

// closed waits for the connection to end and returns its close status
// (-1 when it ended without a close frame).
func (c *client) closed() websocket.StatusCode {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		require.FailNow(c.t, "the connection did not end within 15s")
	}
	return websocket.CloseStatus(c.err)
}

// hasMessage reports whether a frame carries the message wamid in
// `messages`.
func hasMessage(wamid string) func(frame) bool {
	return func(f frame) bool {
		for _, id := range f.ids("messages") {
			if id == wamid {
				return true
			}
		}
		return false
	}
}

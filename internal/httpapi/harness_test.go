package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux"
	"github.com/wamux/wamux/internal/accounts"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/business"
	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/contacts"
	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/httpapi"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/media"
	"github.com/wamux/wamux/internal/ownership"
	"github.com/wamux/wamux/internal/plugins"
	"github.com/wamux/wamux/internal/rules"
	"github.com/wamux/wamux/internal/savedresponse"
	"github.com/wamux/wamux/internal/waba"
	"github.com/wamux/wamux/internal/webhooks"
)

const baseURL = "http://wamux.test"

// specRouter finds the operation of openapi.yaml a request hit, so that
// every response a test sees is validated against the spec.
var specRouter = sync.OnceValue(func() routers.Router {
	doc, err := openapi3.NewLoader().LoadFromData(wamux.OpenAPI)
	if err != nil {
		panic(err)
	}
	doc.Servers = nil
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		panic(err)
	}
	return r
})

func init() {
	// The pages and probes outside JSON are validated for status and headers;
	// their bodies are opaque to the validator.
	for _, ct := range []string{"text/html", "text/plain", "application/yaml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// env is one test's running wamux: its own database, server and admin.
type env struct {
	t          testing.TB
	pool       *pgxpool.Pool
	srv        *httptest.Server
	accounts   *accounts.Service
	adminToken string
	inbox      *inbox.Service
	media      *media.Service
	rules      *rules.Service
	// provider is a loopback stand-in for the Cloud API.
	provider *fakeProvider
	// provider counts the requests made to the fake 360dialog key check.
	providerCalls *int
	mu            sync.Mutex
}

type option func(*config.Config)

func setup(t *testing.T, opts ...option) *env {
	t.Helper()
	t.Parallel()
	return newEnv(t, opts...)
}

func newEnv(t testing.TB, opts ...option) *env {
	t.Helper()
	pool := dbtest.Pool(t)
	e := &env{t: t, pool: pool, providerCalls: new(int)}

	// A loopback stand-in for 360dialog's key check: "valid-d360-key" is
	// valid, anything else is not.
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		*e.providerCalls++
		e.mu.Unlock()
		if r.Header.Get("D360-API-KEY") == "valid-d360-key" {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"url":"https://example.com/hook"}`))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(provider.Close)

	cfg, err := config.Parse(func(string) string { return "" })
	require.NoError(t, err)
	cfg.BaseURL = baseURL
	cfg.Env = "development"
	cfg.ProviderKeyURL = provider.URL + "/v1/configs/webhook"
	cfg.LoginBurst = 5
	cfg.MaxBodyBytes = 64 << 10
	for _, o := range opts {
		o(&cfg)
	}
	var logOut io.Writer = testWriter{t}
	if _, fuzzing := t.(*testing.F); fuzzing {
		logOut = io.Discard // a fuzz target may not log through its *testing.F
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	verifier := auth.NewProviderKeyVerifier(cfg.ProviderKeyURL, cfg.ProviderKeyCacheTTL, logger)
	a := auth.NewAuthenticator(pool, verifier, logger)
	e.accounts = accounts.New(pool, a)
	e.provider = newFakeProvider(t)
	cloud := e.provider.cloud()
	e.media = media.New(media.Config{Pool: pool, Dir: t.TempDir(), Provider: cloud, Logger: logger, BaseURL: cfg.BaseURL})
	e.inbox = inbox.New(inbox.Config{Pool: pool, Media: e.media, Provider: cloud, Logger: logger})
	e.rules = rules.New(rules.Config{Pool: pool, Logger: logger, AllowPrivate: true, Presenter: httpapi.NewPresenter(cfg.BaseURL, e.accounts),
		Assigner: ownership.New(ownership.Config{Pool: pool, Presenter: httpapi.NewPresenter(cfg.BaseURL, e.accounts)})})
	// The account half of the provider (templates, profile, contacts
	// check) is the one the configuration names: the sandbox unless an
	// option points WAMUX_PROVIDER and WAMUX_PROVIDER_URL at a fake.
	account, err := waba.New(waba.Config{Name: cfg.Provider, URL: cfg.ProviderURL, Token: cfg.ProviderToken,
		PhoneNumberID: cfg.PhoneNumberID, WABAID: cfg.WABAID, Logger: logger})
	require.NoError(t, err)
	if c, ok := account.(io.Closer); ok {
		t.Cleanup(func() { _ = c.Close() })
	}
	contactProviders, err := contacts.Open(cfg.ContactProviders, pool)
	require.NoError(t, err)
	h, err := httpapi.New(httpapi.Deps{Config: cfg, Logger: logger, Pool: pool, Auth: a, Accounts: e.accounts,
		Inbox: e.inbox, Inbound: e.inbox, Media: e.media,
		Rules:          e.rules,
		Webhooks:       webhooks.New(webhooks.Config{Pool: pool, Logger: logger, AllowPrivate: true}),
		Ownership:      ownership.New(ownership.Config{Pool: pool, Presenter: httpapi.NewPresenter(cfg.BaseURL, e.accounts)}),
		SavedResponses: savedresponse.New(pool),
		Business:       business.New(account.(waba.Account), logger),
		Contacts:       contactProviders,
		Plugins:        plugins.New(cfg.Plugins, nil, logger)})
	require.NoError(t, err)
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)

	e.adminToken, err = e.accounts.CreateAdmin(context.Background(), "admin", "admin-secret-1")
	require.NoError(t, err)
	return e
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// resp is an answer, already validated against openapi.yaml.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// req is a request to send.
type req struct {
	Method  string
	Path    string
	Token   string
	Header  map[string]string
	Cookies []*http.Cookie
	// Body is JSON-encoded unless it is a []byte or RawBody is set.
	Body    any
	RawBody []byte
	// ContentType overrides application/json.
	ContentType string
}

func (e *env) client() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends r and validates the answer against the operation of
// openapi.yaml it hit (when it hit one).
func (e *env) do(r req) resp {
	e.t.Helper()
	var body io.Reader
	ct := r.ContentType
	switch {
	case r.RawBody != nil:
		body = bytes.NewReader(r.RawBody)
	case r.Body != nil:
		b, err := json.Marshal(r.Body)
		require.NoError(e.t, err)
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "application/json"
		}
	}
	hr, err := http.NewRequest(r.Method, e.srv.URL+r.Path, body)
	require.NoError(e.t, err)
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	hr.Header.Set("Accept", "application/json")
	if r.Token != "" {
		hr.Header.Set("Authorization", "Token "+r.Token)
	}
	for k, v := range r.Header {
		hr.Header.Set(k, v)
	}
	for _, c := range r.Cookies {
		hr.AddCookie(c)
	}
	res, err := e.client().Do(hr)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	out := resp{Status: res.StatusCode, Header: res.Header, Body: b}
	e.validate(hr, out)
	return out
}

// validate checks a response against openapi.yaml: status documented,
// body matching its schema.
func (e *env) validate(hr *http.Request, r resp) {
	e.t.Helper()
	u, _ := url.Parse(baseURL + hr.URL.RequestURI())
	probe := hr.Clone(context.Background())
	probe.URL = u
	probe.Host = u.Host
	route, params, err := specRouter().FindRoute(probe)
	if err != nil {
		return // not an operation of the spec (404 and 405 answers)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
		Status:                 r.Status,
		Header:                 r.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(r.Body)
	require.NoError(e.t, openapi3filter.ValidateResponse(context.Background(), in),
		"%s %s -> %d does not match openapi.yaml; body: %s", hr.Method, hr.URL.Path, r.Status, r.Body)
}

// multipartBody encodes fields as multipart/form-data.
func multipartBody(t *testing.T, fields map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, w.WriteField(k, v))
	}
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

// createUser creates an active user with a password and a token through
// the API, as an admin would, and returns its id and token.
func (e *env) createUser(username, role string) (int, string) {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken,
		Body: map[string]any{"username": username, "email": username + "@example.com", "profile": map[string]any{"role": role}}})
	require.Equal(e.t, http.StatusCreated, r.Status, "%s", r.Body)
	m := r.JSON(e.t)
	id := int(m["id"].(float64))
	act := e.do(req{Method: "GET", Path: strings.TrimPrefix(m["activation_url"].(string), baseURL)})
	require.Equal(e.t, http.StatusOK, act.Status, "%s", act.Body)
	if tok, ok := act.JSON(e.t)["token"].(string); ok {
		return id, tok
	}
	r = e.do(req{Method: "POST", Path: "/api/v1/users/" + itoa(id) + "/password/change/", Token: e.adminToken,
		Body: map[string]any{"password": username + "-pass-123"}})
	require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
	tok := e.login(username, username+"-pass-123")
	return id, tok
}

func (e *env) login(username, password string) string {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: map[string]any{"username": username, "password": password}})
	require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
	return r.JSON(e.t)["token"].(string)
}

func itoa(n int) string { return strconv.Itoa(n) }

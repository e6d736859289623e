package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/waba"
)

const (
	testSecret = "test-app-secret"
	testToken  = "EAAG-test-token"
)

// standIn plays wamux's inbound webhook: it checks the signature with
// waba.VerifySignature, parses the body with waba.ParseNotification and
// passes the result on.
type standIn struct {
	srv           *httptest.Server
	notifications chan *waba.Notification
	mu            sync.Mutex
	// fail answers 500 to the next fail requests.
	fail int
}

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	h := &standIn{notifications: make(chan *waba.Notification, 100)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !waba.VerifySignature(body, r.Header.Get(waba.SignatureHeader), testSecret) {
			http.Error(w, `{"detail":"bad signature"}`, http.StatusUnauthorized)
			return
		}
		h.mu.Lock()
		fail := h.fail > 0
		if fail {
			h.fail--
		}
		h.mu.Unlock()
		if fail {
			http.Error(w, `{"detail":"try again"}`, http.StatusInternalServerError)
			return
		}
		n, err := waba.ParseNotification(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.notifications <- n
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// next waits for the next notification.
func (h *standIn) next(t *testing.T) *waba.Notification {
	t.Helper()
	select {
	case n := <-h.notifications:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook arrived")
		return nil
	}
}

type bundle struct {
	sim  *simulator
	api  *httptest.Server
	hook *standIn
}

func setup(t *testing.T) bundle {
	t.Helper()
	hook := newStandIn(t)
	sim := newSimulator(simConfig{
		Webhook:      hook.srv.URL + "/api/v1/waba/webhook/",
		AppSecret:    testSecret,
		Token:        testToken,
		StatusDelay:  time.Millisecond,
		MaxAttempts:  5,
		RetryBackoff: 5 * time.Millisecond,
	}, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		api.Close()
		sim.Close()
	})
	return bundle{sim: sim, api: api, hook: hook}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// cloud returns wamux's cloud provider pointed at the simulator.
func (b bundle) cloud(token string) waba.Provider {
	return waba.NewCloud(waba.CloudConfig{
		BaseURL:       b.api.URL + "/v21.0",
		PhoneNumberID: waba.DefaultBusiness().PhoneNumberID,
		Token:         token,
	})
}

func (b bundle) postJSON(t *testing.T, path string, body string) (int, map[string]any) {
	t.Helper()
	res, err := http.Post(b.api.URL+path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return res.StatusCode, out
}

func TestInboundTextReachesWamuxSigned(t *testing.T) {
	t.Parallel()
	b := setup(t)
	status, out := b.postJSON(t, "/_control/inbound", `{"from":"15550001234","name":"Alice Example","text":"Hi, is my order on its way?"}`)
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.Equal(t, float64(http.StatusOK), out["status"], "wamux's answer; a bad signature would be 401")
	id, _ := out["id"].(string)
	require.True(t, strings.HasPrefix(id, "wamid."), id)

	n := b.hook.next(t)
	require.Len(t, n.Messages, 1)
	m := n.Messages[0]
	require.Equal(t, id, m.ID)
	require.Equal(t, "15550001234", m.From)
	require.Equal(t, "text", m.Type)
	require.Equal(t, "Hi, is my order on its way?", m.Text)
	require.InDelta(t, time.Now().Unix(), m.Timestamp, 5)
	require.Equal(t, "Alice Example", n.Contacts[0].ProfileName)
	require.Equal(t, waba.DefaultBusiness().PhoneNumberID, m.PhoneNumberID)
}

func TestInboundMessageObject(t *testing.T) {
	t.Parallel()
	b := setup(t)
	status, out := b.postJSON(t, "/_control/inbound", `{"from":"4915550001111","name":"Bernd","message":{
		"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"confirm_yes","title":"Yes, confirm"}},
		"context":{"from":"15550001000","id":"wamid.PREVIOUS"}}}`)
	require.Equal(t, http.StatusOK, status, "%v", out)
	n := b.hook.next(t)
	require.Equal(t, "interactive", n.Messages[0].Type)
	require.Equal(t, "Yes, confirm", n.Messages[0].Text)
	require.JSONEq(t, `{"from":"15550001000","id":"wamid.PREVIOUS"}`, string(n.Messages[0].Context))
}

func TestInboundReportsWamuxsStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.hook.mu.Lock()
	b.hook.fail = 1
	b.hook.mu.Unlock()
	status, out := b.postJSON(t, "/_control/inbound", `{"from":"15550001234","name":"A","text":"x"}`)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, float64(http.StatusInternalServerError), out["status"], "one attempt, wamux's status passed on")
}

func TestInboundRejectsBadRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, body := range []string{
		`not json`,
		`{"from":"1","name":"A"}`,
		`{"name":"A","text":"x"}`,
		`{"from":"1","text":"x","message":{"type":"text","text":{"body":"x"}}}`,
		`{"from":"1","message":{"foo":1}}`,
	} {
		status, out := b.postJSON(t, "/_control/inbound", body)
		require.Equal(t, http.StatusBadRequest, status, body)
		require.NotEmpty(t, out["error"], body)
	}
}

func TestSendThroughCloudProviderReportsStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	msg := waba.OutgoingMessage{
		To: "15550001234", Type: "text", Body: json.RawMessage(`{"body":"Your order ships today."}`),
		Context: json.RawMessage(`{"message_id":"wamid.PREVIOUS"}`),
	}
	res, err := b.cloud(testToken).Send(context.Background(), msg)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(res.MessageID, "wamid."), res.MessageID)
	require.JSONEq(t, `{"messaging_product":"whatsapp","contacts":[{"input":"15550001234","wa_id":"15550001234"}],"messages":[{"id":"`+res.MessageID+`"}]}`, string(res.Response))

	for _, want := range []string{"sent", "delivered", "read"} {
		n := b.hook.next(t)
		require.Len(t, n.Statuses, 1)
		require.Equal(t, res.MessageID, n.Statuses[0].ID)
		require.Equal(t, "15550001234", n.Statuses[0].RecipientID)
		require.Equal(t, want, n.Statuses[0].Status)
	}

	// The control API lists the send with the body as received.
	r, err := http.Get(b.api.URL + "/_control/sent")
	require.NoError(t, err)
	defer r.Body.Close()
	var sent struct {
		Messages []sentMessage `json:"messages"`
	}
	require.NoError(t, json.NewDecoder(r.Body).Decode(&sent))
	require.Len(t, sent.Messages, 1)
	require.Equal(t, res.MessageID, sent.Messages[0].ID)
	require.Equal(t, "15550001234", sent.Messages[0].To)
	require.Equal(t, "text", sent.Messages[0].Type)
	require.JSONEq(t, string(res.Request), string(sent.Messages[0].Payload))
}

func TestStatusWebhooksAreRetriedInOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.hook.mu.Lock()
	b.hook.fail = 3
	b.hook.mu.Unlock()
	res, err := b.cloud(testToken).Send(context.Background(), waba.OutgoingMessage{
		To: "15550001234", Type: "template", Body: json.RawMessage(`{"name":"hello_world","language":{"code":"en_US"}}`),
	})
	require.NoError(t, err)
	for _, want := range []string{"sent", "delivered", "read"} {
		n := b.hook.next(t)
		require.Equal(t, res.MessageID, n.Statuses[0].ID)
		require.Equal(t, want, n.Statuses[0].Status)
	}
}

func TestSendRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	text := json.RawMessage(`{"body":"x"}`)
	cases := []struct {
		name   string
		p      waba.Provider
		msg    waba.OutgoingMessage
		status int
		code   int
	}{
		{"wrong token", b.cloud("wrong"), waba.OutgoingMessage{To: "15550001234", Type: "text", Body: text}, 401, 190},
		{"undeliverable", b.cloud(testToken), waba.OutgoingMessage{To: "0001234", Type: "text", Body: text}, 400, 131026},
		{"other number", waba.NewCloud(waba.CloudConfig{BaseURL: b.api.URL + "/v21.0", PhoneNumberID: "999", Token: testToken}),
			waba.OutgoingMessage{To: "15550001234", Type: "text", Body: text}, 400, 100},
	}
	for _, c := range cases {
		_, err := c.p.Send(ctx, c.msg)
		var pe *waba.ProviderError
		require.ErrorAs(t, err, &pe, c.name)
		require.Equal(t, c.status, pe.HTTPStatus, c.name)
		require.Equal(t, c.code, pe.Code, c.name)
	}

	// Malformed bodies, which wamux's provider would never send, posted
	// directly.
	for _, body := range []string{
		`[]`,
		`{"to":"1","type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","to":"1","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","to":"1","type":"text"}`,
		`{"messaging_product":"whatsapp","to":"1","type":"image","text":{"body":"x"}}`,
	} {
		req, err := http.NewRequest(http.MethodPost, b.api.URL+"/v21.0/"+waba.DefaultBusiness().PhoneNumberID+"/messages", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+testToken)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var out struct {
			Error struct {
				Message string `json:"message"`
				Code    int    `json:"code"`
			} `json:"error"`
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		res.Body.Close()
		require.Equal(t, http.StatusBadRequest, res.StatusCode, body)
		require.Equal(t, 100, out.Error.Code, body)
		require.Equal(t, "(#100) Invalid parameter", out.Error.Message, body)
	}
}

func TestMarkAsRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req, err := http.NewRequest(http.MethodPost, b.api.URL+"/v21.0/"+waba.DefaultBusiness().PhoneNumberID+"/messages",
		strings.NewReader(`{"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.JSONEq(t, `{"success":true}`, string(body))
}

func TestMediaRoundTripThroughCloudProvider(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := b.cloud(testToken)
	data := bytes.Repeat([]byte("%PDF-1.7 invoice "), 1000)
	id, err := p.UploadMedia(ctx, data, "application/pdf", "invoice-4711.pdf")
	require.NoError(t, err)
	got, mimeType, err := p.DownloadMedia(ctx, id)
	require.NoError(t, err)
	require.Equal(t, data, got)
	require.Equal(t, "application/pdf", mimeType)

	_, _, err = p.DownloadMedia(ctx, "1234567890123456")
	var pe *waba.ProviderError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 100, pe.Code)

	_, _, err = b.cloud("wrong").DownloadMedia(ctx, id)
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 190, pe.Code)
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	base := b.api.URL + "/v21.0/" + waba.DefaultBusiness().WABAID + "/message_templates"
	do := func(method, url, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+testToken)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}

	status, out := do(http.MethodGet, base, "")
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, out["data"])

	status, out = do(http.MethodPost, base, `{"name":"order_update","language":"en_US","category":"utility","components":[{"type":"BODY","text":"Your order {{1}} ships today."}]}`)
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.Equal(t, "APPROVED", out["status"])
	require.Equal(t, "UTILITY", out["category"])
	status, _ = do(http.MethodPost, base, `{"name":"order_update","language":"de","category":"UTILITY"}`)
	require.Equal(t, http.StatusOK, status)
	status, out = do(http.MethodPost, base, `{"name":"order_update","language":"de","category":"UTILITY"}`)
	require.Equal(t, http.StatusBadRequest, status, "the same name and language twice")
	status, _ = do(http.MethodPost, base, `{"name":"Order Update","language":"de","category":"UTILITY"}`)
	require.Equal(t, http.StatusBadRequest, status)

	status, out = do(http.MethodGet, base+"?name=order_update", "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, out["data"], 2)

	status, _ = do(http.MethodDelete, base+"?name=order_update", "")
	require.Equal(t, http.StatusOK, status)
	status, out = do(http.MethodGet, base, "")
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, out["data"])
	status, _ = do(http.MethodDelete, base+"?name=order_update", "")
	require.Equal(t, http.StatusBadRequest, status)

	status, _ = do(http.MethodGet, b.api.URL+"/v21.0/999/message_templates", "")
	require.Equal(t, http.StatusBadRequest, status, "another account")
}

func TestRunServesAndShutsDown(t *testing.T) {
	t.Parallel()
	hook := newStandIn(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-webhook", hook.srv.URL, "-app-secret", testSecret, "-status-delay", "1ms"}, &syncWriter{w: &logs}, ready)
	}()
	addr := <-ready
	res, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	p := waba.NewCloud(waba.CloudConfig{BaseURL: "http://" + addr + "/v21.0", PhoneNumberID: waba.DefaultBusiness().PhoneNumberID, Token: "any"})
	_, err = p.Send(context.Background(), waba.OutgoingMessage{To: "15550001234", Type: "text", Body: json.RawMessage(`{"body":"x"}`)})
	require.NoError(t, err)
	require.Equal(t, "sent", hook.next(t).Statuses[0].Status)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-webhook", "localhost:8080"},
		{"-max-attempts", "0"},
		{"-log-level", "loud"},
		{"extra"},
		{"-no-such-flag"},
	} {
		err := run(context.Background(), args, io.Discard, nil)
		require.Error(t, err, "%v", args)
	}
}

// syncWriter serialises writes from the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

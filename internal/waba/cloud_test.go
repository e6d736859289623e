package waba

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// These tests run every case against both HTTP providers: Meta's Cloud API
// and 360dialog's flavour of it differ only in paths and credentials.

const (
	testPhoneNumberID = "110200300400500"
	testToken         = "EAAG-test-token"
	testAPIKey        = "d360-test-key"
)

// flavour describes one HTTP provider as a test server sees it.
type flavour struct {
	name string
	// newProvider returns the provider pointed at base (the test server).
	newProvider func(base string, timeout time.Duration) Provider
	// messagesPath, mediaPath and infoPath are the paths the provider must
	// use; infoPath takes the media id.
	messagesPath, mediaPath string
	infoPath                func(id string) string
	// authorized reports whether a request carries the credentials.
	authorized func(h http.Header) bool
}

func flavours() []flavour {
	return []flavour{
		{
			name: "cloud",
			newProvider: func(base string, timeout time.Duration) Provider {
				return NewCloud(CloudConfig{BaseURL: base + "/v21.0", PhoneNumberID: testPhoneNumberID, Token: testToken, Timeout: timeout})
			},
			messagesPath: "/v21.0/" + testPhoneNumberID + "/messages",
			mediaPath:    "/v21.0/" + testPhoneNumberID + "/media",
			infoPath:     func(id string) string { return "/v21.0/" + id },
			authorized: func(h http.Header) bool {
				return h.Get("Authorization") == "Bearer "+testToken && h.Get("D360-API-KEY") == ""
			},
		},
		{
			name: "360dialog",
			newProvider: func(base string, timeout time.Duration) Provider {
				return NewD360(D360Config{BaseURL: base, APIKey: testAPIKey, Timeout: timeout})
			},
			messagesPath: "/messages",
			mediaPath:    "/media",
			infoPath:     func(id string) string { return "/" + id },
			authorized: func(h http.Header) bool {
				return h.Get("D360-API-KEY") == testAPIKey && h.Get("Authorization") == ""
			},
		},
	}
}

// recorded is one request a test server received.
type recorded struct {
	method, path, query string
	header              http.Header
	body                []byte
}

// recorder is a test server that records requests and answers with a
// function of them.
type recorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	answer func(w http.ResponseWriter, r recorded)
}

func newRecorder(t *testing.T, answer func(w http.ResponseWriter, r recorded)) *recorder {
	t.Helper()
	rec := &recorder{answer: answer}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := recorded{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, req)
		rec.mu.Unlock()
		rec.answer(w, req)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

func answerJSON(status int, body []byte) func(w http.ResponseWriter, r recorded) {
	return func(w http.ResponseWriter, _ recorded) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

func readTestdata(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	require.NoError(t, err)
	return b
}

// outgoingFromFixture turns a send-request fixture back into the
// OutgoingMessage that must produce it.
func outgoingFromFixture(t *testing.T, fixture []byte) OutgoingMessage {
	t.Helper()
	var req map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(fixture, &req))
	var msg OutgoingMessage
	require.NoError(t, json.Unmarshal(req["to"], &msg.To))
	require.NoError(t, json.Unmarshal(req["type"], &msg.Type))
	msg.Body = req[msg.Type]
	msg.Context = req["context"]
	return msg
}

func TestSendRequestBodies(t *testing.T) {
	t.Parallel()
	success := readTestdata(t, "outbound", "responses", "send_success.json")
	type sendCase struct {
		name string
		msg  OutgoingMessage
		want []byte
	}
	var cases []sendCase
	for _, name := range []string{
		"text", "image_by_link", "image_by_id", "template_simple", "template_components",
		"reply_text_context", "document_by_id", "contacts", "location", "reaction",
		"reaction_remove", "interactive_list", "sticker_by_link", "audio_by_id", "video_by_link",
	} {
		fixture := readTestdata(t, "outbound", "send", name+".json")
		cases = append(cases, sendCase{name, outgoingFromFixture(t, fixture), fixture})
	}
	// PreviewURL adds preview_url to the text object.
	preview := readTestdata(t, "outbound", "send", "text_preview_url.json")
	cases = append(cases, sendCase{"text_preview_url", OutgoingMessage{
		To: "15550001234", Type: "text", PreviewURL: true,
		Body: json.RawMessage(`{"body":"Track your parcel here: https://example.com/track/4711"}`),
	}, preview})
	// hsm, the On-Premise template type, goes out as it is.
	hsm := `{"namespace":"c8ae5f90_307a_ca4c_b8f6_d1e2a2573574","element_name":"order_update","language":{"policy":"deterministic","code":"en"},"localizable_params":[{"default":"4711"}]}`
	cases = append(cases, sendCase{"hsm", OutgoingMessage{To: "15550001234", Type: "hsm", Body: json.RawMessage(hsm)},
		[]byte(`{"messaging_product":"whatsapp","recipient_type":"individual","to":"15550001234","type":"hsm","hsm":` + hsm + `}`)})

	for _, fl := range flavours() {
		for _, c := range cases {
			t.Run(fl.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				rec := newRecorder(t, answerJSON(http.StatusOK, success))
				p := fl.newProvider(rec.srv.URL, 0)
				res, err := p.Send(context.Background(), c.msg)
				require.NoError(t, err)
				require.Equal(t, "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI4RUI1ODE0NDNDMUI3NTg0NzYA", res.MessageID)
				require.JSONEq(t, string(success), string(res.Response))
				require.JSONEq(t, string(c.want), string(res.Request))

				reqs := rec.requests()
				require.Len(t, reqs, 1)
				r := reqs[0]
				require.Equal(t, http.MethodPost, r.method)
				require.Equal(t, fl.messagesPath, r.path)
				require.True(t, fl.authorized(r.header), "credentials: %v", r.header)
				require.Equal(t, "application/json", r.header.Get("Content-Type"))
				require.Equal(t, "wamux", r.header.Get("User-Agent"))
				require.JSONEq(t, string(c.want), string(r.body))
				require.Equal(t, string(res.Request), string(r.body), "Request is exactly what was sent")
			})
		}
	}
}

func TestSendProviderErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file    string
		status  int
		code    int
		message string
	}{
		{"error_100_invalid_parameter.json", 400, 100, "(#100) Invalid parameter: The request included one or more unsupported or misspelled parameters."},
		{"error_130429_rate_limit.json", 429, 130429, "(#130429) Rate limit hit: Cloud API message throughput has been reached."},
		{"error_131026_undeliverable.json", 400, 131026, "(#131026) Message Undeliverable: Message Undeliverable."},
		{"error_131047_reengagement.json", 400, 131047, "(#131047) Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
		{"error_131056_pair_rate_limit.json", 400, 131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit: Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."},
		{"error_132001_template_not_found.json", 404, 132001, "(#132001) Template name does not exist in the translation: template name (order_updat) does not exist in en_US"},
		{"error_190_access_token_expired.json", 401, 190, "Error validating access token: Session has expired on Monday, 10-Jun-24 09:00:00 PDT. The current time is Monday, 10-Jun-24 10:15:32 PDT."},
	}
	msg := OutgoingMessage{To: "15550001234", Type: "text", Body: json.RawMessage(`{"body":"hi"}`)}
	for _, fl := range flavours() {
		for _, c := range cases {
			t.Run(fl.name+"/"+c.file, func(t *testing.T) {
				t.Parallel()
				body := readTestdata(t, "outbound", "responses", c.file)
				rec := newRecorder(t, answerJSON(c.status, body))
				_, err := fl.newProvider(rec.srv.URL, 0).Send(context.Background(), msg)
				require.Error(t, err)
				pe, ok := err.(*ProviderError)
				require.True(t, ok, "a *ProviderError itself, got %T", err)
				require.Equal(t, c.status, pe.HTTPStatus)
				require.Equal(t, c.code, pe.Code)
				require.Equal(t, c.message, pe.Message)
				require.JSONEq(t, string(body), string(pe.Raw))
				require.Contains(t, err.Error(), fmt.Sprintf("code %d", c.code))
			})
		}
	}
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	msg := OutgoingMessage{To: "15550001234", Type: "text", Body: json.RawMessage(`{"body":"hi"}`)}
	for _, fl := range flavours() {
		t.Run(fl.name+"/500 with text", func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, func(w http.ResponseWriter, _ recorded) {
				http.Error(w, "upstream exploded", http.StatusInternalServerError)
			})
			_, err := fl.newProvider(rec.srv.URL, 0).Send(context.Background(), msg)
			var pe *ProviderError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, 500, pe.HTTPStatus)
			require.Equal(t, 0, pe.Code)
			require.Equal(t, "Internal Server Error: upstream exploded", pe.Message)
			require.Nil(t, pe.Raw, "a body that is not JSON is not kept as JSON")
		})
		t.Run(fl.name+"/503 with a Graph error", func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, answerJSON(503, []byte(`{"error":{"message":"Service temporarily unavailable","type":"OAuthException","code":2,"fbtrace_id":"x"}}`)))
			_, err := fl.newProvider(rec.srv.URL, 0).Send(context.Background(), msg)
			var pe *ProviderError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, 503, pe.HTTPStatus)
			require.Equal(t, 2, pe.Code)
			require.Equal(t, "Service temporarily unavailable", pe.Message)
		})
		t.Run(fl.name+"/360dialog gateway error shape", func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, answerJSON(401, []byte(`{"meta":{"success":false,"http_code":401,"developer_message":"Invalid api key"}}`)))
			_, err := fl.newProvider(rec.srv.URL, 0).Send(context.Background(), msg)
			var pe *ProviderError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, 401, pe.HTTPStatus)
			require.Equal(t, "Invalid api key", pe.Message)
		})
		t.Run(fl.name+"/timeout", func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			rec := newRecorder(t, func(w http.ResponseWriter, _ recorded) { <-release })
			defer close(release)
			start := time.Now()
			_, err := fl.newProvider(rec.srv.URL, 50*time.Millisecond).Send(context.Background(), msg)
			require.Error(t, err)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			var pe *ProviderError
			require.False(t, errors.As(err, &pe))
			require.Less(t, time.Since(start), 5*time.Second)
		})
		t.Run(fl.name+"/caller's cancellation", func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, answerJSON(200, []byte(`{}`)))
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := fl.newProvider(rec.srv.URL, 0).Send(ctx, msg)
			require.ErrorIs(t, err, context.Canceled)
		})
		t.Run(fl.name+"/connection refused", func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.NotFoundHandler())
			base := srv.URL
			srv.Close()
			_, err := fl.newProvider(base, 0).Send(context.Background(), msg)
			require.Error(t, err)
			var pe *ProviderError
			require.False(t, errors.As(err, &pe))
			require.Contains(t, err.Error(), fl.name+": send:")
		})
		t.Run(fl.name+"/answer without id", func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, answerJSON(200, []byte(`{"messaging_product":"whatsapp","messages":[]}`)))
			_, err := fl.newProvider(rec.srv.URL, 0).Send(context.Background(), msg)
			require.ErrorContains(t, err, "no messages[0].id")
		})
		t.Run(fl.name+"/answer too large", func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, answerJSON(200, []byte(`{"pad":"`+strings.Repeat("x", MaxJSONBytes)+`"}`)))
			_, err := fl.newProvider(rec.srv.URL, 0).Send(context.Background(), msg)
			require.ErrorContains(t, err, "exceeds")
		})
		t.Run(fl.name+"/redirect to another host", func(t *testing.T) {
			t.Parallel()
			other := newRecorder(t, answerJSON(200, readTestdata(t, "outbound", "responses", "send_success.json")))
			rec := newRecorder(t, func(w http.ResponseWriter, r recorded) {
				w.Header().Set("Location", other.srv.URL+r.path)
				w.WriteHeader(http.StatusTemporaryRedirect)
			})
			_, err := fl.newProvider(rec.srv.URL, 0).Send(context.Background(), msg)
			require.ErrorContains(t, err, "another host")
			require.Empty(t, other.requests(), "the credentials must not reach another host")
		})
		t.Run(fl.name+"/invalid message", func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, answerJSON(200, []byte(`{}`)))
			p := fl.newProvider(rec.srv.URL, 0)
			for _, bad := range []OutgoingMessage{
				{Type: "text", Body: json.RawMessage(`{"body":"x"}`)},
				{To: "1", Body: json.RawMessage(`{"body":"x"}`)},
				{To: "1", Type: "text"},
				{To: "1", Type: "text", Body: json.RawMessage(`{"body":`)},
				{To: "1", Type: "to", Body: json.RawMessage(`{}`)},
				{To: "1", Type: "Text!", Body: json.RawMessage(`{}`)},
				{To: "1", Type: "text", Body: json.RawMessage(`{}`), Context: json.RawMessage(`"x"`)},
			} {
				_, err := p.Send(context.Background(), bad)
				require.Error(t, err, "%+v", bad)
			}
			require.Empty(t, rec.requests())
		})
	}
}

// fakeMediaServer stores uploads and serves them the way each flavour
// does: a lookup answers a URL on Meta's media host, here a second server,
// which wants the same credentials.
type fakeMediaServer struct {
	api, lookaside *recorder
	mu             sync.Mutex
	files          map[string][]byte
	mimes          map[string]string
}

func newFakeMediaServer(t *testing.T, fl flavour) *fakeMediaServer {
	t.Helper()
	f := &fakeMediaServer{files: map[string][]byte{}, mimes: map[string]string{}}
	serveFile := func(w http.ResponseWriter, r recorded) {
		if !fl.authorized(r.header) {
			http.Error(w, "no credentials", http.StatusUnauthorized)
			return
		}
		id := strings.TrimPrefix(strings.Split(r.query, "&")[0], "mid=")
		f.mu.Lock()
		data, ok := f.files[id]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, nil)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)
	}
	f.lookaside = newRecorder(t, serveFile)
	f.api = newRecorder(t, func(w http.ResponseWriter, r recorded) {
		if !fl.authorized(r.header) {
			answerJSON(401, readTestdata(t, "outbound", "responses", "error_190_access_token_expired.json"))(w, r)
			return
		}
		switch {
		case r.method == http.MethodPost && r.path == fl.mediaPath:
			id, err := f.store(r)
			if err != nil {
				answerJSON(400, []byte(fmt.Sprintf(`{"error":{"message":%q,"code":100}}`, err.Error())))(w, r)
				return
			}
			answerJSON(200, []byte(`{"id":"`+id+`"}`))(w, r)
		case r.method == http.MethodGet && strings.HasPrefix(r.path, "/whatsapp_business/attachments/"):
			// 360dialog's proxy of Meta's media host.
			serveFile(w, r)
		case r.method == http.MethodGet:
			id := strings.TrimPrefix(r.path, fl.infoPath(""))
			f.mu.Lock()
			data, ok := f.files[id]
			mimeType := f.mimes[id]
			f.mu.Unlock()
			if !ok {
				answerJSON(400, []byte(`{"error":{"message":"Unsupported get request. Object with ID '`+id+`' does not exist","type":"GraphMethodException","code":100,"error_subcode":33}}`))(w, r)
				return
			}
			host := f.lookaside.srv.URL
			if fl.name == "360dialog" {
				host = "https://lookaside.fbsbx.com"
			}
			info, _ := json.Marshal(map[string]any{
				"messaging_product": "whatsapp",
				"url":               host + "/whatsapp_business/attachments/?mid=" + id + "&ext=1718000000&hash=ATsx",
				"mime_type":         mimeType,
				"sha256":            "x",
				"file_size":         len(data),
				"id":                id,
			})
			answerJSON(200, info)(w, r)
		default:
			http.NotFound(w, nil)
		}
	})
	return f
}

func (f *fakeMediaServer) store(r recorded) (string, error) {
	_, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil {
		return "", err
	}
	form, err := multipart.NewReader(strings.NewReader(string(r.body)), params["boundary"]).ReadForm(MaxMediaBytes)
	if err != nil {
		return "", err
	}
	if got := form.Value["messaging_product"]; len(got) != 1 || got[0] != "whatsapp" {
		return "", fmt.Errorf("messaging_product %v", got)
	}
	files := form.File["file"]
	if len(files) != 1 {
		return "", errors.New("no file")
	}
	if got := form.Value["type"]; len(got) != 1 || got[0] != files[0].Header.Get("Content-Type") {
		return "", fmt.Errorf("type %v, file part %q", got, files[0].Header.Get("Content-Type"))
	}
	file, err := files[0].Open()
	if err != nil {
		return "", err
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return "", err
	}
	id := NewMediaID()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[id] = data
	f.mimes[id] = form.Value["type"][0] + "|" + files[0].Filename
	return id, nil
}

func TestMediaRoundTrip(t *testing.T) {
	t.Parallel()
	for _, fl := range flavours() {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeMediaServer(t, fl)
			p := fl.newProvider(f.api.srv.URL, 0)
			ctx := context.Background()
			data := []byte("\x89PNG\r\n\x1a\n not really a picture")
			id, err := p.UploadMedia(ctx, data, "image/png", `receipt "4711".png`)
			require.NoError(t, err)
			require.Regexp(t, `^\d{16}$`, id)

			got, mimeType, err := p.DownloadMedia(ctx, id)
			require.NoError(t, err)
			require.Equal(t, data, got)
			// The fake keeps "type|filename" as the mime type, to show both
			// arrived.
			require.Equal(t, `image/png|receipt "4711".png`, mimeType)

			for _, r := range f.api.requests() {
				require.True(t, fl.authorized(r.header), "%s %s", r.method, r.path)
				require.Equal(t, "wamux", r.header.Get("User-Agent"))
			}
			if fl.name == "cloud" {
				// Meta's media host is another host and wants the token.
				require.Len(t, f.lookaside.requests(), 1)
			} else {
				// 360dialog's download went to the base URL's host, with
				// the path and query of Meta's URL.
				require.Empty(t, f.lookaside.requests())
				last := f.api.requests()[len(f.api.requests())-1]
				require.Equal(t, "/whatsapp_business/attachments/", last.path)
				require.Equal(t, "mid="+id+"&ext=1718000000&hash=ATsx", last.query)
			}

			_, _, err = p.DownloadMedia(ctx, "999")
			var pe *ProviderError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, 100, pe.Code)

			_, err = p.UploadMedia(ctx, nil, "image/png", "x.png")
			require.Error(t, err)
			_, _, err = p.DownloadMedia(ctx, "")
			require.Error(t, err)
		})
	}
}

func TestCloudRefusesMediaURLDowngrade(t *testing.T) {
	t.Parallel()
	g := newGraphAPI("cloud", "https://graph.facebook.com/v21.0", "", nil, 0, 0)
	_, err := g.checkDownloadURL("http://lookaside.fbsbx.com/x")
	require.ErrorContains(t, err, "not https")
	_, err = g.checkDownloadURL("file:///etc/passwd")
	require.Error(t, err)
	u, err := g.checkDownloadURL("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1")
	require.NoError(t, err)
	require.Equal(t, "lookaside.fbsbx.com", u.Host)
}

func TestProviderDefaults(t *testing.T) {
	t.Parallel()
	c := NewCloud(CloudConfig{PhoneNumberID: "123", Token: "t"}).(cloud)
	require.Equal(t, "cloud", c.Name())
	require.Equal(t, "https://graph.facebook.com/v21.0/123/messages", c.messagesURL)
	require.Equal(t, "https://graph.facebook.com/v21.0/123/media", c.mediaURL)
	require.Equal(t, "https://graph.facebook.com/v21.0/456", c.mediaInfoURL("456"))
	require.Equal(t, DefaultTimeout, c.timeout)

	d := NewD360(D360Config{APIKey: "k", HTTPClient: &http.Client{Timeout: 3 * time.Second}}).(d360)
	require.Equal(t, "360dialog", d.Name())
	require.Equal(t, "https://waba-v2.360dialog.io/messages", d.messagesURL)
	require.Equal(t, "https://waba-v2.360dialog.io/media", d.mediaURL)
	require.Equal(t, 3*time.Second, d.timeout, "the client's timeout is the default")
	got, err := d.downloadURL("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=3")
	require.NoError(t, err)
	require.Equal(t, "https://waba-v2.360dialog.io/whatsapp_business/attachments/?mid=1&ext=2&hash=3", got)

	_, err = NewCloud(CloudConfig{BaseURL: "graph.facebook.com"}).Send(context.Background(), OutgoingMessage{})
	require.ErrorContains(t, err, "not an absolute http(s) URL")
}

func TestNewGraphErrorParsesBack(t *testing.T) {
	t.Parallel()
	pe := NewGraphError(400, 131047, "(#131047) Re-engagement message", "Message failed to send because more than 24 hours have passed.")
	require.Equal(t, "(#131047) Re-engagement message: Message failed to send because more than 24 hours have passed.", pe.Message)
	back := parseProviderError(400, pe.Raw)
	require.Equal(t, pe.HTTPStatus, back.HTTPStatus)
	require.Equal(t, pe.Code, back.Code)
	require.Equal(t, pe.Message, back.Message)
	require.Contains(t, string(pe.Raw), `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":`)
}

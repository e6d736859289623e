package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wamux/wamux/internal/waba"
)

// fakeProvider is a loopback Cloud API: it accepts sends and answers like
// Meta, except for recipients that make it fail on purpose:
// "000131047..." -> the re-engagement error, "000500..." -> a 500.
type fakeProvider struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []map[string]any
	n    int
}

func newFakeProvider(t testing.TB) *fakeProvider {
	f := &fakeProvider{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProvider) cloud() waba.Provider {
	return waba.NewCloud(waba.CloudConfig{BaseURL: f.srv.URL + "/v21.0", PhoneNumberID: "110200300400500", Token: "test-token"})
}

func (f *fakeProvider) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/files/") {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(fakeJPEG)
		return
	}
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v21.0/") {
		id := strings.TrimPrefix(r.URL.Path, "/v21.0/")
		_, _ = fmt.Fprintf(w, `{"url":%q,"mime_type":"image/jpeg","sha256":"x","file_size":%d,"id":%q,"messaging_product":"whatsapp"}`,
			"http://"+r.Host+"/files/"+id, len(fakeJPEG), id)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/messages") || r.Method != http.MethodPost {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"message":"Unknown path","type":"OAuthException","code":100}}`)
		return
	}
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	to, _ := body["to"].(string)
	switch {
	case strings.HasPrefix(to, "000131047"):
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"AFSmWcE"}}`)
		return
	case strings.HasPrefix(to, "000500"):
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"message":"Service temporarily unavailable","code":2}}`)
		return
	}
	f.mu.Lock()
	f.n++
	id := fmt.Sprintf("wamid.TEST%06d", f.n)
	f.sent = append(f.sent, body)
	f.mu.Unlock()
	_, _ = fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":%q}]}`, to, to, id)
}

func (f *fakeProvider) sentCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// fakeJPEG is what the fake provider serves for any media id.
var fakeJPEG = append([]byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, make([]byte, 64)...)

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

// inbound posts a provider notification to wamux.
func (e *env) inbound(body []byte, headers ...string) resp {
	e.t.Helper()
	h := map[string]string{}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	return e.do(req{Method: "POST", Path: "/api/v1/waba/webhook/", RawBody: body, ContentType: "application/json", Header: h})
}

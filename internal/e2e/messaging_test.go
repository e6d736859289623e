package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestInboundAndSendThroughWabasim drives the messaging core through the
// fake provider (issue #3): a customer's message arrives signed and shows
// in chats and messages; a reply goes out through the provider and its
// sent, delivered and read statuses come back; inbound media is fetched
// from the provider and served by wamux; a provider refusal is a 4xx that
// stores nothing.
func TestInboundAndSendThroughWabasim(t *testing.T) {
	t.Parallel()
	databaseURL, admin := newDatabase(t)
	n := startNode(t, "node", databaseURL)
	api := newClient(t, n.url, admin)
	sim := newClient(t, n.simURL, "")

	// A customer writes.
	const alice = "15550101001"
	inID := n.injectText(t, alice, "Alice Smith", "Hello from Alice")
	chat := findBy(t, api.results("/api/v1/chats/"), "wa_id", alice)
	require.Equal(t, "Alice Smith", dig(chat, "contact", "waba_payload", "profile", "name"), "contact: %v", chat["contact"])
	require.Equal(t, inID, dig(chat, "last_message", "id"))
	msgs := api.results("/api/v1/messages/?wa_id=" + alice)
	require.Len(t, msgs, 1)
	require.Equal(t, inID, msgs[0]["id"])
	require.Equal(t, false, msgs[0]["from_us"])
	require.Equal(t, "Hello from Alice", dig(msgs[0], "waba_payload", "text", "body"))

	// wamux checks the signature wabasim put on that request: the same kind
	// of notification without it is refused and stores nothing.
	unsigned := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001000","phone_number_id":"` + phoneNumberID + `"},` +
		`"contacts":[{"profile":{"name":"Mallory"},"wa_id":"15550109999"}],` +
		`"messages":[{"from":"15550109999","id":"wamid.forged","timestamp":"1700000000","type":"text","text":{"body":"forged"}}]}}]}]}`)
	r := newClient(t, n.url, "").do(http.MethodPost, "/api/v1/waba/webhook/", unsigned, "Content-Type", "application/json")
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
	require.Empty(t, api.results("/api/v1/messages/?wa_id=15550109999"))

	// The admin answers; the provider gets the message.
	r = api.do(http.MethodPost, "/api/v1/messages/", map[string]any{"wa_id": alice, "text": map[string]any{"body": "Hi Alice, how can we help?"}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	outID, _ := dig(r.JSON(t), "waba_response", "messages", 0, "id").(string)
	require.NotEmpty(t, outID, "%s", r.Body)
	sent := sentMessages(t, sim)
	require.Len(t, sent, 1)
	require.Equal(t, outID, sent[0]["id"])
	require.Equal(t, alice, sent[0]["to"])
	require.Equal(t, "Hi Alice, how can we help?", dig(sent[0], "payload", "text", "body"))

	// Its statuses come back through the signed inbound path.
	var out map[string]any
	eventually(t, 15*time.Second, func() bool {
		for _, m := range api.results("/api/v1/messages/?wa_id=" + alice) {
			if m["id"] == outID {
				out = m
			}
		}
		st, _ := out["waba_statuses"].(map[string]any)
		return num(st["sent"]) > 0 && num(st["delivered"]) > 0 && num(st["read"]) > 0
	}, "sent, delivered and read statuses of %s", outID)
	require.Equal(t, true, out["from_us"])
	require.Equal(t, "admin", dig(out, "sender", "username"), "sender: %v", out["sender"])

	// A customer sends a picture: wamux links it to its own copy, fetched
	// from the provider.
	const bob = "15550101002"
	pic := testPNG(t)
	providerMedia := uploadToProvider(t, n, pic, "image/png")
	imgID := n.inject(t, map[string]any{"from": bob, "name": "Bob", "message": map[string]any{
		"type": "image", "image": map[string]any{"id": providerMedia, "mime_type": "image/png", "caption": "my receipt"}}})
	img := findBy(t, api.results("/api/v1/messages/?wa_id="+bob), "id", imgID)
	require.Equal(t, "my receipt", dig(img, "waba_payload", "image", "caption"))
	link, _ := dig(img, "waba_payload", "image", "link").(string)
	require.True(t, strings.HasPrefix(link, n.url+"/api/v1/media/"), "link %q points at wamux", link)
	require.NotEqual(t, providerMedia, dig(img, "waba_payload", "image", "id"), "the id is wamux's media id")
	r = api.do(http.MethodGet, strings.TrimPrefix(link, n.url), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "image/png", r.Header.Get("Content-Type"))
	require.Equal(t, pic, r.Body, "wamux serves the provider's bytes")
	require.NotEmpty(t, r.Header.Get("ETag"))

	// The provider refuses a recipient ("000..." in wabasim): a 4xx with
	// the provider's reason, and nothing stored or sent.
	const undeliverable = "00049123456"
	n.injectText(t, undeliverable, "Nobody", "ping")
	r = api.do(http.MethodPost, "/api/v1/messages/", map[string]any{"wa_id": undeliverable, "text": map[string]any{"body": "pong"}})
	require.GreaterOrEqual(t, r.Status, 400, "%s", r.Body)
	require.Less(t, r.Status, 500, "%s", r.Body)
	require.Contains(t, string(r.Body), "131026", "the provider's error code is passed on")
	msgs = api.results("/api/v1/messages/?wa_id=" + undeliverable)
	require.Len(t, msgs, 1, "only the customer's message: %v", msgs)
	require.Equal(t, false, msgs[0]["from_us"])
	require.Len(t, sentMessages(t, sim), 1, "the provider accepted nothing more")
}

// sentMessages lists what wabasim accepted for sending.
func sentMessages(t *testing.T, sim *client) []map[string]any {
	t.Helper()
	raw, _ := sim.getJSON("/_control/sent")["messages"].([]any)
	out := make([]map[string]any, len(raw))
	for i, m := range raw {
		out[i] = m.(map[string]any)
	}
	return out
}

// uploadToProvider stores a file in wabasim the way a customer's phone
// would have, through the Cloud API's media endpoint, and returns its
// provider media id.
func uploadToProvider(t *testing.T, n *node, data []byte, mimeType string) string {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	require.NoError(t, w.WriteField("messaging_product", "whatsapp"))
	require.NoError(t, w.WriteField("type", mimeType))
	fw, err := w.CreateFormFile("file", "receipt.png")
	require.NoError(t, err)
	_, err = fw.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	r := newClient(t, n.simURL, "").do(http.MethodPost, "/v21.0/"+phoneNumberID+"/media", body.Bytes(),
		"Content-Type", w.FormDataContentType(), "Authorization", "Bearer "+providerToken)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	id, _ := r.JSON(t)["id"].(string)
	require.NotEmpty(t, id)
	return id
}

// testPNG is a small real PNG, so content sniffing agrees with its type.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		for y := range 16 {
			img.Set(x, y, color.RGBA{R: uint8(x * 16), G: uint8(y * 16), B: 128, A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// findBy returns the item whose key equals want.
func findBy(t *testing.T, items []map[string]any, key string, want any) map[string]any {
	t.Helper()
	for _, it := range items {
		if it[key] == want {
			return it
		}
	}
	t.Fatalf("no item with %s = %v in %v", key, want, items)
	return nil
}

// dig walks a decoded JSON value by object keys and array indexes; nil
// when the path does not exist.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// TestStatusRacingItsSend: a provider may report "sent" before wamux has
// stored the message it just sent (wabasim with no status delay does so
// at once). Every status must still end up on its message.
func TestStatusRacingItsSend(t *testing.T) {
	t.Parallel()
	databaseURL, admin := newDatabase(t)
	n := startNode(t, "node", databaseURL, withStatusDelay("-1ns"))
	api := newClient(t, n.url, admin)
	const carol = "15550101003"
	n.injectText(t, carol, "Carol", "hi")
	var ids []string
	for i := range 10 {
		r := api.do(http.MethodPost, "/api/v1/messages/", map[string]any{"wa_id": carol, "text": map[string]any{"body": "reply " + itoa(i)}})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		ids = append(ids, dig(r.JSON(t), "waba_response", "messages", 0, "id").(string))
	}
	missing := func() []string {
		byID := map[string]map[string]any{}
		for _, m := range api.results("/api/v1/messages/?wa_id=" + carol) {
			byID[m["id"].(string)] = m
		}
		var out []string
		for _, id := range ids {
			st, _ := byID[id]["waba_statuses"].(map[string]any)
			for _, s := range []string{"sent", "delivered", "read"} {
				if num(st[s]) == 0 {
					out = append(out, id+" "+s)
				}
			}
		}
		return out
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	require.Empty(t, missing(), "statuses never applied to their messages")
}

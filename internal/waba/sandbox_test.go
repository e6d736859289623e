package waba

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// deliveries collects what a sandbox delivers.
type deliveries struct {
	mu     sync.Mutex
	bodies [][]byte
	// fail makes the first fail calls fail.
	fail int
}

func (d *deliveries) deliver(_ context.Context, body []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail > 0 {
		d.fail--
		return errors.New("database is down")
	}
	d.bodies = append(d.bodies, body)
	return nil
}

func (d *deliveries) all() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.bodies...)
}

// testLogger writes to the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

const wamidPattern = `^wamid\.[A-Za-z0-9+/]+=*$`

func TestSandboxSendReportsSentDeliveredRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var d deliveries
		s := NewSandbox(SandboxConfig{Deliver: d.deliver, Logger: testLogger(t)})
		defer s.Close()
		start := time.Now()

		msg := OutgoingMessage{To: "15550001234", Type: "text", Body: json.RawMessage(`{"body":"Your order ships today."}`)}
		res, err := s.Send(context.Background(), msg)
		require.NoError(t, err)
		require.Regexp(t, wamidPattern, res.MessageID)
		require.JSONEq(t, `{"messaging_product":"whatsapp","contacts":[{"input":"15550001234","wa_id":"15550001234"}],"messages":[{"id":"`+res.MessageID+`"}]}`, string(res.Response))
		require.JSONEq(t, `{"messaging_product":"whatsapp","recipient_type":"individual","to":"15550001234","type":"text","text":{"body":"Your order ships today."}}`, string(res.Request))

		// Nothing before the first delay, then one status per delay.
		synctest.Wait()
		require.Empty(t, d.all())
		for i := 1; i <= 3; i++ {
			time.Sleep(DefaultSandboxDelay)
			synctest.Wait()
			require.Len(t, d.all(), i)
		}

		want := []string{"sent", "delivered", "read"}
		var last int64
		for i, body := range d.all() {
			n, err := ParseNotification(body)
			require.NoError(t, err)
			require.Len(t, n.Statuses, 1)
			st := n.Statuses[0]
			require.Equal(t, res.MessageID, st.ID)
			require.Equal(t, "15550001234", st.RecipientID)
			require.Equal(t, want[i], st.Status)
			require.Equal(t, DefaultBusiness().PhoneNumberID, st.PhoneNumberID)
			require.GreaterOrEqual(t, st.Timestamp, last)
			require.GreaterOrEqual(t, st.Timestamp, start.Unix())
			last = st.Timestamp

			var raw struct {
				Timestamp    json.RawMessage `json:"timestamp"`
				Conversation *struct {
					ID                  string  `json:"id"`
					ExpirationTimestamp *string `json:"expiration_timestamp"`
					Origin              struct {
						Type string `json:"type"`
					} `json:"origin"`
				} `json:"conversation"`
				Pricing *struct {
					Billable     bool   `json:"billable"`
					PricingModel string `json:"pricing_model"`
					Category     string `json:"category"`
				} `json:"pricing"`
			}
			require.NoError(t, json.Unmarshal(st.Raw, &raw))
			require.Equal(t, byte('"'), raw.Timestamp[0], "timestamps are strings, as Meta sends them")
			switch st.Status {
			case "sent", "delivered":
				require.NotNil(t, raw.Conversation)
				require.Regexp(t, `^[0-9a-f]{32}$`, raw.Conversation.ID)
				require.Equal(t, "service", raw.Conversation.Origin.Type)
				require.Equal(t, st.Status == "sent", raw.Conversation.ExpirationTimestamp != nil)
				require.NotNil(t, raw.Pricing)
				require.Equal(t, "CBP", raw.Pricing.PricingModel)
				require.True(t, raw.Pricing.Billable)
			case "read":
				require.Nil(t, raw.Conversation)
				require.Nil(t, raw.Pricing)
			}
		}
	})
}

func TestSandboxTemplateAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var d deliveries
		s := NewSandbox(SandboxConfig{Deliver: d.deliver, Delay: -1})
		defer s.Close()
		res, err := s.Send(context.Background(), OutgoingMessage{
			To: "4915550001111", Type: "template",
			Body: json.RawMessage(`{"name":"hello_world","language":{"code":"en_US"}}`),
		})
		require.NoError(t, err)
		require.Contains(t, string(res.Response), `"message_status":"accepted"`)
		synctest.Wait()
		require.Len(t, d.all(), 3, "a negative delay delivers at once")
		require.Contains(t, string(d.all()[0]), `"category":"utility"`)
	})
}

func TestSandboxRetriesDeliveries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := deliveries{fail: 2}
		s := NewSandbox(SandboxConfig{Deliver: d.deliver, Logger: testLogger(t)})
		defer s.Close()
		res, err := s.Send(context.Background(), OutgoingMessage{To: "15550001234", Type: "text", Body: json.RawMessage(`{"body":"x"}`)})
		require.NoError(t, err)
		// Two failures cost 500ms + 1s of backoff on top of the delays.
		time.Sleep(3*DefaultSandboxDelay + 1500*time.Millisecond)
		synctest.Wait()
		bodies := d.all()
		require.Len(t, bodies, 3)
		for i, want := range []string{"sent", "delivered", "read"} {
			n, err := ParseNotification(bodies[i])
			require.NoError(t, err)
			require.Equal(t, want, n.Statuses[0].Status)
			require.Equal(t, res.MessageID, n.Statuses[0].ID)
		}
	})
}

func TestSandboxGivesUpAfterMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := deliveries{fail: 2}
		s := NewSandbox(SandboxConfig{Deliver: d.deliver, MaxAttempts: 2, Delay: time.Second, RetryBackoff: time.Second})
		defer s.Close()
		_, err := s.Send(context.Background(), OutgoingMessage{To: "1", Type: "text", Body: json.RawMessage(`{"body":"x"}`)})
		require.NoError(t, err)
		time.Sleep(time.Hour)
		synctest.Wait()
		// "sent" was dropped after two attempts; the later ones arrived.
		require.Len(t, d.all(), 2)
	})
}

func TestSandboxCloseStopsPendingDeliveries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var d deliveries
		s := NewSandbox(SandboxConfig{Deliver: d.deliver, Delay: time.Hour})
		for range 5 {
			_, err := s.Send(context.Background(), OutgoingMessage{To: "1", Type: "text", Body: json.RawMessage(`{"body":"x"}`)})
			require.NoError(t, err)
		}
		synctest.Wait()
		require.NoError(t, s.Close()) // returns without waiting an hour
		require.Empty(t, d.all())
		_, err := s.Send(context.Background(), OutgoingMessage{To: "1", Type: "text", Body: json.RawMessage(`{"body":"x"}`)})
		require.ErrorContains(t, err, "closed")
		require.NoError(t, s.Close(), "Close twice is fine")
		// synctest.Test fails if a goroutine the sandbox started is left.
	})
}

func TestSandboxCloseDuringDeliver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		entered := make(chan struct{}, 1)
		s := NewSandbox(SandboxConfig{Delay: -1, Deliver: func(ctx context.Context, _ []byte) error {
			entered <- struct{}{}
			<-ctx.Done() // a Deliver that honours cancellation
			return ctx.Err()
		}})
		_, err := s.Send(context.Background(), OutgoingMessage{To: "1", Type: "text", Body: json.RawMessage(`{"body":"x"}`)})
		require.NoError(t, err)
		<-entered
		require.NoError(t, s.Close())
	})
}

func TestSandboxRefusesMalformedSend(t *testing.T) {
	t.Parallel()
	s := NewSandbox(SandboxConfig{})
	defer s.Close()
	_, err := s.Send(context.Background(), OutgoingMessage{Type: "text", Body: json.RawMessage(`{"body":"x"}`)})
	var pe *ProviderError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 100, pe.Code)
	require.Equal(t, 400, pe.HTTPStatus)
	require.Contains(t, pe.Message, `(#100) Invalid parameter: message has no "to"`)
	require.True(t, json.Valid(pe.Raw))
}

func TestSandboxMedia(t *testing.T) {
	t.Parallel()
	s := NewSandbox(SandboxConfig{MaxMediaBytes: 10})
	defer s.Close()
	ctx := context.Background()
	id, err := s.UploadMedia(ctx, []byte("12345678"), "", "a.txt")
	require.NoError(t, err)
	require.Regexp(t, `^\d{16}$`, id)
	data, mimeType, err := s.DownloadMedia(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []byte("12345678"), data)
	require.Equal(t, "text/plain; charset=utf-8", mimeType, "sniffed when not given")
	data[0] = 'x'
	again, _, err := s.DownloadMedia(ctx, id)
	require.NoError(t, err)
	require.Equal(t, byte('1'), again[0], "callers get copies")

	// Over the memory bound the oldest upload is forgotten.
	id2, err := s.UploadMedia(ctx, []byte("abcdef"), "text/plain", "b.txt")
	require.NoError(t, err)
	_, _, err = s.DownloadMedia(ctx, id)
	var pe *ProviderError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 100, pe.Code)
	_, _, err = s.DownloadMedia(ctx, id2)
	require.NoError(t, err)

	_, err = s.UploadMedia(ctx, nil, "image/png", "x.png")
	require.Error(t, err)
	_, err = s.UploadMedia(ctx, make([]byte, 11), "image/png", "x.png")
	require.Error(t, err)
}

func TestSandboxInbound(t *testing.T) {
	t.Parallel()
	s := NewSandbox(SandboxConfig{Business: Business{PhoneNumberID: "999"}, Logger: testLogger(t)})
	defer s.Close()
	before := time.Now().Unix()
	body := s.InboundText("15550001234", "Alice Example", "Hi, is my order on its way?")
	n, err := ParseNotification(body)
	require.NoError(t, err)
	require.Len(t, n.Messages, 1)
	m := n.Messages[0]
	require.Regexp(t, wamidPattern, m.ID)
	require.Equal(t, "15550001234", m.From)
	require.Equal(t, "text", m.Type)
	require.Equal(t, "Hi, is my order on its way?", m.Text)
	require.Equal(t, "999", m.PhoneNumberID)
	require.GreaterOrEqual(t, m.Timestamp, before)
	require.Equal(t, []Contact{{WaID: "15550001234", ProfileName: "Alice Example", Raw: n.Contacts[0].Raw}}, n.Contacts)
	require.Contains(t, string(body), `"metadata":{"display_phone_number":"15550001000","phone_number_id":"999"}`)

	body = s.InboundMessage("4915550001111", "Bernd", map[string]any{
		"image": map[string]any{"id": "7556266972199040", "mime_type": "image/jpeg", "sha256": "x", "caption": "Damaged"},
	})
	n, err = ParseNotification(body)
	require.NoError(t, err)
	require.Equal(t, "image", n.Messages[0].Type, "the type follows from the object")
	require.Equal(t, "Damaged", n.Messages[0].Text)
	require.Equal(t, "7556266972199040", n.Messages[0].Media.ID)

	require.Nil(t, s.InboundText("", "x", "y"), "no sender, no message")
	require.Nil(t, s.InboundMessage("1", "x", map[string]any{"foo": 1}), "no type, no message")
}

func TestNewMessageIDsAreShapedLikeMetas(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		id        string
		direction byte
	}{
		{NewOutboundMessageID("15550001234"), 0x11},
		{NewInboundMessageID("15550001234"), 0x12},
	} {
		require.Regexp(t, wamidPattern, c.id)
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(c.id, "wamid."))
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(raw, []byte("\x1c\x18\x0b15550001234\x15\x02\x00"+string(c.direction)+"\x18")), "%q", raw)
		require.Equal(t, byte(0), raw[len(raw)-1])
	}
	require.NotEqual(t, NewOutboundMessageID("1"), NewOutboundMessageID("1"))
	require.Regexp(t, wamidPattern, NewOutboundMessageID(strings.Repeat("9", 300)))
	require.Regexp(t, `^[0-9a-f]{32}$`, NewConversationID())
}

func TestBuildInboundEnvelope(t *testing.T) {
	t.Parallel()
	now := time.Unix(1718000037, 0)
	body, id, err := BuildInboundEnvelope(Business{}, "15550001234", "Alice", map[string]any{
		"type": "text", "text": map[string]string{"body": "hi"}, "context": map[string]string{"id": "wamid.X", "from": "15550001000"},
	}, now)
	require.NoError(t, err)
	require.Regexp(t, wamidPattern, id)
	require.JSONEq(t, `{"object":"whatsapp_business_account","entry":[{"id":"109876543210987","changes":[{"value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001000","phone_number_id":"110200300400500"},
		"contacts":[{"profile":{"name":"Alice"},"wa_id":"15550001234"}],
		"messages":[{"from":"15550001234","id":"`+id+`","timestamp":"1718000037","type":"text","text":{"body":"hi"},
		"context":{"id":"wamid.X","from":"15550001000"}}]},"field":"messages"}]}]}`, string(body))
	require.Contains(t, string(body), `{"from":"15550001234","id":"`+id+`","timestamp":"1718000037","type":"text",`, "keys in Meta's order")

	// A given id and timestamp are kept; "from" always comes from the argument.
	body, id, err = BuildInboundEnvelope(Business{}, "1", "", map[string]any{"id": "wamid.GIVEN", "timestamp": "5", "from": "2", "type": "unsupported"}, now)
	require.NoError(t, err)
	require.Equal(t, "wamid.GIVEN", id)
	n, err := ParseNotification(body)
	require.NoError(t, err)
	require.Equal(t, int64(5), n.Messages[0].Timestamp)
	require.Equal(t, "1", n.Messages[0].From)

	_, _, err = BuildInboundEnvelope(Business{}, "1", "", map[string]any{"text": map[string]string{"body": "x"}, "image": map[string]string{}}, now)
	require.ErrorContains(t, err, "no \"type\" and both")
	_, _, err = BuildInboundEnvelope(Business{}, "1", "", map[string]any{"x": func() {}, "type": "text"}, now)
	require.ErrorContains(t, err, `"x"`)
}

func TestBuildStatusEnvelope(t *testing.T) {
	t.Parallel()
	at := time.Unix(1718001665, 0)
	body, err := BuildStatusEnvelope(Business{}, StatusUpdate{
		MessageID: "wamid.F", RecipientID: "15550001234", Status: "failed", Time: at,
		Category: "service", // ignored for failed
		Errors:   json.RawMessage(`[{"code":131047,"title":"Re-engagement message"}]`),
	})
	require.NoError(t, err)
	n, err := ParseNotification(body)
	require.NoError(t, err)
	require.Equal(t, "failed", n.Statuses[0].Status)
	require.Equal(t, int64(1718001665), n.Statuses[0].Timestamp)
	require.JSONEq(t, `[{"code":131047,"title":"Re-engagement message"}]`, string(n.Statuses[0].Errors))
	require.NotContains(t, string(body), "pricing")

	_, err = BuildStatusEnvelope(Business{})
	require.Error(t, err)
	_, err = BuildStatusEnvelope(Business{}, StatusUpdate{Status: "sent"})
	require.Error(t, err)
	_, err = BuildStatusEnvelope(Business{}, StatusUpdate{MessageID: "x", Status: "failed", Errors: json.RawMessage(`[`)})
	require.Error(t, err)
}

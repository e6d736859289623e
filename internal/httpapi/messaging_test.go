package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/waba"
)

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.pool.QueryRow(e.t.Context(), sql, args...).Scan(&n))
	return n
}

func results(t testing.TB, r resp) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, x := range r.JSON(t)["results"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestInboundEveryFixtureIsStored(t *testing.T) {
	e := setup(t)
	for _, shape := range []string{"cloud", "onprem"} {
		files, err := filepath.Glob(filepath.Join("..", "waba", "testdata", "inbound", shape, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, f := range files {
			body, err := os.ReadFile(f)
			require.NoError(t, err)
			r := e.inbound(body)
			require.Equal(t, http.StatusOK, r.Status, "%s: %s", f, r.Body)

			n, err := waba.ParseNotification(body)
			require.NoError(t, err)
			for _, m := range n.Messages {
				require.Equal(t, 1, e.count("SELECT count(*) FROM messages WHERE wamid = $1", m.ID), "%s: %s stored", f, m.ID)
			}
		}
	}
	r := e.do(req{Method: "GET", Path: "/api/v1/messages/?limit=1000", Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, float64(e.count("SELECT count(*) FROM messages")), r.JSON(t)["count"])
	for _, m := range results(t, r) {
		p := m["waba_payload"].(map[string]any)
		require.Equal(t, m["id"], p["id"], "waba_payload keeps the provider's id")
		require.NotEmpty(t, p["type"])
	}
}

func TestInboundReplayChangesNothing(t *testing.T) {
	e := setup(t)
	now := time.Now()
	body := inboundText("wamid.A1", "15550001111", "Ann Lee", "hello", now)
	require.Equal(t, http.StatusOK, e.inbound(body).Status)
	events := e.count("SELECT count(*) FROM events")
	require.Equal(t, 1, events)
	for range 3 {
		require.Equal(t, http.StatusOK, e.inbound(body).Status)
	}
	require.Equal(t, 1, e.count("SELECT count(*) FROM messages"))
	require.Equal(t, events, e.count("SELECT count(*) FROM events"), "a replay appends no event")

	// A status twice, and a status before its message.
	require.Equal(t, http.StatusOK, e.inbound(statusNote("wamid.OUT1", "15550001111", "delivered", now)).Status)
	require.Equal(t, http.StatusOK, e.inbound(statusNote("wamid.OUT1", "15550001111", "delivered", now)).Status)
	require.Equal(t, 1, e.count("SELECT count(*) FROM message_statuses_pending"))
	require.Equal(t, events+1, e.count("SELECT count(*) FROM events"))
}

func TestInboundBadInput(t *testing.T) {
	e := setup(t)
	for _, body := range []string{`{`, `[]`, `{"entry": "x"}`, `{"messages": [{"type": "text"}]}`} {
		r := e.inbound([]byte(body))
		require.Equal(t, http.StatusBadRequest, r.Status, body)
		require.NotEmpty(t, r.JSON(t)["detail"])
	}
	require.Equal(t, 0, e.count("SELECT count(*) FROM messages"))
}

func withInboundSecrets(c *config.Config) {
	c.AppSecret = "app-secret"
	c.InboundToken = "shared-token"
	c.VerifyToken = "verify-me"
}

func TestInboundAuthenticity(t *testing.T) {
	e := setup(t, withInboundSecrets)
	body := inboundText("wamid.S1", "15550002222", "Sig Ned", "signed?", time.Now())

	r := e.inbound(body)
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = e.inbound(body, "X-Hub-Signature-256", "sha256=00ff")
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = e.inbound(body, "X-Wamux-Token", "wrong")
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, 0, e.count("SELECT count(*) FROM messages"), "nothing stored")

	require.Equal(t, http.StatusOK, e.inbound(body, "X-Hub-Signature-256", waba.Sign(body, "app-secret")).Status)
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.S2", "15550002222", "Sig Ned", "token header", time.Now()), "X-Wamux-Token", "shared-token").Status)
	r = e.do(req{Method: "POST", Path: "/api/v1/waba/webhook/?token=shared-token", RawBody: inboundText("wamid.S3", "15550002222", "Sig Ned", "token query", time.Now()), ContentType: "application/json"})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, 3, e.count("SELECT count(*) FROM messages"))

	// The Cloud API's GET handshake.
	r = e.do(req{Method: "GET", Path: "/api/v1/waba/webhook/?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "1158201444", string(r.Body))
	r = e.do(req{Method: "GET", Path: "/api/v1/waba/webhook/?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"})
	require.Equal(t, http.StatusForbidden, r.Status)
}

func TestChatsNewMessagesAndMarks(t *testing.T) {
	e := setup(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	e.inbound(inboundText("wamid.C1", "15550000001", "Ann Lee", "one", base))
	e.inbound(inboundText("wamid.C2", "15550000001", "Ann Lee", "two", base.Add(time.Minute)))
	e.inbound(inboundText("wamid.C3", "15550000002", "Bob", "three", base.Add(2*time.Minute)))

	r := e.do(req{Method: "GET", Path: "/api/v1/chats/", Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	cs := results(t, r)
	require.Len(t, cs, 2)
	require.Equal(t, "15550000002", cs[0]["wa_id"], "newest first")
	require.Equal(t, float64(1), cs[0]["new_messages"])
	require.Equal(t, float64(2), cs[1]["new_messages"])
	require.Equal(t, "AL", cs[1]["contact"].(map[string]any)["initials"])
	require.Equal(t, "wamid.C2", cs[1]["last_message"].(map[string]any)["id"])

	r = e.do(req{Method: "POST", Path: "/api/v1/mark_as_received/", Token: e.adminToken,
		Body: map[string]any{"timestamp": base.Unix(), "customer_wa_id": "15550000001"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = e.do(req{Method: "GET", Path: "/api/v1/chats/15550000001/", Token: e.adminToken})
	require.Equal(t, float64(1), r.JSON(t)["new_messages"])

	// mark_as_received on the messages list; the page shows what was new.
	r = e.do(req{Method: "GET", Path: "/api/v1/messages/15550000001/?mark_as_received=1", Token: e.adminToken})
	ms := results(t, r)
	require.Len(t, ms, 2)
	require.Equal(t, false, ms[0]["received"])
	require.Equal(t, true, ms[1]["received"])
	r = e.do(req{Method: "GET", Path: "/api/v1/chats/15550000001/", Token: e.adminToken})
	require.Equal(t, float64(0), r.JSON(t)["new_messages"])

	// Marks are per user.
	_, appTok := e.createUser("archiver", "app")
	r = e.do(req{Method: "GET", Path: "/api/v1/chats/15550000001/", Token: appTok})
	require.Equal(t, float64(2), r.JSON(t)["new_messages"])

	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: "/api/v1/chats/999/", Token: e.adminToken}).Status)
	r = e.do(req{Method: "POST", Path: "/api/v1/mark_as_received/", Token: e.adminToken, Body: map[string]any{"timestamp": 1, "customer_wa_id": "999"}})
	require.Equal(t, http.StatusBadRequest, r.Status)
}

func TestBeforeTimePaginationWhileMessagesArrive(t *testing.T) {
	e := setup(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range 5 {
		e.inbound(inboundText(fmt.Sprintf("wamid.P%d", i), "15550000009", "Pat", fmt.Sprint("m", i), base.Add(time.Duration(i)*time.Minute)))
	}
	page1 := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/?wa_id=15550000009&limit=2", Token: e.adminToken}))
	require.Equal(t, []any{"wamid.P4", "wamid.P3"}, []any{page1[0]["id"], page1[1]["id"]})

	// A new message arrives between pages: before_time paging is unaffected.
	e.inbound(inboundText("wamid.P9", "15550000009", "Pat", "late", base.Add(10*time.Minute)))
	// The next page: before the timestamp of the last message seen.
	before := base.Add(3 * time.Minute).Unix()
	page2 := results(t, e.do(req{Method: "GET", Path: fmt.Sprintf("/api/v1/messages/15550000009/?limit=2&before_time=%d", before), Token: e.adminToken}))
	require.Equal(t, []any{"wamid.P2", "wamid.P1"}, []any{page2[0]["id"], page2[1]["id"]})

	since := base.Add(3 * time.Minute).Unix()
	r := e.do(req{Method: "GET", Path: fmt.Sprintf("/api/v1/messages/15550000009/?since_time=%d", since), Token: e.adminToken})
	require.Equal(t, float64(3), r.JSON(t)["count"], "since_time is inclusive")
}

func TestReadPermissionsApplyInsideTheQuery(t *testing.T) {
	e := setup(t)
	now := time.Now()
	for i := range 4 {
		e.inbound(inboundText(fmt.Sprintf("wamid.R%d", i), fmt.Sprintf("1555000010%d", i), "C", "hi", now))
	}
	uid, userTok := e.createUser("agent", "user")
	_, appTok := e.createUser("bot", "app")

	r := e.do(req{Method: "GET", Path: "/api/v1/chats/", Token: userTok})
	require.Equal(t, float64(0), r.JSON(t)["count"], "a regular user reads only chats assigned to it or its groups")
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: "/api/v1/chats/15550000100/", Token: userTok}).Status)
	require.Equal(t, float64(0), e.do(req{Method: "GET", Path: "/api/v1/messages/", Token: userTok}).JSON(t)["count"])
	require.Equal(t, float64(0), e.do(req{Method: "GET", Path: "/api/v1/persons/", Token: userTok}).JSON(t)["count"])

	_, err := e.pool.Exec(t.Context(), "UPDATE chats SET assigned_user_id = $1 WHERE wa_id = '15550000101'", uid)
	require.NoError(t, err)
	_, err = e.pool.Exec(t.Context(), "UPDATE chats SET assigned_group_id = (SELECT id FROM groups WHERE role = 'user') WHERE wa_id = '15550000102'")
	require.NoError(t, err)

	r = e.do(req{Method: "GET", Path: "/api/v1/chats/?limit=1", Token: userTok})
	require.Equal(t, float64(2), r.JSON(t)["count"], "count is true even with limit=1")
	require.Len(t, results(t, r), 1)
	require.NotNil(t, r.JSON(t)["next"])
	r = e.do(req{Method: "GET", Path: "/api/v1/chats/?assigned_to_me=true", Token: userTok})
	require.Equal(t, float64(1), r.JSON(t)["count"])
	me := results(t, r)[0]
	require.Equal(t, "agent", me["assigned_to_user"].(map[string]any)["username"])
	require.Equal(t, float64(2), e.do(req{Method: "GET", Path: "/api/v1/messages/", Token: userTok}).JSON(t)["count"])
	require.Equal(t, float64(2), e.do(req{Method: "GET", Path: "/api/v1/persons/", Token: userTok}).JSON(t)["count"])

	// assigned_group only for groups the caller is in.
	r = e.do(req{Method: "GET", Path: "/api/v1/chats/?assigned_group=1", Token: userTok})
	require.Equal(t, http.StatusBadRequest, r.Status)

	require.Equal(t, float64(4), e.do(req{Method: "GET", Path: "/api/v1/chats/", Token: appTok}).JSON(t)["count"], "apps read all")
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: "/api/v1/chats/"}).Status)
}

func TestSearchTakesWildcardsLiterally(t *testing.T) {
	e := setup(t)
	now := time.Now()
	e.inbound(inboundText("wamid.W1", "15550000201", "Percy", "I am 100% sure", now))
	e.inbound(inboundText("wamid.W2", "15550000202", "Under", "snake_case here", now))
	e.inbound(inboundText("wamid.W3", "15550000203", "Plain", "nothing special", now))
	cases := map[string]float64{"%25": 1, "_": 1, "100%25": 1, "SURE": 1, "xyz": 0, "e": 3}
	for q, want := range cases {
		r := e.do(req{Method: "GET", Path: "/api/v1/messages/?search=" + q, Token: e.adminToken})
		require.Equal(t, want, r.JSON(t)["count"], "search %q", q)
	}
	r := e.do(req{Method: "GET", Path: "/api/v1/chats/?search=Percy", Token: e.adminToken})
	require.Equal(t, float64(1), r.JSON(t)["count"])
	r = e.do(req{Method: "GET", Path: "/api/v1/chats/?search=snake", Token: e.adminToken})
	require.Equal(t, float64(1), r.JSON(t)["count"], "chats are found by message text")
	r = e.do(req{Method: "GET", Path: "/api/v1/persons/?search=0203", Token: e.adminToken})
	require.Equal(t, float64(1), r.JSON(t)["count"], "persons are found by wa_id")
}

// A search ignores case in every script the database's lower-casing knows,
// on both sides: messages store their searchable text folded (migration
// 00015), the phrase is folded the same way, and what the API returns keeps
// the text as it was sent.
func TestSearchIgnoresCase(t *testing.T) {
	e := setup(t)
	now := time.Now()
	const body = "Où est mon REMBOURSEMENT? Ärger mit der Lieferung"
	e.inbound(inboundText("wamid.C1", "15550000211", "Zoë MÜLLER", body, now))
	e.inbound(inboundText("wamid.C2", "15550000212", "Other", "nothing to see", now))
	r := e.do(req{Method: "POST", Path: "/api/v1/messages/", Token: e.adminToken,
		Body: map[string]any{"wa_id": "15550000212", "type": "text", "text": map[string]any{"body": "Your Refund Is On Its Way"}}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	for _, q := range []string{"remboursement", "REMBOURSEMENT", "ärger", "ÄRGER", "oÙ eSt", "refund is", "REFUND"} {
		ms := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/?search=" + url.QueryEscape(q), Token: e.adminToken}))
		require.Len(t, ms, 1, "messages searched for %q", q)
	}
	ms := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/?search=%C3%A4RGER", Token: e.adminToken}))
	require.Equal(t, body, ms[0]["waba_payload"].(map[string]any)["text"].(map[string]any)["body"], "the message keeps its case")
	for _, q := range []string{"ärger", "LIEFERUNG", "müller", "MÜLLER", "zoË", "REFUND"} {
		r := e.do(req{Method: "GET", Path: "/api/v1/chats/?search=" + url.QueryEscape(q), Token: e.adminToken})
		require.Equal(t, float64(1), r.JSON(t)["count"], "chats searched for %q", q)
	}
	r = e.do(req{Method: "GET", Path: "/api/v1/persons/?search=" + url.QueryEscape("MÜLLER"), Token: e.adminToken})
	require.Equal(t, float64(1), r.JSON(t)["count"], "persons are found by name in any case")
	require.Equal(t, "15550000211", results(t, r)[0]["wa_id"])
}

func TestSendMessage(t *testing.T) {
	e := setup(t)
	now := time.Now()
	e.inbound(inboundText("wamid.IN1", "15550000301", "Cus Tomer", "help", now))
	e.inbound(inboundText("wamid.IN2", "15550000302", "Old Timer", "long ago", now.Add(-25*time.Hour)))
	e.inbound(inboundText("wamid.IN3", "000131047000", "Refused", "hi", now))
	e.inbound(inboundText("wamid.IN4", "000500000000", "Broken", "hi", now))

	send := func(tok string, body map[string]any) resp {
		return e.do(req{Method: "POST", Path: "/api/v1/messages/", Token: tok, Body: body})
	}
	r := send(e.adminToken, map[string]any{"wa_id": "15550000301", "type": "text", "text": map[string]any{"body": "Hello! How may I help you?"}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	wresp := r.JSON(t)["waba_response"].(map[string]any)
	wamid := wresp["messages"].([]any)[0].(map[string]any)["id"].(string)

	// Stored with from_us and sender; its statuses arrive later by the inbound path.
	e.inbound(statusNote(wamid, "15550000301", "read", now.Add(2*time.Second)))
	e.inbound(statusNote(wamid, "15550000301", "sent", now))
	ms := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/15550000301/", Token: e.adminToken}))
	require.Equal(t, wamid, ms[0]["id"])
	require.Equal(t, true, ms[0]["from_us"])
	require.Equal(t, "admin", ms[0]["sender"].(map[string]any)["username"])
	st := ms[0]["waba_statuses"].(map[string]any)
	require.Equal(t, float64(now.Unix()), st["sent"])
	require.Equal(t, float64(0), st["delivered"])
	require.NotZero(t, st["read"])
	require.Equal(t, 1, e.count("SELECT count(*) FROM events WHERE kind = 'outgoing_message'"))

	// type defaults to text.
	r = send(e.adminToken, map[string]any{"wa_id": "15550000301", "text": map[string]any{"body": "no type"}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	sent := e.provider.sentCount()
	bad := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"missing type field", map[string]any{"wa_id": "15550000301", "type": "image"}, 400, "image"},
		{"unknown type", map[string]any{"wa_id": "15550000301", "type": "fax", "fax": map[string]any{}}, 400, "type"},
		{"blank text", map[string]any{"wa_id": "15550000301", "type": "text", "text": map[string]any{"body": ""}}, 400, "text.body"},
		{"media without id or link", map[string]any{"wa_id": "15550000301", "type": "image", "image": map[string]any{"caption": "x"}}, 400, "image"},
		{"outside 24h", map[string]any{"wa_id": "15550000302", "type": "text", "text": map[string]any{"body": "late"}}, 400, ""},
		{"new number, not a template", map[string]any{"wa_id": "15550009999", "type": "text", "text": map[string]any{"body": "cold"}}, 400, ""},
		{"provider refuses", map[string]any{"wa_id": "000131047000", "type": "text", "text": map[string]any{"body": "x"}}, 400, ""},
		{"provider fails", map[string]any{"wa_id": "000500000000", "type": "text", "text": map[string]any{"body": "x"}}, 502, ""},
	}
	for _, b := range bad {
		before := e.count("SELECT count(*) FROM messages")
		r := send(e.adminToken, b.body)
		require.Equal(t, b.status, r.Status, "%s: %s", b.name, r.Body)
		if b.field != "" {
			require.Contains(t, r.JSON(t), b.field, "%s: %s", b.name, r.Body)
		} else {
			require.NotEmpty(t, r.JSON(t)["detail"], b.name)
		}
		require.Equal(t, before, e.count("SELECT count(*) FROM messages"), "%s: nothing stored", b.name)
	}
	require.Equal(t, sent, e.provider.sentCount(), "refused before reaching the provider, or refused by it")
	r = send(e.adminToken, map[string]any{"wa_id": "000131047000", "type": "text", "text": map[string]any{"body": "x"}})
	require.Contains(t, r.JSON(t)["detail"], "131047")

	// A template may go outside the window and to a new number.
	r = send(e.adminToken, map[string]any{"wa_id": "15550000302", "type": "template", "template": map[string]any{"name": "hello_world", "language": map[string]any{"code": "en_US"}}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	// Write permission: a regular user may not write to a chat not assigned to it.
	uid, userTok := e.createUser("writer", "user")
	r = send(userTok, map[string]any{"wa_id": "15550000301", "text": map[string]any{"body": "me?"}})
	require.Equal(t, http.StatusForbidden, r.Status)
	_, err := e.pool.Exec(t.Context(), "UPDATE chats SET assigned_user_id = $1 WHERE wa_id = '15550000301'", uid)
	require.NoError(t, err)
	r = send(userTok, map[string]any{"wa_id": "15550000301", "text": map[string]any{"body": "me!"}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
}

func TestSendEveryType(t *testing.T) {
	e := setup(t)
	e.inbound(inboundText("wamid.T0", "15550000401", "Typ Ical", "hi", time.Now()))
	cases := map[string]any{
		"text":        map[string]any{"body": "hello", "preview_url": true},
		"image":       map[string]any{"link": "https://example.com/a.jpg", "caption": "look"},
		"audio":       map[string]any{"link": "https://example.com/a.ogg"},
		"video":       map[string]any{"link": "https://example.com/a.mp4"},
		"document":    map[string]any{"link": "https://example.com/a.pdf", "filename": "a.pdf"},
		"sticker":     map[string]any{"link": "https://example.com/a.webp"},
		"location":    map[string]any{"latitude": 52.52, "longitude": 13.405, "name": "Berlin"},
		"contacts":    []any{map[string]any{"name": map[string]any{"formatted_name": "Ann Lee", "first_name": "Ann"}, "phones": []any{map[string]any{"phone": "+15550001"}}}},
		"template":    map[string]any{"name": "order_update", "language": map[string]any{"code": "en_US"}},
		"interactive": map[string]any{"type": "button", "body": map[string]any{"text": "Pick"}, "action": map[string]any{"buttons": []any{map[string]any{"type": "reply", "reply": map[string]any{"id": "a", "title": "A"}}}}},
		"reaction":    map[string]any{"message_id": "wamid.T0", "emoji": "👍"},
	}
	for typ, obj := range cases {
		before := e.provider.sentCount()
		r := e.do(req{Method: "POST", Path: "/api/v1/messages/", Token: e.adminToken, Body: map[string]any{"wa_id": "15550000401", "type": typ, typ: obj}})
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", typ, r.Body)
		require.Equal(t, before+1, e.provider.sentCount(), typ)
		e.provider.mu.Lock()
		got := e.provider.sent[len(e.provider.sent)-1]
		e.provider.mu.Unlock()
		require.Equal(t, typ, got["type"], typ)
		require.Equal(t, "15550000401", got["to"], typ)
		require.NotNil(t, got[typ], "%s: the provider gets the type's object", typ)
	}
	// Wrong shapes are refused by the schema, naming the field.
	for typ, obj := range map[string]any{
		"location": map[string]any{"name": "no coordinates"},
		"reaction": map[string]any{"emoji": "👍"},
		"template": map[string]any{"language": map[string]any{"code": "en"}},
	} {
		r := e.do(req{Method: "POST", Path: "/api/v1/messages/", Token: e.adminToken, Body: map[string]any{"wa_id": "15550000401", "type": typ, typ: obj}})
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", typ, r.Body)
	}
}

func TestInboundMediaLinksToWamuxsCopy(t *testing.T) {
	e := setup(t)
	body, err := os.ReadFile(filepath.Join("..", "waba", "testdata", "inbound", "cloud", "image_caption.json"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, e.inbound(body).Status)

	ms := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/?search=damaged", Token: e.adminToken}))
	require.Len(t, ms, 1, "the caption is searchable")
	img := ms[0]["waba_payload"].(map[string]any)["image"].(map[string]any)
	link := img["link"].(string)
	require.Equal(t, baseURL+"/api/v1/media/"+img["id"].(string)+"/", link, "the media points at wamux's own copy")
	require.Equal(t, "The box arrived damaged", img["caption"], "the rest stays as the provider sent it")

	// Fetched on first read (the background fetcher is not running here).
	r := e.do(req{Method: "GET", Path: link[len(baseURL):], Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, fakeJPEG, r.Body)
	require.Equal(t, "image/jpeg", r.Header.Get("Content-Type"))

	// The webhook subscribers still get the provider's original object.
	var payload string
	require.NoError(t, e.pool.QueryRow(t.Context(), "SELECT payload->'message'->'image'->>'id' FROM events WHERE kind = 'incoming_message'").Scan(&payload))
	require.Equal(t, "7556266972199040", payload)
}

package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// createTag creates a tag as the admin and returns its id.
func (e *env) createTag(name string) int {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/v1/tags/", Token: e.adminToken, Body: map[string]any{"name": name}})
	require.Equal(e.t, http.StatusCreated, r.Status, "%s", r.Body)
	return int(r.JSON(e.t)["id"].(float64))
}

// tagMessage posts a message tagging.
func (e *env) tagMessage(tok string, tag int, wamid string, extra any) resp {
	e.t.Helper()
	body := map[string]any{"tag": tag, "message": wamid}
	if extra != nil {
		body["extra"] = extra
	}
	return e.do(req{Method: "POST", Path: "/api/v1/message_taggings/", Token: tok, Body: body})
}

// tagChat posts a chat tagging.
func (e *env) tagChat(tok string, tag int, waID string, extra any) resp {
	e.t.Helper()
	body := map[string]any{"tag": tag, "chat": waID}
	if extra != nil {
		body["extra"] = extra
	}
	return e.do(req{Method: "POST", Path: "/api/v1/chat_taggings/", Token: tok, Body: body})
}

// loggedEvent is a row of the event log.
type loggedEvent struct {
	Kind      string
	ChatWaID  *string
	MessageID *int64
	Payload   map[string]any
}

// eventLog returns the event-log rows of kind, in log order.
func (e *env) eventLog(kind string) []loggedEvent {
	e.t.Helper()
	rows, err := e.pool.Query(e.t.Context(), "SELECT kind, chat_wa_id, message_id, payload FROM events WHERE kind = $1 ORDER BY id", kind)
	require.NoError(e.t, err)
	defer rows.Close()
	var out []loggedEvent
	for rows.Next() {
		var ev loggedEvent
		var raw []byte
		require.NoError(e.t, rows.Scan(&ev.Kind, &ev.ChatWaID, &ev.MessageID, &raw))
		require.NoError(e.t, json.Unmarshal(raw, &ev.Payload))
		out = append(out, ev)
	}
	require.NoError(e.t, rows.Err())
	return out
}

// groupID returns the id of the built-in group of a role.
func (e *env) groupID(role string) int {
	e.t.Helper()
	return e.count("SELECT id FROM groups WHERE role = $1", role)
}

// setGroupPermissions sets a group's permissions through the API.
func (e *env) setGroupPermissions(id int, tags bool, read, write string) {
	e.t.Helper()
	r := e.do(req{Method: "PATCH", Path: "/api/v1/groups/" + itoa(id) + "/", Token: e.adminToken,
		Body: map[string]any{"permissions": map[string]any{"can_use_tags": tags, "can_read_chats": read, "can_write_to_chats": write}}})
	require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
}

// tagsOf returns the tags[] of a message or chat object by tag name.
func tagsOf(obj map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, t := range obj["tags"].([]any) {
		m := t.(map[string]any)
		out[m["name"].(string)] = m
	}
	return out
}

func num(v any) int { return int(v.(float64)) }

func TestTagCRUDAndPermissions(t *testing.T) {
	e := setup(t)
	c := newCallers(e)
	tokens := map[string]string{"admin": c.admin, "user": c.user, "app": c.app, "anonymous": ""}

	// Create: anyone with can_use_tags (all three built-in groups have it).
	created := map[string]int{}
	for _, who := range []string{"anonymous", "user", "app", "admin"} {
		r := e.do(req{Method: "POST", Path: "/api/v1/tags/", Token: tokens[who], Body: map[string]any{"name": "by " + who, "web_inbox_color": "#ff0000"}})
		if who == "anonymous" {
			require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
			continue
		}
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", who, r.Body)
		m := r.JSON(t)
		require.Equal(t, "by "+who, m["name"])
		require.Equal(t, "#ff0000", m["web_inbox_color"])
		created[who] = num(m["id"])
	}
	// Names need not be unique; the color is nullable.
	r := e.do(req{Method: "POST", Path: "/api/v1/tags/", Token: c.user, Body: map[string]any{"name": "by admin"}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Contains(t, r.JSON(t), "web_inbox_color")
	require.Nil(t, r.JSON(t)["web_inbox_color"])

	// List and retrieve: any authenticated user; ordered by name.
	for _, who := range []string{"user", "app", "admin"} {
		r := e.do(req{Method: "GET", Path: "/api/v1/tags/", Token: tokens[who]})
		require.Equal(t, http.StatusOK, r.Status)
		require.Equal(t, float64(4), r.JSON(t)["count"])
		names := []any{}
		for _, x := range results(t, r) {
			names = append(names, x["name"])
		}
		require.Equal(t, []any{"by admin", "by admin", "by app", "by user"}, names)
		r = e.do(req{Method: "GET", Path: "/api/v1/tags/" + itoa(created["user"]) + "/", Token: tokens[who]})
		require.Equal(t, http.StatusOK, r.Status)
		require.Equal(t, "by user", r.JSON(t)["name"])
	}
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: "/api/v1/tags/"}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: "/api/v1/tags/999999/", Token: c.user}).Status)
	r = e.do(req{Method: "GET", Path: "/api/v1/tags/?limit=1&offset=1", Token: c.user})
	require.Len(t, results(t, r), 1)
	require.NotNil(t, r.JSON(t)["next"])
	require.NotNil(t, r.JSON(t)["previous"])

	// Update and delete: admins only.
	tagPath := "/api/v1/tags/" + itoa(created["user"]) + "/"
	for _, who := range []string{"anonymous", "user", "app"} {
		for _, m := range []string{"PUT", "PATCH"} {
			r := e.do(req{Method: m, Path: tagPath, Token: tokens[who], Body: map[string]any{"name": "hijacked"}})
			require.Equal(t, http.StatusForbidden, r.Status, "%s %s: %s", m, who, r.Body)
			require.NotEmpty(t, r.JSON(t)["detail"])
		}
		require.Equal(t, http.StatusForbidden, e.do(req{Method: "DELETE", Path: tagPath, Token: tokens[who]}).Status)
	}
	r = e.do(req{Method: "PATCH", Path: tagPath, Token: c.admin, Body: map[string]any{"name": "Agent needed"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "Agent needed", r.JSON(t)["name"])
	require.Equal(t, "#ff0000", r.JSON(t)["web_inbox_color"], "PATCH keeps what it does not carry")
	r = e.do(req{Method: "PATCH", Path: tagPath, Token: c.admin, Body: map[string]any{"web_inbox_color": nil}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Nil(t, r.JSON(t)["web_inbox_color"])
	require.Equal(t, "Agent needed", r.JSON(t)["name"])
	r = e.do(req{Method: "PUT", Path: tagPath, Token: c.admin, Body: map[string]any{"name": "Agent needed", "web_inbox_color": "#00ff00"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "#00ff00", r.JSON(t)["web_inbox_color"])
	r = e.do(req{Method: "PUT", Path: tagPath, Token: c.admin, Body: map[string]any{"name": "Agent needed"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Nil(t, r.JSON(t)["web_inbox_color"], "PUT: an absent color is no color")
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "PATCH", Path: "/api/v1/tags/999999/", Token: c.admin, Body: map[string]any{"name": "x"}}).Status)

	// Validation.
	for _, body := range []map[string]any{
		{"name": ""}, {"name": "   "}, {"name": strings.Repeat("é", 1001)}, {"name": "ok", "web_inbox_color": strings.Repeat("c", 1001)}, {},
	} {
		r := e.do(req{Method: "POST", Path: "/api/v1/tags/", Token: c.user, Body: body})
		require.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", body, r.Body)
	}
	r = e.do(req{Method: "POST", Path: "/api/v1/tags/", Token: c.user, Body: map[string]any{"name": strings.Repeat("é", 1000)}})
	require.Equal(t, http.StatusCreated, r.Status, "1000 characters are allowed, whatever their bytes")
	r = e.do(req{Method: "PATCH", Path: tagPath, Token: c.admin, Body: map[string]any{"name": ""}})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "name")

	// Other content types.
	r = e.do(req{Method: "POST", Path: "/api/v1/tags/", Token: c.user, RawBody: []byte("name=Form+tag"), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Equal(t, "Form tag", r.JSON(t)["name"])
	mp, ct := multipartBody(t, map[string]string{"name": "Multipart tag"})
	r = e.do(req{Method: "POST", Path: "/api/v1/tags/", Token: c.user, RawBody: mp, ContentType: ct})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	// Without can_use_tags, a user may not create tags.
	e.setGroupPermissions(e.groupID("user"), false, "group", "assigned")
	r = e.do(req{Method: "POST", Path: "/api/v1/tags/", Token: c.user, Body: map[string]any{"name": "nope"}})
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	require.Contains(t, r.JSON(t)["detail"], "can_use_tags")
	require.Equal(t, http.StatusOK, e.do(req{Method: "GET", Path: "/api/v1/tags/", Token: c.user}).Status, "listing needs no tag permission")

	// Delete: the tag goes with its taggings.
	e.inbound(inboundText("wamid.D1", "15550000501", "Del Ete", "hi", time.Now()))
	require.Equal(t, http.StatusCreated, e.tagMessage(c.admin, created["user"], "wamid.D1", nil).Status)
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: tagPath, Token: c.admin}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "DELETE", Path: tagPath, Token: c.admin}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: tagPath, Token: c.admin}).Status)
	require.Equal(t, 0, e.count("SELECT count(*) FROM message_taggings")+e.count("SELECT count(*) FROM chat_taggings"))
}

func TestMessageTaggingTagsTheChat(t *testing.T) {
	e := setup(t)
	now := time.Now()
	const chat = "15550000601"
	e.inbound(inboundText("wamid.M1", chat, "Tag Ged", "first", now.Add(-time.Minute)))
	e.inbound(inboundText("wamid.M2", chat, "Tag Ged", "second", now))
	botID, bot := e.createUser("spambot", "app")
	agent := e.createTag("Agent needed")

	extra := map[string]any{"confidence": 0.93, "labels": []any{"a", "b"}, "nested": map[string]any{"deep": true, "n": nil}}
	r := e.tagMessage(bot, agent, "wamid.M1", extra)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	mt := r.JSON(t)
	require.Equal(t, float64(agent), mt["tag"])
	require.Equal(t, "wamid.M1", mt["message"])
	require.Equal(t, extra, mt["extra"], "extra round-trips")
	mtID := num(mt["id"])

	r = e.do(req{Method: "GET", Path: "/api/v1/message_taggings/" + itoa(mtID) + "/", Token: bot})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, mt, r.JSON(t))

	// The message shows the tag with its tagging id and extra.
	ms := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/" + chat + "/", Token: e.adminToken}))
	require.Equal(t, "wamid.M1", ms[1]["id"])
	tag := tagsOf(ms[1])["Agent needed"]
	require.Equal(t, float64(mtID), tag["tagging_id"])
	require.Equal(t, float64(agent), tag["id"])
	require.Equal(t, extra, tag["extra"])
	require.Empty(t, ms[0]["tags"])

	// ...and the chat is tagged at once, with the same extra.
	c := e.do(req{Method: "GET", Path: "/api/v1/chats/" + chat + "/", Token: e.adminToken}).JSON(t)
	ctag := tagsOf(c)["Agent needed"]
	require.NotNil(t, ctag, "tagging a message tags its chat")
	require.Equal(t, extra, ctag["extra"])
	ctID := num(ctag["tagging_id"])
	r = e.do(req{Method: "GET", Path: "/api/v1/chat_taggings/" + itoa(ctID) + "/", Token: bot})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, map[string]any{"id": float64(ctID), "tag": float64(agent), "chat": chat, "extra": extra}, r.JSON(t))
	cs := results(t, e.do(req{Method: "GET", Path: "/api/v1/chats/", Token: e.adminToken}))
	require.Equal(t, float64(ctID), tagsOf(cs[0])["Agent needed"]["tagging_id"], "the chats list shows tags too")

	// A pair exists once; for chats that includes the pair tagging made.
	r = e.tagMessage(bot, agent, "wamid.M1", nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t)["detail"], "already tagged")
	r = e.tagChat(bot, agent, chat, nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t)["detail"], "already tagged")

	// Both changes are in the history and in the event log, message first.
	mev := results(t, e.do(req{Method: "GET", Path: "/api/v1/message_tagging_events/", Token: bot}))
	require.Len(t, mev, 1)
	require.Equal(t, "added", mev[0]["action"])
	require.Equal(t, "wamid.M1", mev[0]["message"])
	require.Equal(t, extra, mev[0]["extra"])
	require.Equal(t, map[string]any{"id": float64(agent), "name": "Agent needed", "web_inbox_color": nil}, mev[0]["tag"])
	require.Equal(t, float64(botID), mev[0]["done_by"].(map[string]any)["id"])
	cev := results(t, e.do(req{Method: "GET", Path: "/api/v1/chat_tagging_events/", Token: bot}))
	require.Len(t, cev, 1)
	require.Equal(t, chat, cev[0]["chat"])
	require.Equal(t, "added", cev[0]["action"])

	logM := e.eventLog("message_tagging")
	require.Len(t, logM, 1)
	require.Equal(t, chat, *logM[0].ChatWaID)
	require.Equal(t, int64(e.count("SELECT id FROM messages WHERE wamid = 'wamid.M1'")), *logM[0].MessageID)
	require.Equal(t, mev[0], logM[0].Payload["event"], "the payload's event is the events endpoint's entry")
	require.Equal(t, map[string]any{"id": float64(agent), "name": "Agent needed", "extra": extra}, logM[0].Payload["tag"])
	logC := e.eventLog("chat_tagging")
	require.Len(t, logC, 1)
	require.Equal(t, chat, *logC[0].ChatWaID)
	require.Nil(t, logC[0].MessageID)
	require.Equal(t, cev[0], logC[0].Payload["event"])
	require.Equal(t, map[string]any{"id": float64(agent), "name": "Agent needed", "extra": extra}, logC[0].Payload["tag"])
	require.Less(t, e.count("SELECT id FROM events WHERE kind = 'message_tagging'"), e.count("SELECT id FROM events WHERE kind = 'chat_tagging'"))

	// A second message with the tag: the chat has it already, nothing new for the chat.
	r = e.tagMessage(bot, agent, "wamid.M2", nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Nil(t, r.JSON(t)["extra"])
	mt2 := num(r.JSON(t)["id"])
	require.Len(t, e.eventLog("chat_tagging"), 1)
	require.Len(t, e.eventLog("message_tagging"), 2)

	// Removing one message tagging keeps the chat's while another message carries the tag...
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: "/api/v1/message_taggings/" + itoa(mtID) + "/", Token: bot}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: "/api/v1/message_taggings/" + itoa(mtID) + "/", Token: bot}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "DELETE", Path: "/api/v1/message_taggings/" + itoa(mtID) + "/", Token: bot}).Status)
	require.Equal(t, http.StatusOK, e.do(req{Method: "GET", Path: "/api/v1/chat_taggings/" + itoa(ctID) + "/", Token: bot}).Status)
	// ...and removing the last one removes the chat tagging it made.
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: "/api/v1/message_taggings/" + itoa(mt2) + "/", Token: bot}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: "/api/v1/chat_taggings/" + itoa(ctID) + "/", Token: bot}).Status)
	c = e.do(req{Method: "GET", Path: "/api/v1/chats/" + chat + "/", Token: e.adminToken}).JSON(t)
	require.Empty(t, c["tags"])
	cev = results(t, e.do(req{Method: "GET", Path: "/api/v1/chat_tagging_events/", Token: bot}))
	require.Len(t, cev, 2)
	require.Equal(t, "removed", cev[0]["action"], "newest first")
	require.Equal(t, extra, cev[0]["extra"], "the removed tagging's extra")
	logC = e.eventLog("chat_tagging")
	require.Len(t, logC, 2)
	require.Equal(t, "removed", logC[1].Payload["event"].(map[string]any)["action"])
	mev = results(t, e.do(req{Method: "GET", Path: "/api/v1/message_tagging_events/?message_id=wamid.M1", Token: bot}))
	require.Len(t, mev, 2)
	require.Equal(t, []any{"removed", "added"}, []any{mev[0]["action"], mev[1]["action"]})
	require.Equal(t, extra, mev[0]["extra"])

	// Delete, then create the same pair again.
	r = e.tagMessage(bot, agent, "wamid.M1", map[string]any{"again": 1})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.NotEqual(t, float64(mtID), r.JSON(t)["id"])
	require.Len(t, e.eventLog("chat_tagging"), 3, "the chat is tagged again")

	// A chat tagging made on purpose survives removing message taggings.
	vip := e.createTag("VIP")
	r = e.tagChat(bot, vip, chat, map[string]any{"source": "crm"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"source": "crm"}, r.JSON(t)["extra"])
	vipChat := num(r.JSON(t)["id"])
	r = e.tagMessage(bot, vip, "wamid.M2", nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: "/api/v1/message_taggings/" + itoa(num(r.JSON(t)["id"])) + "/", Token: bot}).Status)
	require.Equal(t, http.StatusOK, e.do(req{Method: "GET", Path: "/api/v1/chat_taggings/" + itoa(vipChat) + "/", Token: bot}).Status)
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: "/api/v1/chat_taggings/" + itoa(vipChat) + "/", Token: bot}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "DELETE", Path: "/api/v1/chat_taggings/" + itoa(vipChat) + "/", Token: bot}).Status)
	r = e.tagChat(bot, vip, chat, nil)
	require.Equal(t, http.StatusCreated, r.Status, "a chat pair can be created again too")
	require.Nil(t, r.JSON(t)["extra"])

	// Forms carry tag and message/chat, but no extra (an object needs JSON).
	form := e.createTag("Form")
	r = e.do(req{Method: "POST", Path: "/api/v1/message_taggings/", Token: bot,
		RawBody: []byte(fmt.Sprintf("tag=%d&message=wamid.M1", form)), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Nil(t, r.JSON(t)["extra"])
	mp, ct := multipartBody(t, map[string]string{"tag": itoa(form), "message": "wamid.M2"})
	r = e.do(req{Method: "POST", Path: "/api/v1/message_taggings/", Token: bot, RawBody: mp, ContentType: ct})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	r = e.do(req{Method: "POST", Path: "/api/v1/chat_taggings/", Token: bot,
		RawBody: []byte(fmt.Sprintf("tag=%d&chat=%s", vip, chat)), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusBadRequest, r.Status, "the pair exists: %s", r.Body)
	mp, ct = multipartBody(t, map[string]string{"tag": itoa(form), "chat": chat, "extra": `{"a": 1}`})
	r = e.do(req{Method: "POST", Path: "/api/v1/chat_taggings/", Token: bot, RawBody: mp, ContentType: ct})
	require.Equal(t, http.StatusBadRequest, r.Status, "extra in a form is refused, not dropped: %s", r.Body)

	// Unknown tag: a bad field; unknown message or chat: 404.
	r = e.tagMessage(bot, 999999, "wamid.M1", nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "tag")
	r = e.tagChat(bot, 999999, chat, nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "tag")
	require.Equal(t, http.StatusNotFound, e.tagMessage(bot, agent, "wamid.NOPE", nil).Status)
	require.Equal(t, http.StatusNotFound, e.tagChat(bot, agent, "999", nil).Status)
	// extra must be an object.
	require.Equal(t, http.StatusBadRequest, e.tagMessage(bot, agent, "wamid.M2", []any{1}).Status)
	require.Equal(t, http.StatusBadRequest, e.tagChat(bot, agent, chat, "text").Status)
}

func TestTaggingNeedsTagPermissionAndReadAccess(t *testing.T) {
	e := setup(t)
	const chat, other = "15550000701", "15550000702"
	e.inbound(inboundText("wamid.P1", chat, "Mine", "hi", time.Now()))
	e.inbound(inboundText("wamid.P2", other, "Not Mine", "hi", time.Now()))
	uid, user := e.createUser("agent", "user")
	tag := e.createTag("Follow up")
	_, err := e.pool.Exec(t.Context(), "UPDATE chats SET assigned_user_id = $1 WHERE wa_id = $2", uid, chat)
	require.NoError(t, err)

	// A chat the user cannot read looks like no chat at all.
	require.Equal(t, http.StatusNotFound, e.tagMessage(user, tag, "wamid.P2", nil).Status)
	require.Equal(t, http.StatusNotFound, e.tagChat(user, tag, other, nil).Status)
	r := e.tagMessage(e.adminToken, tag, "wamid.P2", nil)
	require.Equal(t, http.StatusCreated, r.Status)
	hidden := itoa(num(r.JSON(t)["id"]))
	hiddenChat := itoa(e.count("SELECT id FROM chat_taggings WHERE chat_wa_id = $1", other))
	for _, p := range []string{"/api/v1/message_taggings/" + hidden + "/", "/api/v1/chat_taggings/" + hiddenChat + "/"} {
		require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: p, Token: user}).Status, p)
		require.Equal(t, http.StatusNotFound, e.do(req{Method: "DELETE", Path: p, Token: user}).Status, p)
	}
	require.Equal(t, 1, e.count("SELECT count(*) FROM message_taggings"), "nothing was deleted")

	// Its own chat it may tag.
	r = e.tagMessage(user, tag, "wamid.P1", nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	mine := itoa(num(r.JSON(t)["id"]))

	// Without can_use_tags: 403 on every tagging write, reads still work.
	e.setGroupPermissions(e.groupID("user"), false, "group", "assigned")
	r = e.tagChat(user, tag, chat, nil)
	require.Equal(t, http.StatusForbidden, r.Status)
	require.NotEmpty(t, r.JSON(t)["detail"])
	require.Equal(t, http.StatusForbidden, e.tagMessage(user, tag, "wamid.P1", nil).Status)
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "DELETE", Path: "/api/v1/message_taggings/" + mine + "/", Token: user}).Status)
	require.Equal(t, http.StatusOK, e.do(req{Method: "GET", Path: "/api/v1/message_taggings/" + mine + "/", Token: user}).Status)
	// A user's own setting can grant it back (the most permissive wins).
	r = e.do(req{Method: "PATCH", Path: "/api/v1/users/" + itoa(uid) + "/", Token: e.adminToken, Body: map[string]any{"permissions": map[string]any{"can_use_tags": true}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: "/api/v1/message_taggings/" + mine + "/", Token: user}).Status)

	// Anonymous callers get 403 everywhere.
	for _, p := range []req{
		{Method: "POST", Path: "/api/v1/message_taggings/", Body: map[string]any{"tag": tag, "message": "wamid.P1"}},
		{Method: "POST", Path: "/api/v1/chat_taggings/", Body: map[string]any{"tag": tag, "chat": chat}},
		{Method: "GET", Path: "/api/v1/message_taggings/" + hidden + "/"},
		{Method: "GET", Path: "/api/v1/message_tagging_events/"},
		{Method: "GET", Path: "/api/v1/chat_tagging_events/"},
	} {
		require.Equal(t, http.StatusForbidden, e.do(p).Status, "%s %s", p.Method, p.Path)
	}
}

func TestTaggingEventFiltersAndPermissions(t *testing.T) {
	e := setup(t)
	const a, b = "15550000801", "15550000802"
	e.inbound(inboundText("wamid.A1", a, "Ann", "hi", time.Now()))
	e.inbound(inboundText("wamid.A2", a, "Ann", "again", time.Now()))
	e.inbound(inboundText("wamid.B1", b, "Bob", "hi", time.Now()))
	tag := e.createTag("Lead")
	for _, m := range []string{"wamid.A1", "wamid.A2", "wamid.B1"} {
		require.Equal(t, http.StatusCreated, e.tagMessage(e.adminToken, tag, m, map[string]any{"m": m}).Status)
	}
	// Spread the history over known seconds: A1 at base, A2 at base+10, B1 at base+20.
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i, m := range []string{"wamid.A1", "wamid.A2", "wamid.B1"} {
		_, err := e.pool.Exec(t.Context(), `UPDATE message_tagging_events SET occurred_at = $1
			WHERE message_id = (SELECT id FROM messages WHERE wamid = $2)`, base.Add(time.Duration(i*10)*time.Second+500*time.Millisecond), m)
		require.NoError(t, err)
	}
	_, err := e.pool.Exec(t.Context(), `UPDATE chat_tagging_events SET occurred_at = CASE chat_wa_id WHEN $1 THEN $2::timestamptz ELSE $3::timestamptz END`,
		a, base, base.Add(20*time.Second))
	require.NoError(t, err)

	list := func(tok, path string) (int, []map[string]any) {
		r := e.do(req{Method: "GET", Path: path, Token: tok})
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", path, r.Body)
		return num(r.JSON(t)["count"]), results(t, r)
	}
	messages := func(rs []map[string]any) []any {
		out := []any{}
		for _, x := range rs {
			out = append(out, x["message"])
		}
		return out
	}
	adm := e.adminToken
	n, rs := list(adm, "/api/v1/message_tagging_events/")
	require.Equal(t, 3, n)
	require.Equal(t, []any{"wamid.B1", "wamid.A2", "wamid.A1"}, messages(rs), "newest first")
	require.Equal(t, float64(base.Add(20*time.Second).Unix()), rs[0]["timestamp"])
	require.Equal(t, map[string]any{"m": "wamid.B1"}, rs[0]["extra"])
	_, rs = list(adm, "/api/v1/message_tagging_events/?wa_id="+a)
	require.Equal(t, []any{"wamid.A2", "wamid.A1"}, messages(rs))
	_, rs = list(adm, "/api/v1/message_tagging_events/?message_id=wamid.A2")
	require.Equal(t, []any{"wamid.A2"}, messages(rs))
	_, rs = list(adm, "/api/v1/message_tagging_events/?message_id=wamid.A2&wa_id="+b)
	require.Empty(t, rs)
	_, rs = list(adm, fmt.Sprintf("/api/v1/message_tagging_events/?since_time=%d", base.Add(10*time.Second).Unix()))
	require.Equal(t, []any{"wamid.B1", "wamid.A2"}, messages(rs), "since_time is inclusive")
	_, rs = list(adm, fmt.Sprintf("/api/v1/message_tagging_events/?before_time=%d", base.Add(10*time.Second).Unix()))
	require.Equal(t, []any{"wamid.A1"}, messages(rs), "before_time is exclusive")
	_, rs = list(adm, fmt.Sprintf("/api/v1/message_tagging_events/?since_time=%d&before_time=%d", base.Unix(), base.Add(20*time.Second).Unix()))
	require.Equal(t, []any{"wamid.A2", "wamid.A1"}, messages(rs))
	n, rs = list(adm, "/api/v1/message_tagging_events/?limit=1&offset=1")
	require.Equal(t, 3, n)
	require.Equal(t, []any{"wamid.A2"}, messages(rs))

	n, rs = list(adm, "/api/v1/chat_tagging_events/")
	require.Equal(t, 2, n)
	require.Equal(t, b, rs[0]["chat"])
	_, rs = list(adm, "/api/v1/chat_tagging_events/?wa_id="+a)
	require.Len(t, rs, 1)
	require.Equal(t, a, rs[0]["chat"])
	require.Equal(t, map[string]any{"m": "wamid.A1"}, rs[0]["extra"], "the chat tagging carries the first message tagging's extra")
	_, rs = list(adm, fmt.Sprintf("/api/v1/chat_tagging_events/?since_time=%d", base.Add(20*time.Second).Unix()))
	require.Len(t, rs, 1)
	_, rs = list(adm, fmt.Sprintf("/api/v1/chat_tagging_events/?before_time=%d", base.Add(20*time.Second).Unix()))
	require.Len(t, rs, 1)
	require.Equal(t, a, rs[0]["chat"])

	// A regular user sees the history of the chats it may read only, and
	// the count says so.
	uid, user := e.createUser("reader", "user")
	n, _ = list(user, "/api/v1/message_tagging_events/")
	require.Equal(t, 0, n)
	_, err = e.pool.Exec(t.Context(), "UPDATE chats SET assigned_user_id = $1 WHERE wa_id = $2", uid, a)
	require.NoError(t, err)
	n, rs = list(user, "/api/v1/message_tagging_events/?limit=1")
	require.Equal(t, 2, n)
	require.Equal(t, []any{"wamid.A2"}, messages(rs))
	n, _ = list(user, "/api/v1/message_tagging_events/?wa_id="+b)
	require.Equal(t, 0, n)
	n, _ = list(user, "/api/v1/message_tagging_events/?message_id=wamid.B1")
	require.Equal(t, 0, n)
	n, rs = list(user, "/api/v1/chat_tagging_events/")
	require.Equal(t, 1, n)
	require.Equal(t, a, rs[0]["chat"])
	require.Equal(t, "admin", rs[0]["done_by"].(map[string]any)["username"])
	// A group the user belongs to opens the chats assigned to it.
	_, err = e.pool.Exec(t.Context(), "UPDATE chats SET assigned_group_id = $1 WHERE wa_id = $2", e.groupID("user"), b)
	require.NoError(t, err)
	n, _ = list(user, "/api/v1/chat_tagging_events/")
	require.Equal(t, 2, n)
	// Bad filters are refused by the schema.
	require.Equal(t, http.StatusBadRequest, e.do(req{Method: "GET", Path: "/api/v1/message_tagging_events/?since_time=abc", Token: adm}).Status)
}

// TestConcurrentTaggingKeepsTheChatTaggingTrue races untagging against
// untagging and tagging in one chat: a chat tagging made by tagging a
// message must exist exactly while a message of the chat carries the tag.
func TestConcurrentTaggingKeepsTheChatTaggingTrue(t *testing.T) {
	e := setup(t)
	const chat = "15550000901"
	e.inbound(inboundText("wamid.C1", chat, "Race", "one", time.Now()))
	e.inbound(inboundText("wamid.C2", chat, "Race", "two", time.Now()))
	tag := e.createTag("Race")
	send := func(method, path string, body any) int {
		var rd *strings.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		} else {
			rd = strings.NewReader("")
		}
		hr, _ := http.NewRequest(method, e.srv.URL+path, rd)
		hr.Header.Set("Authorization", "Token "+e.adminToken)
		hr.Header.Set("Content-Type", "application/json")
		res, err := e.client().Do(hr)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	consistent := func(round int) {
		msgs := e.count(`SELECT count(*) FROM message_taggings WHERE tag_id = $1`, tag)
		chats := e.count(`SELECT count(*) FROM chat_taggings WHERE tag_id = $1 AND chat_wa_id = $2`, tag, chat)
		require.Equal(t, msgs > 0, chats == 1, "round %d: %d message taggings, %d chat taggings", round, msgs, chats)
	}
	for round := range 8 {
		r1 := e.tagMessage(e.adminToken, tag, "wamid.C1", nil)
		require.Equal(t, http.StatusCreated, r1.Status, "%s", r1.Body)
		id1 := itoa(num(r1.JSON(t)["id"]))
		if round%2 == 0 {
			// Both message taggings go at once.
			r2 := e.tagMessage(e.adminToken, tag, "wamid.C2", nil)
			require.Equal(t, http.StatusCreated, r2.Status, "%s", r2.Body)
			id2 := itoa(num(r2.JSON(t)["id"]))
			codes := make(chan int, 2)
			for _, id := range []string{id1, id2} {
				go func() { codes <- send("DELETE", "/api/v1/message_taggings/"+id+"/", nil) }()
			}
			require.Equal(t, http.StatusNoContent, <-codes)
			require.Equal(t, http.StatusNoContent, <-codes)
			consistent(round)
			require.Zero(t, e.count(`SELECT count(*) FROM chat_taggings WHERE tag_id = $1`, tag))
		} else {
			// One goes while another comes.
			codes := make(chan int, 2)
			go func() { codes <- send("DELETE", "/api/v1/message_taggings/"+id1+"/", nil) }()
			go func() {
				codes <- send("POST", "/api/v1/message_taggings/", map[string]any{"tag": tag, "message": "wamid.C2"})
			}()
			got := []int{<-codes, <-codes}
			require.ElementsMatch(t, []int{http.StatusNoContent, http.StatusCreated}, got)
			consistent(round)
			_, err := e.pool.Exec(t.Context(), "DELETE FROM message_taggings; DELETE FROM chat_taggings")
			require.NoError(t, err)
		}
	}
}

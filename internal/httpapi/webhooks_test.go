package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func (e *env) createWebhook(token string, body map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/v1/waba_webhooks/", Token: token, Body: body})
	require.Equal(e.t, http.StatusCreated, r.Status, "%s", r.Body)
	return r.JSON(e.t)
}

func hookPath(h map[string]any, suffix ...string) string {
	return "/api/v1/waba_webhooks/" + itoa(int(h["id"].(float64))) + "/" + strings.Join(suffix, "")
}

func TestWebhookCreateDefaultsAndSecretOnce(t *testing.T) {
	e := setup(t)
	botID, bot := e.createUser("spambot", "app")
	h := e.createWebhook(bot, map[string]any{"url": "https://bot.example.com/webhook?auth=s3cr3t"})
	require.Equal(t, "https://bot.example.com/webhook?auth=s3cr3t", h["url"], "the shared secret in the query is kept as given")
	require.Equal(t, float64(botID), h["user"].(map[string]any)["id"])
	require.Equal(t, "spambot", h["user"].(map[string]any)["username"])
	require.Equal(t, baseURL+"/api/v1/users/"+itoa(botID)+"/", h["user"].(map[string]any)["url"])
	// Defaults: what a bot driven by the rule engine needs.
	require.Equal(t, false, h["on_incoming_messages"])
	require.Equal(t, false, h["on_outgoing_messages"])
	require.Equal(t, true, h["on_assigned_messages"])
	require.Equal(t, true, h["on_chat_assignment"])
	require.Equal(t, true, h["on_tagging"])
	secret, _ := h["signing_secret"].(string)
	require.True(t, strings.HasPrefix(secret, "whsec_"), "secret shown at creation: %v", h["signing_secret"])
	require.Equal(t, float64(0), h["consecutive_failures"])
	require.Equal(t, float64(0), h["events_pending"])
	require.Nil(t, h["last_success_at"])

	// Shown once.
	r := e.do(req{Method: "GET", Path: hookPath(h), Token: bot})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Nil(t, r.JSON(t)["signing_secret"])

	// One per user.
	r = e.do(req{Method: "POST", Path: "/api/v1/waba_webhooks/", Token: bot, Body: map[string]any{"url": "https://other.example.com/"}})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t)["detail"], "only one WABA Webhook per user")
}

func TestWebhookVisibilityAndUpdates(t *testing.T) {
	e := setup(t)
	_, alice := e.createUser("alice", "user")
	_, bob := e.createUser("bob", "app")
	ha := e.createWebhook(alice, map[string]any{"url": "https://alice.example.com/hook", "on_incoming_messages": true, "on_tagging": false})
	require.Equal(t, true, ha["on_incoming_messages"])
	require.Equal(t, false, ha["on_tagging"])
	hb := e.createWebhook(bob, map[string]any{"url": "https://bob.example.com/hook"})
	hadmin := e.createWebhook(e.adminToken, map[string]any{"url": "http://admin.example.com:8080/hook"})

	// Admins list all; others only their own.
	r := e.do(req{Method: "GET", Path: "/api/v1/waba_webhooks/", Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, float64(3), r.JSON(t)["count"])
	r = e.do(req{Method: "GET", Path: "/api/v1/waba_webhooks/", Token: alice})
	require.Equal(t, float64(1), r.JSON(t)["count"])
	require.Equal(t, ha["id"], results(t, r)[0]["id"])
	r = e.do(req{Method: "GET", Path: "/api/v1/waba_webhooks/?limit=1&offset=1", Token: e.adminToken})
	require.Len(t, results(t, r), 1)
	require.NotNil(t, r.JSON(t)["previous"])

	// Someone else's webhook does not exist for you.
	for _, m := range []string{"GET", "DELETE"} {
		r = e.do(req{Method: m, Path: hookPath(hb), Token: alice})
		require.Equal(t, http.StatusNotFound, r.Status, m)
	}
	r = e.do(req{Method: "PATCH", Path: hookPath(hb), Token: alice, Body: map[string]any{"on_tagging": false}})
	require.Equal(t, http.StatusNotFound, r.Status)
	r = e.do(req{Method: "GET", Path: hookPath(hb, "deliveries/"), Token: alice})
	require.Equal(t, http.StatusNotFound, r.Status)
	r = e.do(req{Method: "POST", Path: hookPath(hb, "replay/"), Token: alice, Body: map[string]any{"since_time": 0}})
	require.Equal(t, http.StatusNotFound, r.Status)
	// Admins may read and change anyone's.
	r = e.do(req{Method: "GET", Path: hookPath(ha), Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status)

	// PATCH changes what it carries.
	r = e.do(req{Method: "PATCH", Path: hookPath(ha), Token: alice, Body: map[string]any{"on_outgoing_messages": true}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	m := r.JSON(t)
	require.Equal(t, true, m["on_outgoing_messages"])
	require.Equal(t, true, m["on_incoming_messages"])
	require.Equal(t, "https://alice.example.com/hook", m["url"])
	// PUT needs the URL; absent events keep their value (as in the reference).
	r = e.do(req{Method: "PUT", Path: hookPath(ha), Token: alice, Body: map[string]any{"on_tagging": true}})
	require.Equal(t, http.StatusBadRequest, r.Status)
	r = e.do(req{Method: "PUT", Path: hookPath(ha), Token: alice, Body: map[string]any{"url": "https://alice.example.com/v2", "on_incoming_messages": false}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	m = r.JSON(t)
	require.Equal(t, "https://alice.example.com/v2", m["url"])
	require.Equal(t, false, m["on_incoming_messages"])
	require.Equal(t, true, m["on_outgoing_messages"])
	require.Nil(t, m["signing_secret"])

	// Form bodies work too, as everywhere.
	r = e.do(req{Method: "PATCH", Path: hookPath(hadmin), Token: e.adminToken, RawBody: []byte("on_tagging=false&url=https%3A%2F%2Fadmin.example.com%2Fx"),
		ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, false, r.JSON(t)["on_tagging"])
	require.Equal(t, "https://admin.example.com/x", r.JSON(t)["url"])

	// Deliveries and replay answer for the owner.
	r = e.do(req{Method: "GET", Path: hookPath(ha, "deliveries/"), Token: alice})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, float64(0), r.JSON(t)["count"])
	require.NotNil(t, r.JSON(t)["results"])
	r = e.do(req{Method: "POST", Path: hookPath(ha, "replay/"), Token: alice, Body: map[string]any{"since_time": 1600000000}})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	require.Equal(t, float64(0), r.JSON(t)["events"])

	// Delete.
	r = e.do(req{Method: "DELETE", Path: hookPath(ha), Token: e.adminToken})
	require.Equal(t, http.StatusNoContent, r.Status)
	r = e.do(req{Method: "GET", Path: hookPath(ha), Token: alice})
	require.Equal(t, http.StatusNotFound, r.Status)
	// A new one may then be created.
	e.createWebhook(alice, map[string]any{"url": "https://alice.example.com/again"})
}

func TestWebhookURLValidation(t *testing.T) {
	e := setup(t)
	for _, url := range []string{"", "not a url", "ftp://files.example.com/", "https://", "https://exa mple.com/", "https://example.com:99999/",
		"https://example.com/" + strings.Repeat("x", 2000), "//example.com/hook", "mailto:a@example.com"} {
		r := e.do(req{Method: "POST", Path: "/api/v1/waba_webhooks/", Token: e.adminToken, Body: map[string]any{"url": url}})
		require.Equal(t, http.StatusBadRequest, r.Status, "%q: %s", url, r.Body)
	}
	r := e.do(req{Method: "POST", Path: "/api/v1/waba_webhooks/", Token: e.adminToken, Body: map[string]any{}})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, 0, e.count("SELECT count(*) FROM waba_webhooks"))
	r = e.do(req{Method: "GET", Path: "/api/v1/waba_webhooks/", Token: ""})
	require.Equal(t, http.StatusForbidden, r.Status)
}

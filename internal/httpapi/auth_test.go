package httpapi_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var tokenPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestObtainTokenInEveryContentType(t *testing.T) {
	e := setup(t)
	creds := map[string]string{"username": "admin", "password": "admin-secret-1"}

	jsonRes := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: creds})
	require.Equal(t, http.StatusOK, jsonRes.Status, "%s", jsonRes.Body)
	jsonTok := jsonRes.JSON(t)["token"].(string)
	require.Regexp(t, tokenPattern, jsonTok)

	form := url.Values{"username": {"admin"}, "password": {"admin-secret-1"}}
	formRes := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", RawBody: []byte(form.Encode()), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusOK, formRes.Status, "%s", formRes.Body)
	require.Regexp(t, tokenPattern, formRes.JSON(t)["token"])

	body, ct := multipartBody(t, creds)
	mpRes := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", RawBody: body, ContentType: ct})
	require.Equal(t, http.StatusOK, mpRes.Status, "%s", mpRes.Body)
	require.Regexp(t, tokenPattern, mpRes.JSON(t)["token"])

	// Every token works until revoked.
	for _, tok := range []string{jsonTok, formRes.JSON(t)["token"].(string), mpRes.JSON(t)["token"].(string)} {
		me := e.do(req{Method: "GET", Path: "/api/v1/users/current/", Token: tok})
		require.Equal(t, http.StatusOK, me.Status)
		require.Equal(t, "admin", me.JSON(t)["username"])
	}

	// Only hashes are stored: no stored value equals a token.
	var leaked bool
	require.NoError(t, e.pool.QueryRow(t.Context(),
		"SELECT EXISTS (SELECT 1 FROM auth_tokens WHERE encode(token_hash, 'hex') = $1 OR encode(token_hash, 'escape') = $1)", jsonTok).Scan(&leaked))
	require.False(t, leaked)
}

func TestObtainTokenRejectsWrongCredentials(t *testing.T) {
	e := setup(t)
	for _, creds := range []map[string]any{
		{"username": "admin", "password": "wrong"},
		{"username": "nobody", "password": "admin-secret-1"},
	} {
		r := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: creds})
		require.Equal(t, http.StatusBadRequest, r.Status)
		require.Equal(t, []any{"Unable to log in with provided credentials."}, r.JSON(t)["non_field_errors"])
	}
	r := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: map[string]any{"username": "admin"}})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "password")
}

func TestFailedLoginsAreThrottled(t *testing.T) {
	e := setup(t) // burst of 5
	for range 5 {
		r := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: map[string]any{"username": "admin", "password": "nope"}})
		require.Equal(t, http.StatusBadRequest, r.Status)
	}
	r := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: map[string]any{"username": "admin", "password": "admin-secret-1"}})
	require.Equal(t, http.StatusTooManyRequests, r.Status, "the right password is refused too while throttled")
	require.NotEmpty(t, r.JSON(t)["detail"])
	require.NotEmpty(t, r.Header.Get("Retry-After"))

	// The client address is throttled across usernames as well.
	r = e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: map[string]any{"username": "someoneelse", "password": "x"}})
	require.Equal(t, http.StatusTooManyRequests, r.Status)
}

func TestAnonymousGets403WithTheReferenceText(t *testing.T) {
	e := setup(t)
	for _, path := range []string{"/api/v1/users/current/", "/api/v1/users/", "/api/v1/groups/", "/api/v1/chats/"} {
		r := e.do(req{Method: "GET", Path: path})
		require.Equal(t, http.StatusForbidden, r.Status, path)
		require.JSONEq(t, `{"detail":"Authentication credentials were not provided."}`, string(r.Body))
	}
	// An anonymous POST with a bad body still learns nothing but the 403.
	r := e.do(req{Method: "POST", Path: "/api/v1/users/", Body: map[string]any{"username": "bad name!"}})
	require.Equal(t, http.StatusForbidden, r.Status)
}

func TestInvalidTokenIs401(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "GET", Path: "/api/v1/users/current/", Token: strings.Repeat("a", 40)})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, "Invalid token.", r.JSON(t)["detail"])
}

func TestProviderKey(t *testing.T) {
	e := setup(t)
	// A later admin exists too: the provider key maps to the first one.
	e.createUser("secondadmin", "admin")

	r := e.do(req{Method: "GET", Path: "/api/v1/users/current/", Header: map[string]string{"D360-Api-Key": "valid-d360-key"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "admin", r.JSON(t)["username"])
	calls := *e.providerCalls
	r = e.do(req{Method: "GET", Path: "/api/v1/users/current/", Header: map[string]string{"D360-Api-Key": "valid-d360-key"}})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, calls, *e.providerCalls, "a valid key is cached")

	// Invalid alone: the reference's 403.
	r = e.do(req{Method: "GET", Path: "/api/v1/users/current/", Header: map[string]string{"D360-Api-Key": "bogus"}})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.JSONEq(t, `{"detail":"Authentication credentials were not provided."}`, string(r.Body))
	calls = *e.providerCalls
	r = e.do(req{Method: "GET", Path: "/api/v1/users/current/", Header: map[string]string{"D360-Api-Key": "bogus"}})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Equal(t, calls, *e.providerCalls, "an invalid key is cached too")

	// Invalid key plus a token: silently falls through to the token.
	_, userTok := e.createUser("alice", "user")
	r = e.do(req{Method: "GET", Path: "/api/v1/users/current/", Token: userTok, Header: map[string]string{"D360-Api-Key": "bogus"}})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "alice", r.JSON(t)["username"])

	// When the first admin is deactivated, the next active admin is used.
	r = e.do(req{Method: "DELETE", Path: "/api/v1/users/1/", Token: e.adminToken})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	r = e.do(req{Method: "GET", Path: "/api/v1/users/current/", Header: map[string]string{"D360-Api-Key": "valid-d360-key"}})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "secondadmin", r.JSON(t)["username"])
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSessionLoginWithCSRF(t *testing.T) {
	e := setup(t)
	root := e.do(req{Method: "GET", Path: "/api/v1/"})
	require.Equal(t, http.StatusOK, root.Status)
	require.NotNil(t, cookieNamed((&http.Response{Header: root.Header}).Cookies(), "csrftoken"), "GET /api/v1/ sets csrftoken")

	page := e.do(req{Method: "GET", Path: "/login/"})
	require.Equal(t, http.StatusOK, page.Status)
	csrf := cookieNamed((&http.Response{Header: page.Header}).Cookies(), "csrftoken")
	require.NotNil(t, csrf)
	require.Contains(t, string(page.Body), csrf.Value, "the form carries the token")

	form := func(token string) []byte {
		return []byte(url.Values{"username": {"admin"}, "password": {"admin-secret-1"}, "csrfmiddlewaretoken": {token}, "next": {"/api/v1/users/current/"}}.Encode())
	}
	// Without the CSRF token: refused.
	bad := e.do(req{Method: "POST", Path: "/login/", RawBody: form("forged"), ContentType: "application/x-www-form-urlencoded", Cookies: []*http.Cookie{csrf}})
	require.Equal(t, http.StatusForbidden, bad.Status)

	ok := e.do(req{Method: "POST", Path: "/login/", RawBody: form(csrf.Value), ContentType: "application/x-www-form-urlencoded", Cookies: []*http.Cookie{csrf}})
	require.Equal(t, http.StatusFound, ok.Status, "%s", ok.Body)
	require.Equal(t, "/api/v1/users/current/", ok.Header.Get("Location"))
	cookies := (&http.Response{Header: ok.Header}).Cookies()
	sid := cookieNamed(cookies, "sessionid")
	require.NotNil(t, sid)
	require.True(t, sid.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, sid.SameSite)
	newCSRF := cookieNamed(cookies, "csrftoken")
	require.NotNil(t, newCSRF, "the CSRF token rotates at login")

	session := []*http.Cookie{{Name: "sessionid", Value: sid.Value}, {Name: "csrftoken", Value: newCSRF.Value}}
	me := e.do(req{Method: "GET", Path: "/api/v1/users/current/", Cookies: session})
	require.Equal(t, http.StatusOK, me.Status)
	require.Equal(t, "admin", me.JSON(t)["username"])

	// An unsafe request with the session but without X-CSRFToken: 403.
	body := map[string]any{"name": "Support"}
	r := e.do(req{Method: "POST", Path: "/api/v1/groups/", Cookies: session, Body: body})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, r.JSON(t)["detail"], "CSRF")
	r = e.do(req{Method: "POST", Path: "/api/v1/groups/", Cookies: session, Body: body, Header: map[string]string{"X-CSRFToken": "wrong"}})
	require.Equal(t, http.StatusForbidden, r.Status)
	r = e.do(req{Method: "POST", Path: "/api/v1/groups/", Cookies: session, Body: body, Header: map[string]string{"X-CSRFToken": newCSRF.Value}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	// Logout ends the session.
	out := e.do(req{Method: "POST", Path: "/logout/", Cookies: session, Header: map[string]string{"X-CSRFToken": newCSRF.Value}})
	require.Equal(t, http.StatusFound, out.Status)
	me = e.do(req{Method: "GET", Path: "/api/v1/users/current/", Cookies: session})
	require.Equal(t, http.StatusForbidden, me.Status)
}

func TestLoginFormWrongPasswordRerenders(t *testing.T) {
	e := setup(t)
	page := e.do(req{Method: "GET", Path: "/login/"})
	csrf := cookieNamed((&http.Response{Header: page.Header}).Cookies(), "csrftoken")
	body := []byte(url.Values{"username": {"admin"}, "password": {"nope"}, "csrfmiddlewaretoken": {csrf.Value}, "next": {"//evil.example/"}}.Encode())
	r := e.do(req{Method: "POST", Path: "/login/", RawBody: body, ContentType: "application/x-www-form-urlencoded", Cookies: []*http.Cookie{csrf}})
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, string(r.Body), "correct username and password")
	require.Nil(t, cookieNamed((&http.Response{Header: r.Header}).Cookies(), "sessionid"))

	// A foreign "next" is never followed.
	body = []byte(url.Values{"username": {"admin"}, "password": {"admin-secret-1"}, "csrfmiddlewaretoken": {csrf.Value}, "next": {"//evil.example/"}}.Encode())
	r = e.do(req{Method: "POST", Path: "/login/", RawBody: body, ContentType: "application/x-www-form-urlencoded", Cookies: []*http.Cookie{csrf}})
	require.Equal(t, http.StatusFound, r.Status)
	require.Equal(t, "/api/v1/", r.Header.Get("Location"))
}

package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// FuzzRequestBodies sends what a stranger might to the public token
// endpoint and to an admin-only create: whatever the body and content type,
// the answer is a 4xx or 2xx with a JSON body, never a 5xx. The seed corpus
// runs in every `make test`; `make fuzz` explores further.
func FuzzRequestBodies(f *testing.F) {
	seeds := []struct {
		ct   string
		body string
	}{
		{"application/json", `{"username":"admin","password":"admin-secret-1"}`},
		{"application/json", `{"username":"x","profile":{"role":"app"}}`},
		{"application/json", `{"username":null}`},
		{"application/json", `{"username":["a"],"password":{}}`},
		{"application/json", `{"username":"\u0000","password":"\ud800"}`},
		{"application/json", `{`},
		{"application/json", `"just a string"`},
		{"application/json", `{"username":"a","groups":[{"id":-1}],"permissions":{"can_read_chats":"all"}}`},
		{"application/x-www-form-urlencoded", `username=admin&password=admin-secret-1`},
		{"application/x-www-form-urlencoded", `profile[role]=app&username=b`},
		{"application/x-www-form-urlencoded", `%zz=%`},
		{"multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nadmin\r\n--XX--\r\n"},
		{"multipart/form-data", "--XX\r\n"},
		{"text/xml", `<user/>`},
		{"", ``},
	}
	for _, s := range seeds {
		f.Add(s.ct, []byte(s.body))
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		if !validHeaderValue(ct) {
			return // Go's client refuses to send it; no server sees such a header
		}
		for _, target := range []struct{ path, token string }{
			{"/api/v1/auth/token/", ""},
			{"/api/v1/users/", e.adminToken},
			{"/api/v1/groups/", e.adminToken},
		} {
			req, err := http.NewRequest("POST", e.srv.URL+target.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			if target.token != "" {
				req.Header.Set("Authorization", "Token "+target.token)
			}
			res, err := e.client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 500 {
				t.Fatalf("POST %s %q %q -> %d %s", target.path, ct, body, res.StatusCode, b)
			}
			if !json.Valid(b) {
				t.Fatalf("POST %s -> %d with a non-JSON body %q", target.path, res.StatusCode, b)
			}
		}
	})
}

func validHeaderValue(v string) bool {
	for _, r := range v {
		if r < 0x20 && r != '\t' || r == 0x7f || r > 0x7e {
			return false
		}
	}
	return true
}

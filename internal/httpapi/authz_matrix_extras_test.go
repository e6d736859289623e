package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/config"
)

// The authorization matrix of the saved responses, templates, settings,
// contacts and plugins operations, with the callers of the matrix above.
// Where the expectations come from (openapi.yaml, "Who may call it"):
//
//   - Saved responses: list, create and retrieve for any authenticated
//     user; update and delete for admins and the user who created it (the
//     fixture is the regular user's own, so the app user is "someone else").
//   - Templates: list for anyone; create and delete for admins only.
//   - Business profile and "about": read by anyone, changed by admins only;
//     the profile photo: admins only, reading included (the reference:
//     "only available for admin Users").
//   - Contacts, the contacts check and plugins' public data: any
//     authenticated user.
func TestAuthzMatrixExtras(t *testing.T) {
	plugin := newPlugin(t)
	e := setup(t, func(c *config.Config) { c.Plugins = map[string]string{"forms": plugin.URL + "/public/"} })
	m := newMatrix(e)
	callers := []string{cAdmin, cUser, cApp, cAnonymous, cBadToken}
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.MXE1", "15557900101", "Extras", "hi", time.Now())).Status)

	own := e.createSavedResponse(m.tokens[cUser], "The user's own reply")
	ownPath := savedResponsePath(own["id"])
	photo := map[string]any{"file_encoded": base64.StdEncoding.EncodeToString(pngOf(t, 192, 192))}
	templateCount := func(se *env) int {
		return num(se.getJSON(se.adminToken, templatesPath)["count"])
	}
	all := func(ok int) map[string]int {
		return map[string]int{cAdmin: ok, cUser: ok, cApp: ok, cAnonymous: 403, cBadToken: 401}
	}
	adminOnly := func(ok int) map[string]int {
		return map[string]int{cAdmin: ok, cUser: 403, cApp: 403, cAnonymous: 403, cBadToken: 401}
	}

	ops := []struct {
		name string
		do   func(se *env, who, tok string) resp
		want map[string]int
	}{
		{"list saved responses", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/saved_responses/", Token: tok})
		}, all(200)},
		{"create saved response", func(se *env, who, tok string) resp {
			before := se.count("SELECT count(*) FROM saved_responses")
			r := se.do(req{Method: "POST", Path: "/api/v1/saved_responses/", Token: tok, Body: map[string]any{"text": "by " + who}})
			if r.Status != http.StatusCreated {
				require.Equal(se.t, before, se.count("SELECT count(*) FROM saved_responses"), "a refused create creates nothing")
			}
			return r
		}, all(201)},
		{"retrieve saved response", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: ownPath, Token: tok})
		}, all(200)},
		{"update saved response", func(se *env, who, tok string) resp {
			r := se.do(req{Method: "PUT", Path: ownPath, Token: tok, Body: map[string]any{"text": "put by " + who}})
			if r.Status != http.StatusOK {
				require.NotEqual(se.t, "put by "+who, se.getJSON(se.adminToken, ownPath)["text"], "a refused update changes nothing")
			}
			return r
		}, map[string]int{cAdmin: 200, cUser: 200, cApp: 403, cAnonymous: 403, cBadToken: 401}},
		{"partial update saved response", func(se *env, who, tok string) resp {
			r := se.do(req{Method: "PATCH", Path: ownPath, Token: tok, Body: map[string]any{"text": "patched by " + who}})
			if r.Status != http.StatusOK {
				require.NotEqual(se.t, "patched by "+who, se.getJSON(se.adminToken, ownPath)["text"], "a refused update changes nothing")
			}
			return r
		}, map[string]int{cAdmin: 200, cUser: 200, cApp: 403, cAnonymous: 403, cBadToken: 401}},
		{"delete saved response", func(se *env, _, tok string) resp {
			path := savedResponsePath(se.createSavedResponse(m.tokens[cUser], "doomed")["id"])
			r := se.do(req{Method: "DELETE", Path: path, Token: tok})
			want := http.StatusOK // still there after a refusal
			if r.Status == http.StatusNoContent {
				want = http.StatusNotFound
			}
			require.Equal(se.t, want, se.do(req{Method: "GET", Path: path, Token: se.adminToken}).Status)
			return r
		}, map[string]int{cAdmin: 204, cUser: 204, cApp: 403, cAnonymous: 403, cBadToken: 401}},
		{"list templates", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: templatesPath, Token: tok})
		}, all(200)},
		{"create template", func(se *env, who, tok string) resp {
			before := templateCount(se)
			r := se.do(req{Method: "POST", Path: templatesPath, Token: tok, Body: orderUpdate("by_" + strings.ReplaceAll(who, "-", "_"))})
			if r.Status != http.StatusCreated {
				require.Equal(se.t, before, templateCount(se), "a refused create creates nothing")
			}
			return r
		}, adminOnly(201)},
		{"delete template", func(se *env, who, tok string) resp {
			name := "doomed_" + strings.ReplaceAll(who, "-", "_")
			require.Equal(se.t, http.StatusCreated, se.do(req{Method: "POST", Path: templatesPath, Token: se.adminToken, Body: orderUpdate(name)}).Status)
			before := templateCount(se)
			r := se.do(req{Method: "DELETE", Path: templatesPath + name + "/", Token: tok})
			if r.Status != http.StatusNoContent {
				require.Equal(se.t, before, templateCount(se), "a refused delete deletes nothing")
			}
			return r
		}, adminOnly(204)},
		{"retrieve business profile", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: profilePath, Token: tok})
		}, all(200)},
		{"update business profile", func(se *env, _, tok string) resp {
			return se.do(req{Method: "PUT", Path: profilePath, Token: tok, Body: bakery})
		}, adminOnly(200)},
		{"partial update business profile", func(se *env, who, tok string) resp {
			r := se.do(req{Method: "PATCH", Path: profilePath, Token: tok, Body: map[string]any{"description": "by " + who}})
			if r.Status != http.StatusOK {
				require.NotEqual(se.t, "by "+who, se.getJSON(se.adminToken, profilePath)["description"], "a refused update changes nothing")
			}
			return r
		}, adminOnly(200)},
		{"retrieve about", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: aboutPath, Token: tok})
		}, all(200)},
		{"update about", func(se *env, who, tok string) resp {
			r := se.do(req{Method: "PUT", Path: aboutPath, Token: tok, Body: map[string]any{"text": "by " + who}})
			if r.Status != http.StatusOK {
				require.NotEqual(se.t, "by "+who, se.getJSON(se.adminToken, aboutPath)["text"], "a refused update changes nothing")
			}
			return r
		}, adminOnly(200)},
		{"retrieve photo", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: photoPath, Token: tok})
		}, adminOnly(200)},
		{"update photo", func(se *env, _, tok string) resp {
			return se.do(req{Method: "PUT", Path: photoPath, Token: tok, Body: photo})
		}, adminOnly(200)},
		{"list contacts", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/contacts/", Token: tok})
		}, all(200)},
		{"retrieve contact", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/contacts/15557900101/", Token: tok})
		}, all(200)},
		{"check contacts", func(se *env, _, tok string) resp {
			return se.do(req{Method: "POST", Path: "/api/v1/waba/contacts/", Token: tok, Body: map[string]any{"contacts": []string{"15557900101"}}})
		}, all(200)},
		{"plugin public data", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/plugins/forms/public/", Token: tok})
		}, all(200)},
	}
	for _, op := range ops {
		for _, who := range callers {
			want, ok := op.want[who]
			require.True(t, ok, "%s has no expectation for %s", op.name, who)
			t.Run(op.name+"/"+who, func(t *testing.T) {
				requireAnswer(t, who, op.do(e.sub(t), who, m.tokens[who]), want)
			})
		}
	}
}

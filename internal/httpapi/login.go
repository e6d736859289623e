package httpapi

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/auth"
)

// The login form is served outside the strict server on purpose: it is an
// HTML page for people, with form posts, redirects and cookies, not a JSON
// operation (openapi.yaml still documents it).

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>wamux: log in</title>
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto}label,input,button{display:block;width:100%;margin:.3rem 0}input{padding:.4rem}.error{color:#b00020}</style>
</head>
<body>
<h1>Log in to wamux</h1>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<form method="post" action="/login/">
<input type="hidden" name="csrfmiddlewaretoken" value="{{.CSRF}}">
<input type="hidden" name="next" value="{{.Next}}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" value="{{.Username}}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
</body>
</html>
`))

type loginView struct {
	CSRF, Next, Username, Error string
}

// csrfToken returns the request's csrftoken cookie, setting a new one when
// absent.
func (s *Server) csrfToken(c echo.Context) string {
	if ck, err := c.Cookie(auth.CSRFCookie); err == nil && ck.Value != "" {
		return ck.Value
	}
	v := auth.NewOpaque(32)
	s.setCSRFCookie(c, v)
	return v
}

func (s *Server) renderLogin(c echo.Context, status int, view loginView) error {
	view.CSRF = s.csrfToken(c)
	var b strings.Builder
	if err := loginPage.Execute(&b, view); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(status, b.String())
}

func (s *Server) getLoginPage(c echo.Context) error {
	return s.renderLogin(c, http.StatusOK, loginView{Next: safeNext(c.QueryParam("next"))})
}

func (s *Server) submitLogin(c echo.Context) error {
	if err := c.Request().ParseForm(); err != nil {
		return apperr.Invalid("Malformed form.")
	}
	form := c.Request().PostForm
	if !auth.CSRFFormMatches(c.Request(), form.Get("csrfmiddlewaretoken")) {
		return apperr.Forbidden(auth.DetailCSRF)
	}
	next := safeNext(form.Get("next"))
	username := form.Get("username")
	u, err := s.auth.CheckCredentials(c.Request().Context(), s.throttle, username, form.Get("password"), c.RealIP())
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindInvalid {
		return s.renderLogin(c, http.StatusOK, loginView{Next: next, Username: username,
			Error: "Please enter a correct username and password. Note that both fields may be case-sensitive."})
	}
	if err != nil {
		return err
	}
	sid, err := s.auth.StartSession(c.Request().Context(), u.ID, s.cfg.SessionTTL)
	if err != nil {
		return err
	}
	secure := s.secureRequest(c)
	c.SetCookie(&http.Cookie{
		Name:     auth.SessionCookie,
		Value:    sid,
		Path:     "/",
		MaxAge:   int(s.cfg.SessionTTL / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   secure,
	})
	// A new CSRF token after login, so a token planted before it is useless.
	s.setCSRFCookie(c, auth.NewOpaque(32))
	return c.Redirect(http.StatusFound, next)
}

func (s *Server) logout(c echo.Context) error {
	ck, err := c.Cookie(auth.SessionCookie)
	if err == nil && ck.Value != "" {
		if !auth.CSRFFormMatches(c.Request(), c.Request().Header.Get(auth.CSRFHeader)) &&
			!auth.CSRFFormMatches(c.Request(), c.FormValue("csrfmiddlewaretoken")) {
			return apperr.Forbidden(auth.DetailCSRF)
		}
		if err := s.auth.EndSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: auth.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusFound, "/login/")
}

// safeNext keeps redirects on this site: only an absolute path is accepted
// ("//evil.example" and "/\evil.example" are other hosts to a browser).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/api/v1/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/api/v1/"
	}
	return next
}

package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	profilePath = "/api/v1/settings/business/profile/"
	aboutPath   = "/api/v1/settings/profile/about/"
	photoPath   = "/api/v1/settings/profile/photo/"
)

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))))
	return buf.Bytes()
}

var bakery = map[string]any{
	"address": "1 Sample Street, Springfield, CA 94001", "description": "Fresh bread every morning.",
	"email": "shop@example.com", "vertical": "Food and Grocery", "websites": []any{"https://example.com/"},
}

func TestBusinessProfileSandbox(t *testing.T) {
	e := setup(t)
	_, user := e.createUser("agent", "user")

	require.Equal(t, map[string]any{"address": "", "description": "", "email": "", "vertical": "Other", "websites": []any{}},
		e.getJSON(user, profilePath), "a new number's profile; its vertical UNDEFINED shows as Other")

	for _, m := range []string{"PUT", "PATCH"} {
		r := e.do(req{Method: m, Path: profilePath, Token: user, Body: bakery})
		require.Equal(t, http.StatusForbidden, r.Status, "%s %s", m, r.Body)
	}
	r := e.do(req{Method: "PUT", Path: profilePath, Token: e.adminToken, Body: bakery})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, bakery, r.JSON(t))
	require.Equal(t, bakery, e.getJSON(user, profilePath))

	r = e.do(req{Method: "PATCH", Path: profilePath, Token: e.adminToken, Body: map[string]any{"description": "Fresh bread and cakes every morning."}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	want := map[string]any{}
	for k, v := range bakery {
		want[k] = v
	}
	want["description"] = "Fresh bread and cakes every morning."
	require.Equal(t, want, r.JSON(t), "PATCH changes only what it sends")
	require.Equal(t, want, e.getJSON(user, profilePath))

	// Bad input answers 400, naming the field, and changes nothing.
	for _, c := range []struct {
		method, field string
		body          map[string]any
	}{
		{"PATCH", "vertical", map[string]any{"vertical": "Bakery"}},
		{"PATCH", "websites", map[string]any{"websites": []any{"https://a.example/", "https://b.example/", "https://c.example/"}}},
		{"PATCH", "websites", map[string]any{"websites": []any{"ftp://example.com/"}}},
		{"PATCH", "email", map[string]any{"email": "not an address"}},
		{"PATCH", "description", map[string]any{"description": strings.Repeat("d", 513)}},
		{"PATCH", "address", map[string]any{"address": 12}},
		{"PUT", "email", map[string]any{"address": "x", "description": "x", "vertical": "Other"}},
	} {
		r := e.do(req{Method: c.method, Path: profilePath, Token: e.adminToken, Body: c.body})
		require.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", c.body, r.Body)
		require.Contains(t, r.JSON(t), c.field, "%v: %s", c.body, r.Body)
	}
	require.Equal(t, want, e.getJSON(user, profilePath), "nothing changed")

	// PUT replaces: websites not sent are removed. A form carries it too.
	r = e.do(req{Method: "PUT", Path: profilePath, Token: e.adminToken, ContentType: "application/x-www-form-urlencoded",
		RawBody: []byte("address=2+Market+Square&description=Cakes&email=cakes%40example.com&vertical=Restaurant")})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"address": "2 Market Square", "description": "Cakes", "email": "cakes@example.com",
		"vertical": "Restaurant", "websites": []any{}}, e.getJSON(user, profilePath))

	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: profilePath}).Status)
}

func TestProfileAboutSandbox(t *testing.T) {
	e := setup(t)
	_, user := e.createUser("agent", "user")
	require.Equal(t, map[string]any{"text": "Hey there! I am using WhatsApp."}, e.getJSON(user, aboutPath))

	r := e.do(req{Method: "PUT", Path: aboutPath, Token: user, Body: map[string]any{"text": "Hijacked"}})
	require.Equal(t, http.StatusForbidden, r.Status)
	r = e.do(req{Method: "PUT", Path: aboutPath, Token: e.adminToken, Body: map[string]any{"text": "Open Mon-Fri 8:00-18:00"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"text": "Open Mon-Fri 8:00-18:00"}, r.JSON(t))
	require.Equal(t, map[string]any{"text": "Open Mon-Fri 8:00-18:00"}, e.getJSON(user, aboutPath))

	for _, body := range []map[string]any{{"text": " "}, {"text": strings.Repeat("a", 140)}, {}} {
		r := e.do(req{Method: "PUT", Path: aboutPath, Token: e.adminToken, Body: body})
		require.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", body, r.Body)
		require.Contains(t, r.JSON(t), "text", "%s", r.Body)
	}
	r = e.do(req{Method: "PUT", Path: aboutPath, Token: e.adminToken, Body: map[string]any{"text": strings.Repeat("é", 139)}})
	require.Equal(t, http.StatusOK, r.Status, "139 characters fit: %s", r.Body)
}

func TestProfilePhotoSandbox(t *testing.T) {
	e := setup(t)
	_, user := e.createUser("agent", "user")
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: photoPath, Token: user}).Status, "admins only")
	require.Equal(t, map[string]any{"file": nil}, e.getJSON(e.adminToken, photoPath))

	photo := pngOf(t, 192, 192)
	body := map[string]any{"file_encoded": base64.StdEncoding.EncodeToString(photo)}
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "PUT", Path: photoPath, Token: user, Body: body}).Status)
	r := e.do(req{Method: "PUT", Path: photoPath, Token: e.adminToken, Body: body})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{}, r.JSON(t))
	require.Equal(t, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(photo), e.getJSON(e.adminToken, photoPath)["file"])

	for name, data := range map[string]string{
		"too small":  base64.StdEncoding.EncodeToString(pngOf(t, 191, 400)),
		"not image":  base64.StdEncoding.EncodeToString([]byte("GIF89a, not a JPEG or PNG")),
		"empty":      "",
		"not base64": "!!!",
	} {
		r := e.do(req{Method: "PUT", Path: photoPath, Token: e.adminToken, Body: map[string]any{"file_encoded": data}})
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", name, r.Body)
		require.NotEmpty(t, r.JSON(t), name)
	}
	require.Equal(t, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(photo), e.getJSON(e.adminToken, photoPath)["file"], "unchanged")

	// A multipart body carries file_encoded too.
	other := pngOf(t, 200, 200)
	mp, ct := multipartBody(t, map[string]string{"file_encoded": base64.StdEncoding.EncodeToString(other)})
	r = e.do(req{Method: "PUT", Path: photoPath, Token: e.adminToken, RawBody: mp, ContentType: ct})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(other), e.getJSON(e.adminToken, photoPath)["file"])

	// So does a form, as a data: URL here.
	third := pngOf(t, 210, 210)
	form := url.Values{"file_encoded": {"data:image/png;base64," + base64.StdEncoding.EncodeToString(third)}}
	r = e.do(req{Method: "PUT", Path: photoPath, Token: e.adminToken, RawBody: []byte(form.Encode()), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(third), e.getJSON(e.adminToken, photoPath)["file"])
}

// TestSettingsHTTPProviders runs the settings against loopback servers
// speaking the Cloud API's and 360dialog's wire formats.
func TestSettingsHTTPProviders(t *testing.T) {
	t.Parallel()
	for _, flavour := range []string{"cloud", "360dialog"} {
		t.Run(flavour, func(t *testing.T) {
			fake := newFakeAccount(t, flavour)
			e := setup(t, fake.option())

			r := e.do(req{Method: "PUT", Path: profilePath, Token: e.adminToken, Body: bakery})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			fake.mu.Lock()
			require.Equal(t, "GROCERY", fake.profile["vertical"], "the Cloud API's code")
			fake.mu.Unlock()
			require.Equal(t, bakery, e.getJSON(e.adminToken, profilePath))

			r = e.do(req{Method: "PATCH", Path: profilePath, Token: e.adminToken, Body: map[string]any{"vertical": "Non-profit"}})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.Equal(t, "Non-profit", r.JSON(t)["vertical"])
			require.Equal(t, bakery["address"], r.JSON(t)["address"])

			r = e.do(req{Method: "PUT", Path: aboutPath, Token: e.adminToken, Body: map[string]any{"text": "Open daily"}})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.Equal(t, map[string]any{"text": "Open daily"}, e.getJSON(e.adminToken, aboutPath))

			require.Equal(t, map[string]any{"file": nil}, e.getJSON(e.adminToken, photoPath))
			photo := pngOf(t, 640, 640)
			r = e.do(req{Method: "PUT", Path: photoPath, Token: e.adminToken, Body: map[string]any{"file_encoded": base64.StdEncoding.EncodeToString(photo)}})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			fake.mu.Lock()
			require.Equal(t, photo, fake.photo, "uploaded, then set by its handle")
			fake.mu.Unlock()
			require.Equal(t, "https://pps.whatsapp.net/v/t61/profile.jpg?oe=1", e.getJSON(e.adminToken, photoPath)["file"])

			// Bad input never reaches the provider.
			n := len(fake.requestLog())
			r = e.do(req{Method: "PATCH", Path: profilePath, Token: e.adminToken, Body: map[string]any{"email": "nope"}})
			require.Equal(t, http.StatusBadRequest, r.Status)
			r = e.do(req{Method: "PUT", Path: photoPath, Token: e.adminToken, Body: map[string]any{"file_encoded": base64.StdEncoding.EncodeToString(pngOf(t, 10, 10))}})
			require.Equal(t, http.StatusBadRequest, r.Status)
			require.Len(t, fake.requestLog(), n)

			// The provider's refusals are 400 with its message, its failures 502.
			fake.fail(http.StatusBadRequest)
			r = e.do(req{Method: "PUT", Path: aboutPath, Token: e.adminToken, Body: map[string]any{"text": "Refused"}})
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			require.Contains(t, r.JSON(t)["detail"], "The WhatsApp provider refused the about text: Invalid parameter")
			fake.fail(http.StatusInternalServerError)
			r = e.do(req{Method: "GET", Path: profilePath, Token: e.adminToken})
			require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
			require.Equal(t, map[string]any{"text": "Open daily"}, e.getJSON(e.adminToken, aboutPath), "the refused change changed nothing")
		})
	}
}

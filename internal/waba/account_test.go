package waba

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The account operations against loopback servers: the exact requests
// each HTTP provider sends, and how it reads the answers.

const testWABAID = "109876543210987"

// accountFlavour is one HTTP provider as the account tests see it.
type accountFlavour struct {
	flavour
	// profilePath, uploadSessionPath are where the profile and the upload
	// sessions live; uploadAuthorized checks the upload's data request.
	profilePath, uploadSessionPath string
	uploadAuthorized               func(h http.Header) bool
	// uploadPath is where the data of the session "upload:MTphdHRhY2g="
	// goes.
	uploadPath string
}

func accountFlavours() []accountFlavour {
	fl := flavours()
	return []accountFlavour{
		{flavour: fl[0], profilePath: "/v21.0/" + testPhoneNumberID + "/whatsapp_business_profile", uploadSessionPath: "/v21.0/app/uploads",
			uploadAuthorized: func(h http.Header) bool { return h.Get("Authorization") == "OAuth "+testToken },
			uploadPath:       "/v21.0/upload:MTphdHRhY2g="},
		{flavour: fl[1], profilePath: "/whatsapp_business_profile", uploadSessionPath: "/uploads",
			uploadAuthorized: func(h http.Header) bool { return h.Get("D360-API-KEY") == testAPIKey },
			uploadPath:       "/upload:MTphdHRhY2g="},
	}
}

func (fl accountFlavour) account(base string) Account {
	if fl.name == "cloud" {
		return NewCloud(CloudConfig{BaseURL: base + "/v21.0", PhoneNumberID: testPhoneNumberID, WABAID: testWABAID, Token: testToken}).(Account)
	}
	return fl.newProvider(base, 0).(Account)
}

func TestBusinessProfileWire(t *testing.T) {
	t.Parallel()
	for _, fl := range accountFlavours() {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, func(w http.ResponseWriter, r recorded) {
				w.Header().Set("Content-Type", "application/json")
				if r.method == http.MethodGet {
					_, _ = w.Write([]byte(`{"data":[{"about":"Open daily","address":"1 Sample Street","description":"Bread",` +
						`"email":"shop@example.com","messaging_product":"whatsapp","profile_picture_url":"https://pps.whatsapp.net/v/p.jpg",` +
						`"websites":["https://example.com/"],"vertical":"GROCERY"}]}`))
					return
				}
				_, _ = w.Write([]byte(`{"success":true}`))
			})
			a := fl.account(rec.srv.URL)
			p, err := a.BusinessProfile(context.Background())
			require.NoError(t, err)
			require.Equal(t, BusinessProfile{About: "Open daily", Address: "1 Sample Street", Description: "Bread", Email: "shop@example.com",
				Vertical: "GROCERY", Websites: []string{"https://example.com/"}, ProfilePictureURL: "https://pps.whatsapp.net/v/p.jpg"}, p)

			about, vertical := "Closed on Sundays", "RETAIL"
			require.NoError(t, a.UpdateBusinessProfile(context.Background(), ProfileUpdate{About: &about, Vertical: &vertical, Websites: &[]string{}}))

			reqs := rec.requests()
			require.Len(t, reqs, 2)
			require.Equal(t, http.MethodGet, reqs[0].method)
			require.Equal(t, fl.profilePath, reqs[0].path)
			q, _ := url.ParseQuery(reqs[0].query)
			require.Equal(t, "about,address,description,email,profile_picture_url,websites,vertical", q.Get("fields"))
			require.True(t, fl.authorized(reqs[0].header))
			require.Equal(t, http.MethodPost, reqs[1].method)
			require.Equal(t, fl.profilePath, reqs[1].path)
			require.True(t, fl.authorized(reqs[1].header))
			require.Equal(t, "application/json", reqs[1].header.Get("Content-Type"))
			require.JSONEq(t, `{"messaging_product":"whatsapp","about":"Closed on Sundays","vertical":"RETAIL","websites":[]}`, string(reqs[1].body),
				"only the fields to change, and an empty list to remove the websites")
		})
	}
}

func TestBusinessProfileEmptyAndRefused(t *testing.T) {
	t.Parallel()
	for _, fl := range accountFlavours() {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, func(w http.ResponseWriter, r recorded) {
				if r.method == http.MethodGet {
					answerJSON(http.StatusOK, []byte(`{"data":[]}`))(w, r)
					return
				}
				answerJSON(http.StatusBadRequest, []byte(`{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,`+
					`"error_user_title":"Invalid email","error_user_msg":"The email address is not valid.","fbtrace_id":"A1"}}`))(w, r)
			})
			a := fl.account(rec.srv.URL)
			p, err := a.BusinessProfile(context.Background())
			require.NoError(t, err)
			require.Equal(t, BusinessProfile{Websites: []string{}}, p, "a profile never filled in")

			email := "x@example.com"
			err = a.UpdateBusinessProfile(context.Background(), ProfileUpdate{Email: &email})
			var pe *ProviderError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, 100, pe.Code)
			require.Equal(t, "Invalid parameter: The email address is not valid.", pe.Message, "error_user_msg explains the refusal")
		})
	}
}

func TestSetProfilePhotoWire(t *testing.T) {
	t.Parallel()
	photo := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("x", 100))
	for _, fl := range accountFlavours() {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, func(w http.ResponseWriter, r recorded) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case r.path == fl.uploadSessionPath:
					_, _ = w.Write([]byte(`{"id":"upload:MTphdHRhY2g=?sig=ARZqkGCA"}`))
				case strings.Contains(r.path, "/upload:"):
					_, _ = w.Write([]byte(`{"h":"4::aW1hZ2UvcG5n:ARaX"}`))
				default:
					_, _ = w.Write([]byte(`{"success":true}`))
				}
			})
			require.NoError(t, fl.account(rec.srv.URL).SetProfilePhoto(context.Background(), photo, "image/png"))

			reqs := rec.requests()
			require.Len(t, reqs, 3)
			start, upload, set := reqs[0], reqs[1], reqs[2]
			require.Equal(t, http.MethodPost, start.method)
			require.Equal(t, fl.uploadSessionPath, start.path)
			require.True(t, fl.authorized(start.header))
			q, _ := url.ParseQuery(start.query)
			require.Equal(t, strconv.Itoa(len(photo)), q.Get("file_length"))
			require.Equal(t, "image/png", q.Get("file_type"))
			require.Equal(t, "profile.png", q.Get("file_name"))

			require.Equal(t, http.MethodPost, upload.method)
			require.Equal(t, fl.uploadPath, upload.path)
			require.Equal(t, "sig=ARZqkGCA", upload.query, "the session's signature stays a query parameter")
			require.True(t, fl.uploadAuthorized(upload.header), "%v", upload.header)
			require.Equal(t, "0", upload.header.Get("file_offset"))
			require.Equal(t, photo, upload.body)

			require.Equal(t, fl.profilePath, set.path)
			require.JSONEq(t, `{"messaging_product":"whatsapp","profile_picture_handle":"4::aW1hZ2UvcG5n:ARaX"}`, string(set.body))
		})
	}
}

func TestUploadTargetStaysOnTheBaseHost(t *testing.T) {
	t.Parallel()
	g := newGraphAPI("cloud", "https://graph.facebook.com/v21.0", "", nil, 0, 0)
	got, err := g.uploadTarget("upload:MTph?sig=AR")
	require.NoError(t, err)
	require.Equal(t, "https://graph.facebook.com/v21.0/upload:MTph?sig=AR", got)
	for _, bad := range []string{"", "MTph", "upload:../../x", "upload:x@evil.example", "upload:a b", "https://evil.example/upload:x"} {
		_, err := g.uploadTarget(bad)
		require.Error(t, err, bad)
	}
}

// cloudTemplateServer answers the Cloud API's template endpoints with n
// templates, in pages of the size asked for.
func cloudTemplateServer(t *testing.T, n int) *recorder {
	all := make([]map[string]any, n)
	for i := range all {
		all[i] = map[string]any{"id": fmt.Sprint(1000 + i), "name": fmt.Sprintf("tpl_%03d", i), "language": "en_US", "status": "APPROVED",
			"category": "UTILITY", "components": []any{map[string]any{"type": "BODY", "text": "Hi"}}}
	}
	return newRecorder(t, func(w http.ResponseWriter, r recorded) {
		w.Header().Set("Content-Type", "application/json")
		q, _ := url.ParseQuery(r.query)
		switch {
		case r.method == http.MethodGet && r.path == "/v21.0/"+testWABAID:
			_, _ = w.Write([]byte(`{"message_template_namespace":"c8ae5f90_307a_ca4c_b8f6_d1e2a2573574","id":"` + testWABAID + `"}`))
		case r.method == http.MethodGet:
			limit, _ := strconv.Atoi(q.Get("limit"))
			start := 0
			if after := q.Get("after"); after != "" {
				b, _ := base64.StdEncoding.DecodeString(after)
				start, _ = strconv.Atoi(string(b))
			}
			var matching []map[string]any
			for _, tpl := range all {
				if name := q.Get("name"); name == "" || strings.Contains(tpl["name"].(string), name) {
					matching = append(matching, tpl)
				}
			}
			end := min(start+limit, len(matching))
			page := map[string]any{"data": matching[start:end], "paging": map[string]any{"cursors": map[string]any{
				"before": base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(start))),
				"after":  base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end)))}}}
			if end < len(matching) {
				page["paging"].(map[string]any)["next"] = "https://graph.facebook.com/v21.0/next-page"
			}
			b, _ := json.Marshal(page)
			_, _ = w.Write(b)
		case r.method == http.MethodPost:
			_, _ = w.Write([]byte(`{"id":"594425479261596","status":"PENDING","category":"MARKETING"}`))
		case r.method == http.MethodDelete:
			_, _ = w.Write([]byte(`{"success":true}`))
		}
	})
}

func TestCloudTemplatesWire(t *testing.T) {
	t.Parallel()
	rec := cloudTemplateServer(t, 260)
	a := accountFlavours()[0].account(rec.srv.URL)

	list, err := a.ListTemplates(context.Background(), 10, 255)
	require.NoError(t, err)
	require.Equal(t, 260, list.Total)
	require.Len(t, list.Templates, 5)
	require.Equal(t, Template{ID: "1255", Name: "tpl_255", Category: "UTILITY", Language: "en_US", Status: "APPROVED",
		Components: json.RawMessage(`[{"text":"Hi","type":"BODY"}]`), Namespace: "c8ae5f90_307a_ca4c_b8f6_d1e2a2573574"}, list.Templates[0])
	reqs := rec.requests()
	require.Len(t, reqs, 3, "two pages of 250 and the namespace")
	for _, r := range reqs[:2] {
		require.Equal(t, "/v21.0/"+testWABAID+"/message_templates", r.path)
		require.True(t, accountFlavours()[0].authorized(r.header))
		q, _ := url.ParseQuery(r.query)
		require.Equal(t, "name,status,category,language,components,rejected_reason", q.Get("fields"))
		require.Equal(t, "250", q.Get("limit"))
	}
	q, _ := url.ParseQuery(reqs[1].query)
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte("250")), q.Get("after"), "the next page by its cursor, not the next URL")
	require.Equal(t, "fields=message_template_namespace", reqs[2].query)

	// The namespace is read once.
	_, err = a.ListTemplates(context.Background(), 1, 0)
	require.NoError(t, err)
	require.Len(t, rec.requests(), 5)

	created, err := a.CreateTemplate(context.Background(), Template{Name: "order_update", Category: "UTILITY", Language: "en_US",
		Components: json.RawMessage(`[{"type":"BODY","text":"Hi {{1}}"}]`)})
	require.NoError(t, err)
	require.Equal(t, Template{ID: "594425479261596", Name: "order_update", Category: "MARKETING", Language: "en_US", Status: "PENDING",
		RejectedReason: "NONE", Components: json.RawMessage(`[{"type":"BODY","text":"Hi {{1}}"}]`), Namespace: "c8ae5f90_307a_ca4c_b8f6_d1e2a2573574"}, created,
		"the category Meta filed it under")
	post := rec.requests()[5]
	require.Equal(t, http.MethodPost, post.method)
	require.Equal(t, "/v21.0/"+testWABAID+"/message_templates", post.path)
	require.JSONEq(t, `{"name":"order_update","category":"UTILITY","language":"en_US","components":[{"type":"BODY","text":"Hi {{1}}"}]}`, string(post.body))
}

func TestCloudDeleteTemplate(t *testing.T) {
	t.Parallel()
	rec := cloudTemplateServer(t, 3)
	a := accountFlavours()[0].account(rec.srv.URL)

	require.NoError(t, a.DeleteTemplate(context.Background(), "tpl_001"))
	reqs := rec.requests()
	require.Len(t, reqs, 2)
	require.Equal(t, http.MethodGet, reqs[0].method, "looked up first")
	q, _ := url.ParseQuery(reqs[0].query)
	require.Equal(t, "tpl_001", q.Get("name"))
	require.Equal(t, http.MethodDelete, reqs[1].method)
	require.Equal(t, "/v21.0/"+testWABAID+"/message_templates", reqs[1].path)
	require.Equal(t, "name=tpl_001", reqs[1].query)

	// "tpl" matches every template by substring, but none is called so.
	err := a.DeleteTemplate(context.Background(), "tpl")
	require.ErrorIs(t, err, ErrTemplateNotFound)
	require.Len(t, rec.requests(), 3, "nothing deleted")
}

func TestCloudTemplatesNeedTheAccountID(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answerJSON(http.StatusOK, []byte(`{}`)))
	a := NewCloud(CloudConfig{BaseURL: rec.srv.URL + "/v21.0", PhoneNumberID: testPhoneNumberID, Token: testToken}).(Account)
	_, err := a.ListTemplates(context.Background(), 10, 0)
	require.ErrorIs(t, err, ErrNotConfigured)
	require.ErrorContains(t, err, "WAMUX_WABA_ID")
	_, err = a.CreateTemplate(context.Background(), Template{Name: "x"})
	require.ErrorIs(t, err, ErrNotConfigured)
	require.ErrorIs(t, a.DeleteTemplate(context.Background(), "x"), ErrNotConfigured)
	require.Empty(t, rec.requests())
}

func TestD360TemplatesWire(t *testing.T) {
	t.Parallel()
	fl := accountFlavours()[1]
	rec := newRecorder(t, func(w http.ResponseWriter, r recorded) {
		switch {
		case r.method == http.MethodGet:
			answerJSON(http.StatusOK, []byte(`{"count":1,"filters":{},"limit":2,"offset":4,"sort":["id"],"total":5,"waba_templates":[`+
				`{"category":"UTILITY","components":[{"type":"BODY","text":"Hi"}],"language":"en","name":"welcome",`+
				`"namespace":"c8ae5f90_307a_ca4c_b8f6_d1e2a2573574","rejected_reason":"NONE","status":"approved"}]}`))(w, r)
		case r.method == http.MethodPost:
			answerJSON(http.StatusOK, []byte(`{"category":"UTILITY","components":[{"type":"BODY","text":"Bye"}],"language":"de","name":"goodbye",`+
				`"namespace":"c8ae5f90_307a_ca4c_b8f6_d1e2a2573574","rejected_reason":"NONE","status":"submitted"}`))(w, r)
		case r.path == "/v1/configs/templates/missing":
			answerJSON(http.StatusNotFound, []byte(`{"meta":{"developer_message":"Template not found","http_code":404,"success":false}}`))(w, r)
		default:
			answerJSON(http.StatusOK, []byte(`{"meta":{"success":true}}`))(w, r)
		}
	})
	a := fl.account(rec.srv.URL)

	list, err := a.ListTemplates(context.Background(), 2, 4)
	require.NoError(t, err)
	require.Equal(t, 5, list.Total)
	require.Equal(t, []Template{{Name: "welcome", Category: "UTILITY", Language: "en", Status: "APPROVED", RejectedReason: "NONE",
		Namespace: "c8ae5f90_307a_ca4c_b8f6_d1e2a2573574", Components: json.RawMessage(`[{"type":"BODY","text":"Hi"}]`)}}, list.Templates,
		"the status in capitals")

	created, err := a.CreateTemplate(context.Background(), Template{Name: "goodbye", Category: "UTILITY", Language: "de",
		Components: json.RawMessage(`[{"type":"BODY","text":"Bye"}]`)})
	require.NoError(t, err)
	require.Equal(t, "SUBMITTED", created.Status)
	require.Equal(t, "c8ae5f90_307a_ca4c_b8f6_d1e2a2573574", created.Namespace)

	require.NoError(t, a.DeleteTemplate(context.Background(), "goodbye"))
	require.ErrorIs(t, a.DeleteTemplate(context.Background(), "missing"), ErrTemplateNotFound)

	reqs := rec.requests()
	require.Len(t, reqs, 4)
	require.Equal(t, "/v1/configs/templates", reqs[0].path)
	require.Equal(t, "limit=2&offset=4", reqs[0].query)
	require.Equal(t, "/v1/configs/templates", reqs[1].path)
	require.JSONEq(t, `{"name":"goodbye","category":"UTILITY","language":"de","components":[{"type":"BODY","text":"Bye"}]}`, string(reqs[1].body))
	require.Equal(t, http.MethodDelete, reqs[2].method)
	require.Equal(t, "/v1/configs/templates/goodbye", reqs[2].path)
	for _, r := range reqs {
		require.True(t, fl.authorized(r.header))
	}
}

func TestHTTPProvidersHaveNoContactsCheck(t *testing.T) {
	t.Parallel()
	for _, fl := range accountFlavours() {
		rec := newRecorder(t, answerJSON(http.StatusOK, []byte(`{}`)))
		_, err := fl.account(rec.srv.URL).CheckContacts(context.Background(), ContactsCheck{Contacts: []string{"+1 631 555 1001"}})
		require.ErrorIs(t, err, ErrUnsupported, fl.name)
		require.Empty(t, rec.requests(), fl.name)
	}
}

func TestAccountProviderErrors(t *testing.T) {
	t.Parallel()
	for _, fl := range accountFlavours() {
		rec := newRecorder(t, answerJSON(http.StatusInternalServerError, []byte(`{"error":{"message":"Service temporarily unavailable","code":2}}`)))
		a := fl.account(rec.srv.URL)
		_, err := a.BusinessProfile(context.Background())
		var pe *ProviderError
		require.ErrorAs(t, err, &pe, fl.name)
		require.Equal(t, http.StatusInternalServerError, pe.HTTPStatus)
		_, err = a.ListTemplates(context.Background(), 10, 0)
		require.ErrorAs(t, err, &pe, fl.name)
		require.Equal(t, "Service temporarily unavailable", pe.Message)
	}
}

func TestSandboxTemplates(t *testing.T) {
	t.Parallel()
	s := NewSandbox(SandboxConfig{Delay: 50 * time.Millisecond})
	defer s.Close()
	ctx := context.Background()

	list, err := s.ListTemplates(ctx, 100, 0)
	require.NoError(t, err)
	require.Equal(t, 1, list.Total)
	require.Equal(t, "hello_world", list.Templates[0].Name, "Meta's sample template")

	body := json.RawMessage(`[{"type":"BODY","text":"Hi {{1}}, your order {{2}} ships today."}]`)
	created, err := s.CreateTemplate(ctx, Template{Name: "order_update", Category: "SHIPPING_UPDATE", Language: "en_US", Components: body})
	require.NoError(t, err)
	require.Equal(t, "PENDING", created.Status)
	require.Equal(t, "UTILITY", created.Category, "a legacy category is filed under UTILITY")
	require.NotEmpty(t, created.Namespace)

	for _, bad := range []Template{
		{Name: "Order Update", Category: "UTILITY", Language: "en_US", Components: body},
		{Name: "x", Category: "PROMOTION", Language: "en_US", Components: body},
		{Name: "x", Category: "UTILITY", Language: "english", Components: body},
		{Name: "x", Category: "UTILITY", Language: "en", Components: json.RawMessage(`[{"type":"HEADER","format":"TEXT","text":"Hi"}]`)},
		{Name: "x", Category: "UTILITY", Language: "en", Components: json.RawMessage(`{"type":"BODY"}`)},
		{Name: "order_update", Category: "UTILITY", Language: "en_US", Components: body}, // exists
	} {
		_, err := s.CreateTemplate(ctx, bad)
		var pe *ProviderError
		require.ErrorAs(t, err, &pe, "%+v", bad)
		require.Equal(t, http.StatusBadRequest, pe.HTTPStatus)
	}

	require.Eventually(t, func() bool {
		list, err := s.ListTemplates(ctx, 1, 1)
		return err == nil && list.Total == 2 && list.Templates[0].Status == "APPROVED"
	}, 5*time.Second, 10*time.Millisecond, "approved after the simulated review")

	require.NoError(t, s.DeleteTemplate(ctx, "order_update"))
	require.ErrorIs(t, s.DeleteTemplate(ctx, "order_update"), ErrTemplateNotFound)
}

func TestSandboxProfile(t *testing.T) {
	t.Parallel()
	s := NewSandbox(SandboxConfig{})
	defer s.Close()
	ctx := context.Background()

	p, err := s.BusinessProfile(ctx)
	require.NoError(t, err)
	require.Equal(t, BusinessProfile{About: DefaultAbout, Vertical: "UNDEFINED", Websites: []string{}}, p)

	address, vertical, websites := "1 Sample Street", "GROCERY", []string{"https://example.com/"}
	require.NoError(t, s.UpdateBusinessProfile(ctx, ProfileUpdate{Address: &address, Vertical: &vertical, Websites: &websites}))
	bad := []ProfileUpdate{
		{Email: ptrTo("not an address")},
		{Vertical: ptrTo("Food and Grocery")},
		{About: ptrTo("  ")},
		{About: ptrTo(strings.Repeat("a", 140))},
		{Websites: &[]string{"https://a.example/", "https://b.example/", "https://c.example/"}},
		{Websites: &[]string{"ftp://example.com/"}},
	}
	for _, u := range bad {
		err := s.UpdateBusinessProfile(ctx, u)
		var pe *ProviderError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, 100, pe.Code)
	}
	p, err = s.BusinessProfile(ctx)
	require.NoError(t, err)
	require.Equal(t, BusinessProfile{About: DefaultAbout, Address: address, Vertical: vertical, Websites: websites}, p, "refusals changed nothing")

	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	require.NoError(t, s.SetProfilePhoto(ctx, png, "image/png"))
	p, err = s.BusinessProfile(ctx)
	require.NoError(t, err)
	require.Equal(t, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(png), p.ProfilePictureURL)
	var pe *ProviderError
	require.ErrorAs(t, s.SetProfilePhoto(ctx, []byte("GIF89a..."), "image/gif"), &pe)
}

func TestSandboxCheckContacts(t *testing.T) {
	t.Parallel()
	s := NewSandbox(SandboxConfig{})
	defer s.Close()
	got, err := s.CheckContacts(context.Background(), ContactsCheck{Contacts: []string{
		"16315551000", "+1 631 555 1001", "(48) 123-123-123", "0123456789", "1234567", "+1 631 CALL NOW", "1234567890123456",
	}})
	require.NoError(t, err)
	require.Equal(t, []ContactStatus{
		{Input: "16315551000", WaID: "16315551000", Status: "valid"},
		{Input: "+1 631 555 1001", WaID: "16315551001", Status: "valid"},
		{Input: "(48) 123-123-123", WaID: "48123123123", Status: "valid"},
		{Input: "0123456789", Status: "invalid"},
		{Input: "1234567", Status: "invalid"},
		{Input: "+1 631 CALL NOW", Status: "invalid"},
		{Input: "1234567890123456", Status: "invalid"},
	}, got)
}

func TestCheckProfileUpdateNamesTheField(t *testing.T) {
	t.Parallel()
	err := CheckProfileUpdate(ProfileUpdate{Description: ptrTo(strings.Repeat("é", 513))})
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "description", fe.Field)
	require.NoError(t, CheckProfileUpdate(ProfileUpdate{Description: ptrTo(strings.Repeat("é", 512)), Email: ptrTo("")}),
		"limits count characters; an empty e-mail removes it")
}

func ptrTo[T any](v T) *T { return &v }

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/waba"
)

// wamux's cloud provider driven against the simulator: the account
// operations (templates, business profile, photo) end to end.

// account returns wamux's cloud provider, as an Account, pointed at the
// simulator.
func (b bundle) account(t *testing.T) waba.Account {
	t.Helper()
	p := waba.NewCloud(waba.CloudConfig{
		BaseURL:       b.api.URL + "/v21.0",
		PhoneNumberID: waba.DefaultBusiness().PhoneNumberID,
		WABAID:        waba.DefaultBusiness().WABAID,
		Token:         testToken,
	})
	a, ok := p.(waba.Account)
	require.True(t, ok)
	return a
}

func TestTemplatesThroughCloudProvider(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.account(t)
	ctx := context.Background()

	list, err := a.ListTemplates(ctx, 100, 0)
	require.NoError(t, err)
	require.Zero(t, list.Total)
	require.Empty(t, list.Templates)

	created, err := a.CreateTemplate(ctx, waba.Template{Name: "order_update", Category: "UTILITY", Language: "en_US",
		Components: json.RawMessage(`[{"type":"BODY","text":"Hi {{1}}, your order {{2}} ships today."}]`)})
	require.NoError(t, err)
	require.Equal(t, "APPROVED", created.Status, "the simulator approves at once")
	require.Equal(t, b.sim.namespace, created.Namespace)

	_, err = a.CreateTemplate(ctx, waba.Template{Name: "order_update", Category: "UTILITY", Language: "en_US", Components: json.RawMessage(`[]`)})
	var pe *waba.ProviderError
	require.ErrorAs(t, err, &pe, "the same name and language twice")
	require.Equal(t, 100, pe.Code)

	// More templates than one page of the provider's: it follows the
	// cursors and cuts the page asked for out of them.
	b.sim.mu.Lock()
	for i := range 300 {
		b.sim.templates = append(b.sim.templates, template{ID: fmt.Sprint(i), Name: fmt.Sprintf("bulk_%03d", i), Language: "en",
			Status: "APPROVED", Category: "MARKETING", Components: json.RawMessage(`[{"type":"BODY","text":"Sale"}]`)})
	}
	b.sim.mu.Unlock()
	list, err = a.ListTemplates(ctx, 10, 295)
	require.NoError(t, err)
	require.Equal(t, 301, list.Total)
	require.Len(t, list.Templates, 6)
	require.Equal(t, "bulk_294", list.Templates[0].Name)
	require.Equal(t, "bulk_299", list.Templates[5].Name)

	require.NoError(t, a.DeleteTemplate(ctx, "order_update"))
	require.ErrorIs(t, a.DeleteTemplate(ctx, "order_update"), waba.ErrTemplateNotFound)
	require.ErrorIs(t, a.DeleteTemplate(ctx, "bulk"), waba.ErrTemplateNotFound, "names match exactly")
	list, err = a.ListTemplates(ctx, 1, 0)
	require.NoError(t, err)
	require.Equal(t, 300, list.Total)
}

func TestProfileThroughCloudProvider(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.account(t)
	ctx := context.Background()

	p, err := a.BusinessProfile(ctx)
	require.NoError(t, err)
	require.Equal(t, waba.DefaultAbout, p.About)
	require.Empty(t, p.ProfilePictureURL)

	about, email, vertical := "Open Mon-Fri 8:00-18:00", "shop@example.com", "GROCERY"
	require.NoError(t, a.UpdateBusinessProfile(ctx, waba.ProfileUpdate{About: &about, Email: &email, Vertical: &vertical,
		Websites: &[]string{"https://example.com/"}}))
	bad := "BAKERY"
	var pe *waba.ProviderError
	require.ErrorAs(t, a.UpdateBusinessProfile(ctx, waba.ProfileUpdate{Vertical: &bad}), &pe)
	require.Equal(t, http.StatusBadRequest, pe.HTTPStatus)

	p, err = a.BusinessProfile(ctx)
	require.NoError(t, err)
	require.Equal(t, waba.BusinessProfile{About: about, Email: email, Vertical: vertical, Websites: []string{"https://example.com/"}}, p)

	// The photo travels through the Resumable Upload API and is served
	// back at profile_picture_url.
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 192, 192))))
	require.NoError(t, a.SetProfilePhoto(ctx, buf.Bytes(), "image/png"))
	p, err = a.BusinessProfile(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, p.ProfilePictureURL)
	req, err := http.NewRequest(http.MethodGet, p.ProfilePictureURL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, buf.Bytes(), got)
	require.Equal(t, "image/png", res.Header.Get("Content-Type"))

	require.ErrorAs(t, a.SetProfilePhoto(ctx, []byte("GIF89a not a photo"), "image/png"), &pe, "a GIF named PNG")

	_, err = a.CheckContacts(ctx, waba.ContactsCheck{Contacts: []string{"16315551000"}})
	require.ErrorIs(t, err, waba.ErrUnsupported, "the Cloud API has no contacts endpoint")
}

func TestUploadsCheckTheirSession(t *testing.T) {
	t.Parallel()
	b := setup(t)
	do := func(method, path, auth string, body []byte, headers ...string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, b.api.URL+path, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", auth)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}
	status, out := do(http.MethodPost, "/v21.0/app/uploads?file_length=4&file_type=image/gif", "Bearer "+testToken, nil)
	require.Equal(t, http.StatusBadRequest, status, "%v", out)
	status, out = do(http.MethodPost, "/v21.0/app/uploads?file_length=4&file_type=image/png&file_name=p.png", "Bearer "+testToken, nil)
	require.Equal(t, http.StatusOK, status, "%v", out)
	id := out["id"].(string)

	status, _ = do(http.MethodPost, "/v21.0/"+id, "OAuth wrong-token", []byte("abcd"), "file_offset", "0")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = do(http.MethodPost, "/v21.0/"+id, "OAuth "+testToken, []byte("abc"), "file_offset", "0")
	require.Equal(t, http.StatusBadRequest, status, "fewer bytes than announced")
	status, _ = do(http.MethodPost, "/v21.0/upload:nosuchsession?sig=x", "OAuth "+testToken, []byte("abcd"), "file_offset", "0")
	require.Equal(t, http.StatusBadRequest, status)
	status, out = do(http.MethodPost, "/v21.0/"+id, "OAuth "+testToken, []byte("abcd"), "file_offset", "0")
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.NotEmpty(t, out["h"])

	status, _ = do(http.MethodPost, "/v21.0/"+waba.DefaultBusiness().PhoneNumberID+"/whatsapp_business_profile", "Bearer "+testToken,
		[]byte(`{"messaging_product":"whatsapp","profile_picture_handle":"4::unknown"}`))
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = do(http.MethodPost, "/v21.0/"+waba.DefaultBusiness().PhoneNumberID+"/whatsapp_business_profile", "Bearer "+testToken,
		[]byte(`{"about":"no messaging_product"}`))
	require.Equal(t, http.StatusBadRequest, status)
}

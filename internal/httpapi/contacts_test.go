package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/config"
)

// customers writes to wamux as three customers and returns their wa_ids
// in wa_id order: Ann Lee, Bob Stone (assigned to user) and Carla Diaz.
func customers(e *env, user int) []string {
	e.t.Helper()
	waIDs := []string{"15550001111", "15550002222", "4915550003333"}
	for i, name := range []string{"Ann Lee", "Bob Stone", "Carla Diaz"} {
		r := e.inbound(inboundText("wamid.CT"+itoa(i), waIDs[i], name, "hello", time.Now()))
		require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
	}
	r := e.assign("PATCH", e.adminToken, waIDs[1], map[string]any{"assigned_to_user": user})
	require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
	return waIDs
}

func contactNames(t *testing.T, r resp) []string {
	t.Helper()
	names := []string{}
	for _, c := range results(t, r) {
		names = append(names, c["name"].(string))
	}
	return names
}

func TestContactsFromPersons(t *testing.T) {
	e := setup(t)
	userID, user := e.createUser("agent", "user")
	waIDs := customers(e, userID)
	list := func(tok, query string) resp {
		r := e.do(req{Method: "GET", Path: "/api/v1/contacts/" + query, Token: tok})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		return r
	}

	r := list(e.adminToken, "")
	require.EqualValues(t, 3, r.JSON(t)["count"])
	require.Nil(t, r.JSON(t)["next"])
	require.Nil(t, r.JSON(t)["previous"])
	first := results(t, r)[0]
	provider := first["contact_provider"].(map[string]any)
	require.Equal(t, map[string]any{
		"name": "Ann Lee", "initials": "AL",
		"phone_numbers":    []any{map[string]any{"phone_number": "+" + waIDs[0], "description": "WhatsApp"}},
		"email_addresses":  []any{},
		"contact_provider": map[string]any{"type": "wamux", "name": "wamux persons", "id": provider["id"]},
	}, first)
	require.Equal(t, []string{"Ann Lee", "Bob Stone", "Carla Diaz"}, contactNames(t, r), "in wa_id order")

	// Follow next: the page token is opaque and keeps the search.
	r = list(e.adminToken, "?limit=2")
	require.Equal(t, []string{"Ann Lee", "Bob Stone"}, contactNames(t, r))
	require.EqualValues(t, 3, r.JSON(t)["count"])
	next, err := url.Parse(r.JSON(t)["next"].(string))
	require.NoError(t, err)
	require.Equal(t, baseURL+"/api/v1/contacts/", next.Scheme+"://"+next.Host+next.Path)
	require.Equal(t, "2", next.Query().Get("limit"))
	token := next.Query().Get("page_token")
	require.NotEmpty(t, token)
	r = list(e.adminToken, "?"+next.RawQuery)
	require.Equal(t, []string{"Carla Diaz"}, contactNames(t, r))
	require.EqualValues(t, 3, r.JSON(t)["count"], "the count of all pages on every page")
	require.Nil(t, r.JSON(t)["next"])

	for _, bad := range []string{"?page_token=garbage", "?page_token=" + token + "&search=ann", "?limit=0", "?limit=1001"} {
		r := e.do(req{Method: "GET", Path: "/api/v1/contacts/" + bad, Token: e.adminToken})
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", bad, r.Body)
	}

	// Search the name, or the number in any format; % and _ are literal.
	for query, want := range map[string][]string{
		"?search=ann":   {"Ann Lee"},
		"?search=STONE": {"Bob Stone"},
		"?search=" + url.QueryEscape("+49 155-5000"): {"Carla Diaz"},
		"?search=1555000": {"Ann Lee", "Bob Stone", "Carla Diaz"},
		"?search=%25":     {},
		"?search=nobody":  {},
	} {
		r := list(e.adminToken, query)
		require.Equal(t, want, contactNames(t, r), query)
		require.EqualValues(t, len(want), r.JSON(t)["count"], query)
	}

	// A regular user sees the persons of the chats it may read only.
	r = list(user, "")
	require.Equal(t, []string{"Bob Stone"}, contactNames(t, r))
	require.EqualValues(t, 1, r.JSON(t)["count"])

	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: "/api/v1/contacts/"}).Status)
	require.Equal(t, http.StatusUnauthorized, e.do(req{Method: "GET", Path: "/api/v1/contacts/", Token: unknownToken}).Status)
}

func TestGetContact(t *testing.T) {
	e := setup(t)
	userID, user := e.createUser("agent", "user")
	waIDs := customers(e, userID)

	got := e.getJSON(e.adminToken, "/api/v1/contacts/"+waIDs[0]+"/")
	person := got["person"].(map[string]any)
	require.Equal(t, waIDs[0], person["wa_id"])
	require.Equal(t, "AL", person["initials"])
	require.Equal(t, e.getJSON(e.adminToken, "/api/v1/persons/"+waIDs[0]+"/"), person, "the Person as /persons/ shows it")
	providerResults := got["contact_provider_results"].([]any)
	require.Len(t, providerResults, 1)
	require.Equal(t, "Ann Lee", providerResults[0].(map[string]any)["name"])

	// Hidden from the user: as if wamux never talked to the number.
	hidden := map[string]any{"person": nil, "contact_provider_results": []any{}}
	require.Equal(t, hidden, e.getJSON(user, "/api/v1/contacts/"+waIDs[0]+"/"))
	require.Equal(t, "Bob Stone", e.getJSON(user, "/api/v1/contacts/"+waIDs[1]+"/")["person"].(map[string]any)["waba_payload"].(map[string]any)["profile"].(map[string]any)["name"])
	require.Equal(t, hidden, e.getJSON(e.adminToken, "/api/v1/contacts/15559999999/"), "a number wamux never talked to")

	r := e.do(req{Method: "GET", Path: "/api/v1/contacts/+15550001111/", Token: e.adminToken})
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
	require.Contains(t, r.JSON(t)["detail"], "digits only")
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: "/api/v1/contacts/" + waIDs[0] + "/"}).Status)
}

func TestContactsWithoutProviders(t *testing.T) {
	e := setup(t, func(c *config.Config) { c.ContactProviders = nil })
	waIDs := customers(e, e.count("SELECT id FROM users WHERE username = 'admin'"))
	r := e.do(req{Method: "GET", Path: "/api/v1/contacts/", Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"count": float64(0), "next": nil, "previous": nil, "results": []any{}}, r.JSON(t))
	got := e.getJSON(e.adminToken, "/api/v1/contacts/"+waIDs[0]+"/")
	require.NotNil(t, got["person"], "the Person is wamux's own")
	require.Equal(t, []any{}, got["contact_provider_results"])
}

func TestCheckWabaContacts(t *testing.T) {
	e := setup(t)
	_, user := e.createUser("agent", "user")
	path := "/api/v1/waba/contacts/"
	r := e.do(req{Method: "POST", Path: path, Token: user, Body: map[string]any{
		"blocking": "wait", "contacts": []string{"16315551000", "+1 631 555 1001", "6315551"}, "force_check": true}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"contacts": []any{
		map[string]any{"wa_id": "16315551000", "input": "16315551000", "status": "valid"},
		map[string]any{"wa_id": "16315551001", "input": "+1 631 555 1001", "status": "valid"},
		map[string]any{"input": "6315551", "status": "invalid"},
	}}, r.JSON(t))

	r = e.do(req{Method: "POST", Path: path, Token: user, RawBody: []byte("contacts=16315551000&contacts=0"), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusOK, r.Status, "a form carries the list too: %s", r.Body)
	require.Len(t, r.JSON(t)["contacts"], 2)

	for _, body := range []map[string]any{{}, {"contacts": []string{}}, {"contacts": []string{"1"}, "blocking": "later"}, {"contacts": "16315551000"}} {
		r := e.do(req{Method: "POST", Path: path, Token: user, Body: body})
		require.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", body, r.Body)
	}
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "POST", Path: path, Body: map[string]any{"contacts": []string{"1"}}}).Status)
}

func TestCheckWabaContactsOnTheCloudAPI(t *testing.T) {
	t.Parallel()
	for _, flavour := range []string{"cloud", "360dialog"} {
		t.Run(flavour, func(t *testing.T) {
			fake := newFakeAccount(t, flavour)
			e := setup(t, fake.option())
			r := e.do(req{Method: "POST", Path: "/api/v1/waba/contacts/", Token: e.adminToken, Body: map[string]any{"contacts": []string{"16315551000"}}})
			require.Equal(t, http.StatusNotImplemented, r.Status, "%s", r.Body)
			require.Contains(t, r.JSON(t)["detail"], "no contacts endpoint")
			require.Empty(t, fake.requestLog())
		})
	}
}

package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// seedSearchable adds n chats with one incoming message each, all matching
// "parcel", in SQL: the bound of search counts needs more matches than a
// test can send through the webhook in reasonable time.
func seedSearchable(t *testing.T, e *env, n int) {
	t.Helper()
	ctx := t.Context()
	_, err := e.pool.Exec(ctx, `
		INSERT INTO persons (wa_id, profile_name, initials)
		SELECT '1777' || lpad(i::text, 6, '0'), 'Customer ' || i, 'C' FROM generate_series(1, $1) i`, n)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `INSERT INTO chats (wa_id) SELECT '1777' || lpad(i::text, 6, '0') FROM generate_series(1, $1) i`, n)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `
		INSERT INTO messages (wamid, chat_wa_id, from_us, type, waba_payload, body_text, ts)
		SELECT 'wamid.S' || i, '1777' || lpad(i::text, 6, '0'), false, 'text',
		       jsonb_build_object('type', 'text', 'text', jsonb_build_object('body', 'my parcel ' || i)),
		       'my parcel ' || i, date_trunc('second', now()) - make_interval(mins => i)
		FROM generate_series(1, $1) i`, n)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `
		UPDATE chats c SET last_message_id = m.id, last_message_at = m.ts, incoming_count = 1
		FROM messages m WHERE m.chat_wa_id = c.wa_id AND c.wa_id LIKE '1777%'`)
	require.NoError(t, err)
}

type listPage struct {
	count   int
	next    bool
	results int
}

func getPage(t *testing.T, e *env, path string) listPage {
	t.Helper()
	r := e.do(req{Method: "GET", Path: path, Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var p struct {
		Count   int               `json:"count"`
		Next    *string           `json:"next"`
		Results []json.RawMessage `json:"results"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &p))
	return listPage{count: p.Count, next: p.Next != nil, results: len(p.Results)}
}

func TestSearchCountIsBounded(t *testing.T) {
	e := setup(t)
	const n = 1005 // more matches than the bound (1,000)
	seedSearchable(t, e, n)
	e.inbound(inboundText("wamid.Z1", "15550000701", "Zed", "a zeppelin parcel", time.Now()))
	e.inbound(inboundText("wamid.Z2", "15550000702", "Zoe", "zeppelins fly", time.Now()))

	for _, kind := range []string{"messages", "chats"} {
		t.Run(kind, func(t *testing.T) {
			base := "/api/v1/" + kind + "/?search=parcel"
			// More matches than the bound: the count is the bound, a lower
			// bound, and the next page is announced.
			require.Equal(t, listPage{count: 1000, next: true, results: 10}, getPage(t, e, base+"&limit=10"))
			// The bound rises to offset+limit+1 so that next stays right.
			require.Equal(t, listPage{count: 1001, next: true, results: 10}, getPage(t, e, base+"&limit=10&offset=990"))
			require.Equal(t, listPage{count: 1006, next: false, results: 6}, getPage(t, e, base+"&limit=10&offset=1000"),
				"at the end the count is exact and there is no next page")
			// Past the end: an empty page still carries the count.
			require.Equal(t, listPage{count: n + 1, next: false, results: 0}, getPage(t, e, base+"&limit=10&offset=2000"))
			// Fewer matches than the bound: exact.
			require.Equal(t, listPage{count: 2, next: false, results: 2}, getPage(t, e, "/api/v1/"+kind+"/?search=zeppelin"))
			require.Equal(t, listPage{count: 2, next: true, results: 1}, getPage(t, e, "/api/v1/"+kind+"/?search=zeppelin&limit=1"))
		})
	}
	// Without a search every count stays exact.
	require.Equal(t, listPage{count: n + 2, next: true, results: 100}, getPage(t, e, "/api/v1/messages/"))
	require.Equal(t, listPage{count: n + 2, next: true, results: 100}, getPage(t, e, "/api/v1/chats/"))
	require.Equal(t, listPage{count: n + 2, next: false, results: 0}, getPage(t, e, "/api/v1/chats/?offset=5000"))
}

// The chats list reads a page, its last messages (with sender and tags)
// and tags in one statement, GET /chats/{wa_id}/ in several: both must
// show the same chat.
func TestChatsListMatchesChatDetail(t *testing.T) {
	e := setup(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	e.inbound(inboundText("wamid.D1", "15550000801", "Dee Tail", "first", base))
	e.inbound(inboundText("wamid.D2", "15550000801", "Dee Tail", "second", base.Add(time.Minute)))
	e.inbound(inboundText("wamid.D3", "15550000802", "Eve", "hello", base.Add(2*time.Minute)))
	e.inbound(inboundText("wamid.D4", "15550000803", "Fay", "hey", base.Add(3*time.Minute)))
	ctx := t.Context()
	// An outgoing last message sent by the admin, tags on a chat and on a
	// last message, a received mark, an assignment.
	_, err := e.pool.Exec(ctx, `
		INSERT INTO messages (wamid, chat_wa_id, from_us, sender_id, type, waba_payload, body_text, ts, sent_at)
		SELECT 'wamid.D5', '15550000802', true, id, 'text', '{"type": "text", "text": {"body": "hi Eve"}}', 'hi Eve', $1, $1
		FROM users WHERE username = 'admin'`, base.Add(4*time.Minute))
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `
		UPDATE chats c SET last_message_id = m.id, last_message_at = m.ts, assigned_user_id = (SELECT id FROM users WHERE username = 'admin')
		FROM messages m WHERE m.wamid = 'wamid.D5' AND c.wa_id = m.chat_wa_id`)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `
		WITH t1 AS (INSERT INTO tags (name, web_inbox_color) VALUES ('vip', '#ff0000') RETURNING id),
		     t2 AS (INSERT INTO tags (name) VALUES ('late') RETURNING id)
		INSERT INTO chat_taggings (tag_id, chat_wa_id, extra)
		SELECT id, '15550000801', '{"note": "x"}'::jsonb FROM t1 UNION ALL SELECT id, '15550000801', NULL::jsonb FROM t2`)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `
		INSERT INTO message_taggings (tag_id, message_id)
		SELECT t.id, m.id FROM tags t, messages m WHERE t.name = 'late' AND m.wamid IN ('wamid.D2', 'wamid.D4')`)
	require.NoError(t, err)
	r := e.do(req{Method: "POST", Path: "/api/v1/mark_as_received/", Token: e.adminToken,
		Body: map[string]any{"timestamp": base.Unix(), "customer_wa_id": "15550000801"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	r = e.do(req{Method: "GET", Path: "/api/v1/chats/", Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	list := results(t, r)
	require.Len(t, list, 3)
	for _, c := range list {
		one := e.do(req{Method: "GET", Path: fmt.Sprintf("/api/v1/chats/%s/", c["wa_id"]), Token: e.adminToken})
		require.Equal(t, http.StatusOK, one.Status)
		require.Equal(t, one.JSON(t), c, "chat %s", c["wa_id"])
	}
	require.Equal(t, "15550000802", list[0]["wa_id"])
	last := list[0]["last_message"].(map[string]any)
	require.Equal(t, "admin", last["sender"].(map[string]any)["username"])
	require.Equal(t, true, last["received"])
	require.Equal(t, "admin", list[0]["assigned_to_user"].(map[string]any)["username"])
	require.Len(t, list[2]["tags"], 2)
	require.Equal(t, float64(1), list[2]["new_messages"])
	require.Len(t, list[2]["last_message"].(map[string]any)["tags"], 1)
	require.Equal(t, false, list[2]["last_message"].(map[string]any)["received"])
	require.Len(t, list[1]["last_message"].(map[string]any)["tags"], 1)
}

// A search with fewer matches than the count's bound reads its page from
// the matches by id and sorts it itself; without a search the page comes
// from one statement. When every message of a chat matches, both must
// show the same pages: order (ties on ts broken by id), received, sender,
// tags, statuses and count.
func TestSearchPageMatchesTheUnsearchedList(t *testing.T) {
	e := setup(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	const chat = "15550000901"
	e.inbound(inboundText("wamid.P0", chat, "Pat", "parcel zero", base))
	e.inbound(inboundText("wamid.Q0", "15550000902", "Quin", "another parcel", base))
	ctx := t.Context()
	// Eleven more: pairs on the same second, every third one sent by the
	// admin and delivered.
	_, err := e.pool.Exec(ctx, `
		INSERT INTO messages (wamid, chat_wa_id, from_us, sender_id, type, waba_payload, body_text, ts, sent_at, delivered_at)
		SELECT 'wamid.P' || i, $1, i % 3 = 0, CASE WHEN i % 3 = 0 THEN u.id END, 'text',
		       jsonb_build_object('type', 'text', 'text', jsonb_build_object('body', 'parcel ' || i)),
		       'parcel ' || i, $2::timestamptz + make_interval(secs => (i / 2) * 60),
		       CASE WHEN i % 3 = 0 THEN $2::timestamptz END, CASE WHEN i % 3 = 0 THEN $2::timestamptz END
		FROM generate_series(1, 11) i, users u WHERE u.username = 'admin'`, chat, base)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `
		WITH t AS (INSERT INTO tags (name) VALUES ('fragile') RETURNING id)
		INSERT INTO message_taggings (tag_id, message_id)
		SELECT t.id, m.id FROM t, messages m WHERE m.wamid IN ('wamid.P4', 'wamid.P7')`)
	require.NoError(t, err)
	r := e.do(req{Method: "POST", Path: "/api/v1/mark_as_received/", Token: e.adminToken,
		Body: map[string]any{"timestamp": base.Add(2 * time.Minute).Unix(), "customer_wa_id": chat}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	windows := []string{"limit=5", "limit=5&offset=5", "limit=5&offset=10", "limit=5&offset=20", "limit=100",
		fmt.Sprintf("since_time=%d&before_time=%d", base.Add(time.Minute).Unix(), base.Add(4*time.Minute).Unix())}
	for _, w := range windows {
		plain := e.do(req{Method: "GET", Path: "/api/v1/messages/" + chat + "/?" + w, Token: e.adminToken})
		require.Equal(t, http.StatusOK, plain.Status, "%s", plain.Body)
		searched := e.do(req{Method: "GET", Path: "/api/v1/messages/" + chat + "/?search=parcel&" + w, Token: e.adminToken})
		require.Equal(t, http.StatusOK, searched.Status, "%s", searched.Body)
		want, got := plain.JSON(t), searched.JSON(t)
		require.Equal(t, want["count"], got["count"], w)
		require.Equal(t, want["results"], got["results"], w)
	}
	all := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/" + chat + "/?search=parcel", Token: e.adminToken}))
	require.Len(t, all, 12)
	var bodies []string
	for _, m := range all {
		bodies = append(bodies, m["waba_payload"].(map[string]any)["text"].(map[string]any)["body"].(string))
	}
	require.Equal(t, []string{"parcel 11", "parcel 10", "parcel 9", "parcel 8", "parcel 7", "parcel 6",
		"parcel 5", "parcel 4", "parcel 3", "parcel 2", "parcel 1", "parcel zero"}, bodies,
		"newest first; on the same second the later id first")
}

// A word with more matches than the count's bound but few among the newest
// messages is read by all of its matches (walking the newest messages for
// it would read thousands of rows per match); the page must be the same.
func TestSearchSparseAmongTheNewest(t *testing.T) {
	e := setup(t)
	seedSearchable(t, e, 1005)
	ctx := t.Context()
	_, err := e.pool.Exec(ctx, `UPDATE messages SET ts = ts - interval '1 day' WHERE wamid LIKE 'wamid.S%'`)
	require.NoError(t, err)
	// 2,500 newer messages that do not match, in one chat.
	_, err = e.pool.Exec(ctx, `
		INSERT INTO messages (wamid, chat_wa_id, from_us, type, waba_payload, body_text, ts)
		SELECT 'wamid.N' || i, '1777000001', false, 'text',
		       jsonb_build_object('type', 'text', 'text', jsonb_build_object('body', 'hello ' || i)),
		       'hello ' || i, date_trunc('second', now()) - make_interval(secs => i)
		FROM generate_series(1, 2500) i`)
	require.NoError(t, err)

	bodies := func(path string) (int, bool, []string) {
		r := e.do(req{Method: "GET", Path: path, Token: e.adminToken})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var out []string
		for _, m := range results(t, r) {
			out = append(out, m["waba_payload"].(map[string]any)["text"].(map[string]any)["body"].(string))
		}
		j := r.JSON(t)
		return int(j["count"].(float64)), j["next"] != nil, out
	}
	count, next, got := bodies("/api/v1/messages/?search=parcel&limit=3")
	require.Equal(t, 1000, count, "the bound")
	require.True(t, next)
	require.Equal(t, []string{"my parcel 1", "my parcel 2", "my parcel 3"}, got)
	count, next, got = bodies("/api/v1/messages/?search=parcel&limit=3&offset=1000")
	require.Equal(t, 1004, count, "the bound rises to offset+limit+1")
	require.True(t, next)
	require.Equal(t, []string{"my parcel 1001", "my parcel 1002", "my parcel 1003"}, got)
}

// The chats list finds the chats a search matches by their messages in
// three ways, chosen by how many messages match and in how many chats
// (inbox.searchChats): from every match's chat, by probing each chat's
// messages, or as the planner likes. Whichever, pages and counts must be
// those of the plain definition: chats matching by name, number or a
// message, newest first, counted up to the bound.
func TestChatsSearchAgreesWithItsDefinition(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	// 2,100 chats with one "parcel" message each: spread.
	seedSearchable(t, e, 2100)
	// One chat with 2,100 "crate" messages: frequent in one chat.
	_, err := e.pool.Exec(ctx, `INSERT INTO persons (wa_id, profile_name, initials) VALUES ('1888000001', 'Crate Keeper', 'CK')`)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `INSERT INTO chats (wa_id) VALUES ('1888000001')`)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `
		INSERT INTO messages (wamid, chat_wa_id, from_us, type, waba_payload, body_text, ts)
		SELECT 'wamid.K' || i, '1888000001', false, 'text', jsonb_build_object('type', 'text', 'text', jsonb_build_object('body', 'crate ' || i)),
		       'crate ' || i, date_trunc('second', now()) - make_interval(secs => 90 * i)
		FROM generate_series(1, 2100) i`)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `
		UPDATE chats c SET last_message_id = m.id, last_message_at = m.ts, incoming_count = 2100
		FROM messages m WHERE m.wamid = 'wamid.K1' AND c.wa_id = m.chat_wa_id`)
	require.NoError(t, err)
	e.inbound(inboundText("wamid.X1", "15550000711", "Parcel Person", "hello", time.Now()))

	definition := func(pattern string) []string {
		rows, err := e.pool.Query(ctx, `
			SELECT c.wa_id FROM chats c JOIN persons p ON p.wa_id = c.wa_id
			WHERE p.profile_name ILIKE $1 OR c.wa_id LIKE $1
			   OR EXISTS (SELECT 1 FROM messages m WHERE m.chat_wa_id = c.wa_id AND m.body_text LIKE $1)
			ORDER BY c.last_message_at DESC NULLS LAST, c.wa_id`, pattern)
		require.NoError(t, err)
		var ids []string
		for rows.Next() {
			var id string
			require.NoError(t, rows.Scan(&id))
			ids = append(ids, id)
		}
		require.NoError(t, rows.Err())
		return ids
	}
	cases := []struct {
		word          string
		offset, limit int
	}{
		{"parcel", 0, 10},    // 2,000 hits in 2,000 chats: probed, counted from the hits
		{"parcel", 995, 10},  // the same
		{"parcel", 2095, 10}, // the bound (2,106) above the hits' 2,000 chats: the planner's choice
		{"crate", 0, 10},     // 2,000 hits in one chat: the planner's choice
		{"parcel 1", 0, 100}, // 1,111 hits: the chats of every match
		{"parcel 1", 1100, 100},
		{"zeppelin", 0, 10}, // none
	}
	for _, c := range cases {
		want := definition("%" + c.word + "%")
		bound := max(1000, c.offset+c.limit+1)
		wantPage := want[min(c.offset, len(want)):min(c.offset+c.limit, len(want))]
		r := e.do(req{Method: "GET", Token: e.adminToken,
			Path: fmt.Sprintf("/api/v1/chats/?search=%s&offset=%d&limit=%d", url.QueryEscape(c.word), c.offset, c.limit)})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var got []string
		for _, chat := range results(t, r) {
			got = append(got, chat["wa_id"].(string))
		}
		require.Equal(t, float64(min(len(want), bound)), r.JSON(t)["count"], "%+v", c)
		require.Equal(t, len(wantPage), len(got), "%+v", c)
		if len(wantPage) > 0 {
			require.Equal(t, wantPage, got, "%+v", c)
		}
	}
}

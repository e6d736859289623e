package inbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/waba"
)

// The read rule exists twice: in Go (authz.Level.Covers, used by the
// webhook fan-out and for writes) and in the SQL of the list queries
// (queries/reads.sql), where it must be to keep counts and pages true.
// This test holds them together: for every level and every kind of
// assignment, the chats list and its count (with and without a search), a
// single chat's read and the messages list (whose statements differ with a search: MessageList and
// MessageCount, MessageSearchHits) show exactly the chats Covers allows.
func TestCoversAgreesWithTheSQLFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	svc := inbox.New(inbox.Config{Pool: pool, Logger: slog.New(slog.DiscardHandler)})

	var me, other, mine, theirs int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO users (username, is_active) VALUES ('me', true) RETURNING id`).Scan(&me))
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO users (username, is_active) VALUES ('other', true) RETURNING id`).Scan(&other))
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO groups (name) VALUES ('mine') RETURNING id`).Scan(&mine))
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO groups (name) VALUES ('theirs') RETURNING id`).Scan(&theirs))

	// One chat per combination of assigned user and assigned group.
	type chat struct {
		waID        string
		user, group *int64
	}
	var chats []chat
	var msgs []waba.Message
	base := time.Now().Add(-time.Hour).Unix()
	for _, u := range []*int64{nil, &me, &other} {
		for _, g := range []*int64{nil, &mine, &theirs} {
			c := chat{waID: fmt.Sprint(15550000100 + len(chats)), user: u, group: g}
			chats = append(chats, c)
			msgs = append(msgs, waba.Message{ID: "w" + c.waID, From: c.waID, Timestamp: base + int64(len(chats)), Type: "text", Text: "see parcel " + c.waID, Raw: []byte(`{}`)})
		}
	}
	require.NoError(t, svc.Ingest(ctx, &waba.Notification{Messages: msgs}))
	for _, c := range chats {
		_, err := pool.Exec(ctx, `UPDATE chats SET assigned_user_id = $2, assigned_group_id = $3 WHERE wa_id = $1`, c.waID, c.user, c.group)
		require.NoError(t, err)
	}

	for _, level := range []authz.Level{authz.All, authz.Group, authz.Assigned, authz.None} {
		t.Run(string(level), func(t *testing.T) {
			v := inbox.Viewer{UserID: me, GroupIDs: []int64{mine}, Permissions: authz.Permissions{CanReadChats: level}}
			want := 0
			for _, c := range chats {
				covered := level.Covers(me, v.GroupIDs, c.user, c.group)
				if covered {
					want++
				}
				_, err := svc.GetChat(ctx, v, c.waID)
				require.Equal(t, covered, err == nil, "single chat, assigned to user %v and group %v: %v", deref(c.user), deref(c.group), err)
			}
			for _, search := range []string{"", "parcel"} {
				listed, count, err := svc.ListChats(ctx, v, inbox.ChatFilter{Search: search}, inbox.Page{Limit: 100})
				require.NoError(t, err)
				got := map[string]bool{}
				for _, c := range listed {
					got[c.WaID] = true
				}
				for _, c := range chats {
					require.Equal(t, level.Covers(me, v.GroupIDs, c.user, c.group), got[c.waID],
						"chats list (search %q), chat assigned to user %v and group %v", search, deref(c.user), deref(c.group))
				}
				require.Equal(t, int64(want), count, "the chats count (search %q) agrees with the page", search)
			}
			for _, search := range []string{"", "parcel"} {
				listed, count, err := svc.ListMessages(ctx, v, inbox.MessageFilter{Search: search}, inbox.Page{Limit: 100})
				require.NoError(t, err)
				got := map[string]bool{}
				for _, m := range listed {
					got[m.ChatWaID] = true
				}
				for _, c := range chats {
					require.Equal(t, level.Covers(me, v.GroupIDs, c.user, c.group), got[c.waID],
						"messages list (search %q), chat assigned to user %v and group %v", search, deref(c.user), deref(c.group))
				}
				require.Equal(t, int64(want), count, "the messages count (search %q) agrees with the page", search)
			}
		})
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRoundRobinAcrossTwoProcesses: a rule gives fresh chats to a group of
// three active members and one deactivated, round robin; 30 fresh chats
// arrive alternately at two replicas, whose rule engines share the work.
// Each member gets 10, the deactivated one none, and no chat is assigned
// twice (issue #6).
func TestRoundRobinAcrossTwoProcesses(t *testing.T) {
	t.Parallel()
	databaseURL, admin := newDatabase(t)
	a := startNode(t, "a", databaseURL)
	b := startNode(t, "b", databaseURL)
	api := newClient(t, a.url, admin)

	var members []int
	for _, name := range []string{"agentone", "agenttwo", "agentthree", "agentgone"} {
		members = append(members, createActiveUser(t, api, a.url, name))
	}
	r := api.do(http.MethodPost, "/api/v1/groups/", map[string]any{"name": "Agents", "members": members})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	group := num(r.JSON(t)["id"])
	gone := members[3]
	r = api.do(http.MethodDelete, "/api/v1/users/"+itoa(gone)+"/", nil)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	r = api.do(http.MethodPost, "/api/v1/rules/", map[string]any{
		"tagged_with": nil, "assign_to_group": group, "group_assign_method": "round_robin", "description": "fresh chats to the agents"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	rule := num(r.JSON(t)["id"])

	const chats = 30
	nodes := []*node{a, b}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	for i := range chats {
		wg.Go(func() {
			_, err := nodes[i%2].tryInject(textMessage(fmt.Sprintf("1555030%04d", i), "Fresh "+itoa(i), "hello"))
			if err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Empty(t, errs)

	var list []map[string]any
	eventually(t, 30*time.Second, func() bool {
		list = api.results("/api/v1/chats/?limit=100")
		assigned := 0
		for _, c := range list {
			if c["assigned_to_user"] != nil {
				assigned++
			}
		}
		return len(list) == chats && assigned == chats
	}, "all %d chats assigned", chats)
	perUser := map[int]int{}
	for _, c := range list {
		perUser[num(dig(c, "assigned_to_user", "id"))]++
		require.Equal(t, float64(group), dig(c, "assigned_group", "id"), "chat %v: round robin sets the group too", c["wa_id"])
	}
	require.Equal(t, map[int]int{members[0]: 10, members[1]: 10, members[2]: 10}, perUser,
		"10 chats per active member, none to the deactivated user %d", gone)

	// Each chat was assigned once, by the rule, whichever replica ran it.
	events := api.results("/api/v1/chat_assignment_events/?limit=100")
	require.Len(t, events, chats, "one assignment event per chat")
	perChat := map[string]int{}
	for _, e := range events {
		perChat[e["wa_id"].(string)]++
		require.NotNil(t, e["assigned_to_user_set"], "%v", e)
		require.Equal(t, float64(rule), dig(e, "reason", "rule_id"), "reason of %v", e)
	}
	require.Len(t, perChat, chats)
}

// createActiveUser creates a user through the API and activates it with
// its activation link, as the new user would; it returns the user's id.
func createActiveUser(t *testing.T, api *client, base, username string) int {
	t.Helper()
	r := api.do(http.MethodPost, "/api/v1/users/", map[string]any{
		"username": username, "email": username + "@example.com", "profile": map[string]any{"role": "user"}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	u := r.JSON(t)
	link, _ := u["activation_url"].(string)
	require.True(t, strings.HasPrefix(link, base), "activation_url %q", link)
	act := newClient(t, base, "").do(http.MethodGet, strings.TrimPrefix(link, base), nil)
	require.Equal(t, http.StatusOK, act.Status, "%s", act.Body)
	return num(u["id"])
}

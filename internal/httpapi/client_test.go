package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/gen/client"
)

// TestGeneratedClient drives wamux through the typed client bots import,
// so the client and the server cannot drift apart either.
func TestGeneratedClient(t *testing.T) {
	e := setup(t)
	e.inbound(inboundText("wamid.GC1", "15550000501", "Client Side", "hello client", time.Now()))
	c, err := client.NewClientWithResponses(e.srv.URL, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Token "+e.adminToken)
		return nil
	}))
	require.NoError(t, err)

	me, err := c.GetCurrentUserWithResponse(t.Context())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, me.StatusCode())
	require.Equal(t, "admin", me.JSON200.Username)
	require.Equal(t, client.RoleAdmin, me.JSON200.Profile.Role)

	chats, err := c.ListChatsWithResponse(t.Context(), &client.ListChatsParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, chats.StatusCode(), "%s", chats.Body)
	require.Equal(t, 1, chats.JSON200.Count)
	chat := chats.JSON200.Results[0]
	require.Equal(t, "15550000501", chat.WaId)
	require.Equal(t, 1, chat.NewMessages)
	last, err := chat.LastMessage.Get()
	require.NoError(t, err)
	require.Equal(t, "wamid.GC1", last.Id)
}

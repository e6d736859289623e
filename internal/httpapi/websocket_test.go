package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWebsocketNonUpgradeAnswers400: GET /ws/ without an upgrade is
// answered 400 with a detail, as openapi.yaml documents (validated by do).
// The protocol itself is tested in internal/ws.
func TestWebsocketNonUpgradeAnswers400(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "GET", Path: "/ws/"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	require.True(t, strings.HasPrefix(r.JSON(t)["detail"].(string), "This endpoint is a websocket"), "%s", r.Body)

	// A server built without a hub says so instead of upgrading.
	r = e.do(req{Method: "GET", Path: "/ws/", Header: map[string]string{"Connection": "Upgrade", "Upgrade": "websocket",
		"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}})
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	require.Contains(t, r.JSON(t)["detail"], "not running")
}

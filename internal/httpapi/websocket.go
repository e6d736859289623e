package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wamux/wamux/gen/api"
)

// The websocket feed (GET /ws/) is served outside the strict server on
// purpose: upgrading takes over the connection (http.Hijacker), which a
// strict response cannot express. The route registered in New replaces
// the strict one; internal/ws speaks the protocol.

const detailNotUpgrade = "This endpoint is a websocket: send a GET with \"Connection: Upgrade\" and \"Upgrade: websocket\"."

// connectWebsocket upgrades GET /ws/ and hands the connection to the hub.
// The request needs no credentials: the token comes in the first message.
func (s *Server) connectWebsocket(c echo.Context) error {
	if !isWebsocketUpgrade(c.Request()) {
		return c.JSON(http.StatusBadRequest, api.Error{Detail: detailNotUpgrade})
	}
	if s.websockets == nil {
		return c.JSON(http.StatusServiceUnavailable, api.Error{Detail: "The websocket feed is not running on this server."})
	}
	s.websockets.ServeHTTP(c.Response(), c.Request())
	return nil
}

// ConnectWebsocket is the strict server's side of GET /ws/, which no route
// reaches (see connectWebsocket): a strict handler cannot upgrade, so it
// answers as connectWebsocket does to a request that is not an upgrade.
func (s *Server) ConnectWebsocket(context.Context, api.ConnectWebsocketRequestObject) (api.ConnectWebsocketResponseObject, error) {
	detail := detailNotUpgrade
	return api.ConnectWebsocket400JSONResponse{BadRequestJSONResponse: api.BadRequestJSONResponse{Detail: &detail}}, nil
}

// isWebsocketUpgrade reports whether r asks for a websocket (RFC 6455,
// 4.2.1); the rest of the handshake is checked by the upgrade itself.
func isWebsocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

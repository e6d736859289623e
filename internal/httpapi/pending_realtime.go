package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// The operations below arrive with the websocket feed.
// Until then each answers 501; as the feature lands its operations move to
// their resource file and this file shrinks. TestNotImplementedOperations
// prints how many remain.

// ConnectWebsocket is not implemented yet.
func (s *Server) ConnectWebsocket(context.Context, api.ConnectWebsocketRequestObject) (api.ConnectWebsocketResponseObject, error) {
	return nil, notImplemented("the websocket feed")
}

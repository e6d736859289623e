package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// Plugins: the public data of installed plugins (internal/plugins). Any
// query parameter of the request is forwarded to the plugin.

// GetPluginPublicData returns a plugin's public data.
func (s *Server) GetPluginPublicData(ctx context.Context, req api.GetPluginPublicDataRequestObject) (api.GetPluginPublicDataResponseObject, error) {
	data, err := s.plugins.Public(ctx, req.Type, infoFrom(ctx).url.Query())
	if err != nil {
		return nil, err
	}
	return api.GetPluginPublicData200JSONResponse{Response: data}, nil
}

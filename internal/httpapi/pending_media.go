package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// The operations below arrive with the messaging issue (#3: media).
// Until then each answers 501; as the feature lands its operations move to
// their resource file and this file shrinks. TestNotImplementedOperations
// prints how many remain.

// CreateMedia is not implemented yet.
func (s *Server) CreateMedia(context.Context, api.CreateMediaRequestObject) (api.CreateMediaResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: media)")
}

// GetMedia is not implemented yet.
func (s *Server) GetMedia(context.Context, api.GetMediaRequestObject) (api.GetMediaResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: media)")
}

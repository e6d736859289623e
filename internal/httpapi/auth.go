package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/apperr"
)

// apiRootResources are the links of GET /api/v1/, as a browsable root.
var apiRootResources = []string{
	"users", "groups", "chats", "messages", "persons", "tags", "message_taggings", "chat_taggings",
	"message_tagging_events", "chat_tagging_events", "chat_assignment_events", "waba_webhooks",
	"saved_responses", "templates", "media", "contacts", "rules", "rule_engine",
}

// GetApiRoot lists the resources. Its other job, setting the csrftoken
// cookie, is done by the csrfCookie middleware on every safe request.
func (s *Server) GetApiRoot(ctx context.Context, _ api.GetApiRootRequestObject) (api.GetApiRootResponseObject, error) {
	root := make(api.ApiRoot, len(apiRootResources)+1)
	for _, r := range apiRootResources {
		root[r] = s.cfg.BaseURL + "/api/v1/" + r + "/"
	}
	root["openapi"] = s.cfg.BaseURL + "/api/v1/openapi.yaml"
	return api.GetApiRoot200JSONResponse{Body: root}, nil
}

// ObtainAuthToken exchanges a username and password for a new API token.
func (s *Server) ObtainAuthToken(ctx context.Context, req api.ObtainAuthTokenRequestObject) (api.ObtainAuthTokenResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	if body.Username == "" {
		return nil, apperr.Field("username", "This field may not be blank.")
	}
	if deref(body.Password) == "" {
		return nil, apperr.Field("password", "This field may not be blank.")
	}
	u, err := s.auth.CheckCredentials(ctx, s.throttle, body.Username, deref(body.Password), clientAddr(ctx))
	if err != nil {
		return nil, err
	}
	tok, err := s.auth.IssueToken(ctx, nil, u.ID)
	if err != nil {
		return nil, err
	}
	return api.ObtainAuthToken200JSONResponse{Token: tok}, nil
}

// ActivateUser consumes an activation code.
func (s *Server) ActivateUser(ctx context.Context, req api.ActivateUserRequestObject) (api.ActivateUserResponseObject, error) {
	tok, err := s.accounts.Activate(ctx, req.Code)
	if err != nil {
		return nil, err
	}
	if tok != "" {
		return api.ActivateUser200JSONResponse{Token: &tok}, nil
	}
	return api.ActivateUser200JSONResponse{Detail: ptr("Account activated.")}, nil
}

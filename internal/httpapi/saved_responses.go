package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/savedresponse"
)

// Saved responses: canned replies. Who may change one (its creator or an
// admin) is internal/savedresponse's to check.

func apiSavedResponse(r savedresponse.SavedResponse) api.SavedResponse {
	return api.SavedResponse{Id: ptr(int(r.ID)), Text: r.Text, CreatedBy: ptr(r.CreatedBy), Timestamp: ptr(int(r.CreatedAt.Unix()))}
}

// actor is the caller as internal/savedresponse knows it.
func actor(ctx context.Context) savedresponse.Actor {
	p := principal(ctx)
	return savedresponse.Actor{UserID: p.User.ID, Username: p.User.Username, IsAdmin: p.IsAdmin()}
}

func (p page) savedResponses() savedresponse.Page {
	return savedresponse.Page{Limit: int32(p.limit), Offset: int32(p.offset)}
}

// ListSavedResponses lists the saved responses, newest first.
func (s *Server) ListSavedResponses(ctx context.Context, req api.ListSavedResponsesRequestObject) (api.ListSavedResponsesResponseObject, error) {
	p := newPage(req.Params.Limit, req.Params.Offset)
	list, count, err := s.savedResponses.List(ctx, p.savedResponses())
	if err != nil {
		return nil, err
	}
	results := make([]api.SavedResponse, len(list))
	for i, r := range list {
		results[i] = apiSavedResponse(r)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListSavedResponses200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// CreateSavedResponse saves a canned reply made by the caller.
func (s *Server) CreateSavedResponse(ctx context.Context, req api.CreateSavedResponseRequestObject) (api.CreateSavedResponseResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	r, err := s.savedResponses.Create(ctx, actor(ctx), body.Text)
	if err != nil {
		return nil, err
	}
	return api.CreateSavedResponse201JSONResponse(apiSavedResponse(r)), nil
}

// GetSavedResponse returns one saved response.
func (s *Server) GetSavedResponse(ctx context.Context, req api.GetSavedResponseRequestObject) (api.GetSavedResponseResponseObject, error) {
	r, err := s.savedResponses.Get(ctx, int64(req.Id))
	if err != nil {
		return nil, err
	}
	return api.GetSavedResponse200JSONResponse(apiSavedResponse(r)), nil
}

// UpdateSavedResponse replaces the text of a saved response.
func (s *Server) UpdateSavedResponse(ctx context.Context, req api.UpdateSavedResponseRequestObject) (api.UpdateSavedResponseResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	r, err := s.savedResponses.Update(ctx, actor(ctx), int64(req.Id), &body.Text)
	if err != nil {
		return nil, err
	}
	return api.UpdateSavedResponse200JSONResponse(apiSavedResponse(r)), nil
}

// PartialUpdateSavedResponse changes the text of a saved response, if
// sent.
func (s *Server) PartialUpdateSavedResponse(ctx context.Context, req api.PartialUpdateSavedResponseRequestObject) (api.PartialUpdateSavedResponseResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	r, err := s.savedResponses.Update(ctx, actor(ctx), int64(req.Id), body.Text)
	if err != nil {
		return nil, err
	}
	return api.PartialUpdateSavedResponse200JSONResponse(apiSavedResponse(r)), nil
}

// DeleteSavedResponse deletes a saved response.
func (s *Server) DeleteSavedResponse(ctx context.Context, req api.DeleteSavedResponseRequestObject) (api.DeleteSavedResponseResponseObject, error) {
	if err := s.savedResponses.Delete(ctx, actor(ctx), int64(req.Id)); err != nil {
		return nil, err
	}
	return api.DeleteSavedResponse204Response{}, nil
}

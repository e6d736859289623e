package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/accounts"
)

// ListGroups lists the groups to any authenticated caller (chats show the
// group they are assigned to).
func (s *Server) ListGroups(ctx context.Context, req api.ListGroupsRequestObject) (api.ListGroupsResponseObject, error) {
	p := newPage(req.Params.Limit, req.Params.Offset)
	groups, count, err := s.accounts.ListGroups(ctx, int32(p.limit), int32(p.offset))
	if err != nil {
		return nil, err
	}
	results := make([]api.Group, len(groups))
	for i, g := range groups {
		results[i] = apiGroup(g)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListGroups200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// GetGroup returns one group.
func (s *Server) GetGroup(ctx context.Context, req api.GetGroupRequestObject) (api.GetGroupResponseObject, error) {
	g, err := s.accounts.GetGroup(ctx, int64(req.Id))
	if err != nil {
		return nil, err
	}
	return api.GetGroup200JSONResponse(apiGroup(g)), nil
}

func groupChanges(name *string, members *[]int, perms *api.Permissions) accounts.GroupChanges {
	ch := accounts.GroupChanges{Name: setIf(name)}
	if members != nil {
		ids := make([]int64, len(*members))
		for i, m := range *members {
			ids[i] = int64(m)
		}
		ch.Members = set(ids)
	}
	if perms != nil {
		ch.CanUseTags = set(perms.CanUseTags)
		ch.CanReadChats = set(string(perms.CanReadChats))
		ch.CanWriteToChats = set(string(perms.CanWriteToChats))
	}
	return ch
}

// CreateGroup creates a group (admins only).
func (s *Server) CreateGroup(ctx context.Context, req api.CreateGroupRequestObject) (api.CreateGroupResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	g, err := s.accounts.CreateGroup(ctx, groupChanges(&body.Name, body.Members, body.Permissions))
	if err != nil {
		return nil, err
	}
	return api.CreateGroup201JSONResponse(apiGroup(g)), nil
}

// UpdateGroup replaces a group's data (admins only).
func (s *Server) UpdateGroup(ctx context.Context, req api.UpdateGroupRequestObject) (api.UpdateGroupResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	g, err := s.accounts.UpdateGroup(ctx, int64(req.Id), groupChanges(&body.Name, body.Members, body.Permissions))
	if err != nil {
		return nil, err
	}
	return api.UpdateGroup200JSONResponse(apiGroup(g)), nil
}

// PartialUpdateGroup changes the fields the request carries (admins only).
func (s *Server) PartialUpdateGroup(ctx context.Context, req api.PartialUpdateGroupRequestObject) (api.PartialUpdateGroupResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	g, err := s.accounts.UpdateGroup(ctx, int64(req.Id), groupChanges(body.Name, body.Members, body.Permissions))
	if err != nil {
		return nil, err
	}
	return api.PartialUpdateGroup200JSONResponse(apiGroup(g)), nil
}

// DeleteGroup deletes a group (admins only); role groups stay.
func (s *Server) DeleteGroup(ctx context.Context, req api.DeleteGroupRequestObject) (api.DeleteGroupResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := s.accounts.DeleteGroup(ctx, int64(req.Id)); err != nil {
		return nil, err
	}
	return api.DeleteGroup204Response{}, nil
}

package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/accounts"
	"github.com/wamux/wamux/internal/apperr"
)

// ListUsers lists every user to any authenticated caller: people and bots
// need the list to pick whom to assign a chat to.
func (s *Server) ListUsers(ctx context.Context, req api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	p := newPage(req.Params.Limit, req.Params.Offset)
	users, count, err := s.accounts.List(ctx, int32(p.limit), int32(p.offset))
	if err != nil {
		return nil, err
	}
	next, prev := s.links(ctx, p, count)
	return api.ListUsers200JSONResponse{
		Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: s.apiUsers(users),
	}, nil
}

// CreateUser creates a user (admins only); the answer carries the
// activation URL, the only time it is shown.
func (s *Server) CreateUser(ctx context.Context, req api.CreateUserRequestObject) (api.CreateUserResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	in := accounts.NewUser{
		Username:  body.Username,
		FirstName: deref(body.FirstName),
		LastName:  deref(body.LastName),
		Email:     string(deref(body.Email)),
	}
	if body.Profile != nil {
		in.Role = string(body.Profile.Role)
	}
	u, code, err := s.accounts.Create(ctx, in)
	if err != nil {
		return nil, err
	}
	au := s.apiUser(u)
	return api.CreateUser201JSONResponse{
		Url: au.Url, Id: au.Id, Username: au.Username, FirstName: au.FirstName, LastName: au.LastName,
		Email: au.Email, Profile: au.Profile, Groups: au.Groups, Permissions: au.Permissions,
		ActivationUrl: ptr(s.cfg.BaseURL + "/api/v1/users/activate/" + code + "/"),
	}, nil
}

// GetCurrentUser returns the caller.
func (s *Server) GetCurrentUser(ctx context.Context, _ api.GetCurrentUserRequestObject) (api.GetCurrentUserResponseObject, error) {
	u, err := s.accounts.Hydrate(ctx, principal(ctx).User)
	if err != nil {
		return nil, err
	}
	return api.GetCurrentUser200JSONResponse(s.apiUser(u)), nil
}

// mayReadUser lets admins read anyone and others read themselves.
func mayReadUser(ctx context.Context, id int) error {
	p := principal(ctx)
	if !p.IsAdmin() && p.User.ID != int64(id) {
		return apperr.Forbidden("You do not have permission to perform this action.")
	}
	return nil
}

// GetUser returns one user to an admin or to the user itself.
func (s *Server) GetUser(ctx context.Context, req api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	if err := mayReadUser(ctx, req.Id); err != nil {
		return nil, err
	}
	u, err := s.accounts.Get(ctx, int64(req.Id))
	if err != nil {
		return nil, err
	}
	return api.GetUser200JSONResponse(s.apiUser(u)), nil
}

// UpdateUser replaces a user's data (PUT).
func (s *Server) UpdateUser(ctx context.Context, req api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	ch := accounts.UserChanges{
		Username:  set(body.Username),
		Email:     set(string(body.Email)),
		FirstName: set(deref(body.FirstName)),
		LastName:  set(deref(body.LastName)),
	}
	userChanges(&ch, body.Profile, body.Groups, body.Permissions)
	u, err := s.accounts.Update(ctx, principal(ctx), int64(req.Id), ch)
	if err != nil {
		return nil, err
	}
	return api.UpdateUser200JSONResponse(s.apiUser(u)), nil
}

// PartialUpdateUser changes the fields the request carries (PATCH).
func (s *Server) PartialUpdateUser(ctx context.Context, req api.PartialUpdateUserRequestObject) (api.PartialUpdateUserResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	ch := accounts.UserChanges{
		Username:  setIf(body.Username),
		Email:     setIf((*string)(body.Email)),
		FirstName: setIf(body.FirstName),
		LastName:  setIf(body.LastName),
	}
	userChanges(&ch, body.Profile, body.Groups, body.Permissions)
	u, err := s.accounts.Update(ctx, principal(ctx), int64(req.Id), ch)
	if err != nil {
		return nil, err
	}
	return api.PartialUpdateUser200JSONResponse(s.apiUser(u)), nil
}

// userChanges fills the privileged part of a user update, common to PUT
// and PATCH: absent fields stay as they are in both.
func userChanges(ch *accounts.UserChanges, profile *api.UserProfile, groups *[]api.GroupId, perms *api.PermissionsOverride) {
	if profile != nil {
		ch.Role = set(string(profile.Role))
	}
	if groups != nil {
		ids := make([]int64, len(*groups))
		for i, g := range *groups {
			ids[i] = int64(g.Id)
		}
		ch.Groups = set(ids)
	}
	if perms != nil {
		ch.CanUseTags = fromNullable(perms.CanUseTags, func(v bool) bool { return v })
		ch.CanReadChats = fromNullable(perms.CanReadChats, func(v api.PermissionLevel) string { return string(v) })
		ch.CanWriteToChats = fromNullable(perms.CanWriteToChats, func(v api.PermissionLevel) string { return string(v) })
	}
}

// DeactivateUser deactivates a user (admins only).
func (s *Server) DeactivateUser(ctx context.Context, req api.DeactivateUserRequestObject) (api.DeactivateUserResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := s.accounts.Deactivate(ctx, int64(req.Id)); err != nil {
		return nil, err
	}
	return api.DeactivateUser204Response{}, nil
}

// ChangeOwnPassword changes the caller's password.
func (s *Server) ChangeOwnPassword(ctx context.Context, req api.ChangeOwnPasswordRequestObject) (api.ChangeOwnPasswordResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	if err := s.accounts.ChangeOwnPassword(ctx, principal(ctx).User, deref(body.CurrentPassword), deref(body.NewPassword)); err != nil {
		return nil, err
	}
	return api.ChangeOwnPassword200JSONResponse{}, nil
}

// SetUserPassword sets another user's password (admins only).
func (s *Server) SetUserPassword(ctx context.Context, req api.SetUserPasswordRequestObject) (api.SetUserPasswordResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	if err := s.accounts.SetPassword(ctx, int64(req.Id), deref(body.Password)); err != nil {
		return nil, err
	}
	return api.SetUserPassword200JSONResponse{}, nil
}

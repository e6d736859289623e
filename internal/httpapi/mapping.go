package httpapi

import (
	"fmt"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/accounts"
)

// This file is the one place where domain values become API types.

func nullableOf[T any](p *T) nullable.Nullable[T] {
	if p == nil {
		return nullable.NewNullNullable[T]()
	}
	return nullable.NewNullableWithValue(*p)
}

func ptr[T any](v T) *T { return &v }

func (s *Server) userURL(id int64) string {
	return fmt.Sprintf("%s/api/v1/users/%d/", s.cfg.BaseURL, id)
}

func (s *Server) apiUser(u accounts.User) api.User {
	groups := make([]api.GroupRef, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = api.GroupRef{Id: int(g.ID), Name: ptr(g.Name)}
	}
	return api.User{
		Url:       ptr(s.userURL(u.ID)),
		Id:        ptr(int(u.ID)),
		Username:  u.Username,
		FirstName: u.FirstName,
		LastName:  u.LastName,
		Email:     u.Email,
		Profile:   api.UserProfile{Role: api.Role(u.Role)},
		Groups:    groups,
		Permissions: api.Permissions{
			CanUseTags:      u.Permissions.CanUseTags,
			CanReadChats:    api.PermissionLevel(u.Permissions.CanReadChats),
			CanWriteToChats: api.PermissionLevel(u.Permissions.CanWriteToChats),
		},
	}
}

func (s *Server) apiUsers(us []accounts.User) []api.User {
	out := make([]api.User, len(us))
	for i, u := range us {
		out[i] = s.apiUser(u)
	}
	return out
}

func apiGroup(g accounts.Group) api.Group {
	members := make([]int, len(g.Members))
	for i, m := range g.Members {
		members[i] = int(m)
	}
	return api.Group{
		Id:      ptr(int(g.ID)),
		Name:    g.Name,
		Members: members,
		Permissions: api.Permissions{
			CanUseTags:      g.CanUseTags,
			CanReadChats:    api.PermissionLevel(g.CanReadChats),
			CanWriteToChats: api.PermissionLevel(g.CanWriteToChats),
		},
	}
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// set is a field an update request carries.
func set[T any](v T) accounts.Optional[T] { return accounts.Optional[T]{Set: true, Value: v} }

// setIf is a field an update request may carry.
func setIf[T any](p *T) accounts.Optional[T] {
	if p == nil {
		return accounts.Optional[T]{}
	}
	return set(*p)
}

// fromNullable turns a nullable request field into an update field: absent,
// null or a value.
func fromNullable[T, U any](n nullable.Nullable[T], conv func(T) U) accounts.Optional[U] {
	switch {
	case !n.IsSpecified():
		return accounts.Optional[U]{}
	case n.IsNull():
		return accounts.Optional[U]{Set: true, Null: true}
	}
	return set(conv(n.MustGet()))
}

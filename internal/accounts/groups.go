package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/storage"
)

func (s *Service) withMembers(ctx context.Context, q *db.Queries, groups []db.Group) ([]Group, error) {
	ids := make([]int64, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	rows, err := q.GroupMembersForGroups(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load group members: %w", err)
	}
	members := make(map[int64][]int64, len(groups))
	for _, r := range rows {
		members[r.GroupID] = append(members[r.GroupID], r.UserID)
	}
	out := make([]Group, len(groups))
	for i, g := range groups {
		m := members[g.ID]
		if m == nil {
			m = []int64{}
		}
		out[i] = Group{Group: g, Members: m}
	}
	return out, nil
}

// ListGroups returns a page of groups ordered by id, and the total count.
func (s *Service) ListGroups(ctx context.Context, limit, offset int32) ([]Group, int64, error) {
	total, err := s.q.GroupCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count groups: %w", err)
	}
	rows, err := s.q.GroupList(ctx, db.GroupListParams{Lim: limit, Off: offset})
	if err != nil {
		return nil, 0, fmt.Errorf("list groups: %w", err)
	}
	gs, err := s.withMembers(ctx, s.q, rows)
	return gs, total, err
}

// GetGroup returns the group with id.
func (s *Service) GetGroup(ctx context.Context, id int64) (Group, error) {
	return s.getGroup(ctx, s.q, id)
}

func (s *Service) getGroup(ctx context.Context, q *db.Queries, id int64) (Group, error) {
	g, err := q.GroupGetByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Group{}, apperr.NotFound("No group matches the given query.")
	}
	if err != nil {
		return Group{}, fmt.Errorf("get group %d: %w", id, err)
	}
	gs, err := s.withMembers(ctx, q, []db.Group{g})
	if err != nil {
		return Group{}, err
	}
	return gs[0], nil
}

// GroupChanges is the input of CreateGroup and UpdateGroup; unset fields
// keep their value (or take the default on create).
type GroupChanges struct {
	Name            Optional[string]
	Members         Optional[[]int64]
	CanUseTags      Optional[bool]
	CanReadChats    Optional[string]
	CanWriteToChats Optional[string]
}

func applyGroup(g *db.Group, ch GroupChanges) error {
	if ch.Name.Set {
		g.Name = ch.Name.Value
	}
	switch {
	case g.Name == "":
		return apperr.Field("name", "This field may not be blank.")
	case len(g.Name) > 150:
		return apperr.Field("name", "Ensure this field has no more than 150 characters.")
	}
	if ch.CanUseTags.Set {
		g.CanUseTags = ch.CanUseTags.Value
	}
	if ch.CanReadChats.Set {
		if !authz.Level(ch.CanReadChats.Value).Valid() {
			return apperr.Field("permissions.can_read_chats", fmt.Sprintf("%q is not a valid choice.", ch.CanReadChats.Value))
		}
		g.CanReadChats = ch.CanReadChats.Value
	}
	if ch.CanWriteToChats.Set {
		if !authz.Level(ch.CanWriteToChats.Value).Valid() {
			return apperr.Field("permissions.can_write_to_chats", fmt.Sprintf("%q is not a valid choice.", ch.CanWriteToChats.Value))
		}
		g.CanWriteToChats = ch.CanWriteToChats.Value
	}
	return nil
}

// CreateGroup creates a group. Unless told otherwise a new group grants
// what "Regular user" does: tags, reading chats of the group, writing to
// chats assigned to the member (openapi.yaml documents the default).
func (s *Service) CreateGroup(ctx context.Context, ch GroupChanges) (Group, error) {
	g := db.Group{CanUseTags: true, CanReadChats: string(authz.Group), CanWriteToChats: string(authz.Assigned)}
	if err := applyGroup(&g, ch); err != nil {
		return Group{}, err
	}
	var out Group
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		created, err := q.GroupCreate(ctx, db.GroupCreateParams{
			Name: g.Name, CanUseTags: g.CanUseTags, CanReadChats: g.CanReadChats, CanWriteToChats: g.CanWriteToChats,
		})
		if isUniqueViolation(err) {
			return apperr.Field("name", "A group with that name already exists.")
		}
		if err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		if ch.Members.Set {
			if err := setMembers(ctx, q, created, ch.Members.Value); err != nil {
				return err
			}
		}
		out, err = s.getGroup(ctx, q, created.ID)
		return err
	})
	return out, err
}

// UpdateGroup changes group id.
func (s *Service) UpdateGroup(ctx context.Context, id int64, ch GroupChanges) (Group, error) {
	var out Group
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		g, err := q.GroupGetByID(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFound("No group matches the given query.")
		}
		if err != nil {
			return fmt.Errorf("get group %d: %w", id, err)
		}
		if err := applyGroup(&g, ch); err != nil {
			return err
		}
		if _, err := q.GroupUpdate(ctx, db.GroupUpdateParams{
			ID: id, Name: g.Name, CanUseTags: g.CanUseTags, CanReadChats: g.CanReadChats, CanWriteToChats: g.CanWriteToChats,
		}); isUniqueViolation(err) {
			return apperr.Field("name", "A group with that name already exists.")
		} else if err != nil {
			return fmt.Errorf("update group %d: %w", id, err)
		}
		if ch.Members.Set {
			if err := setMembers(ctx, q, g, ch.Members.Value); err != nil {
				return err
			}
		}
		out, err = s.getGroup(ctx, q, id)
		return err
	})
	return out, err
}

// setMembers makes members exactly the users of g. The role groups'
// membership follows each user's role, so it cannot be set here.
func setMembers(ctx context.Context, q *db.Queries, g db.Group, members []int64) error {
	members = slices.Clone(members)
	slices.Sort(members)
	members = slices.Compact(members)
	if g.Role != nil {
		cur, err := q.GroupMembersForGroups(ctx, []int64{g.ID})
		if err != nil {
			return fmt.Errorf("load members: %w", err)
		}
		have := make([]int64, len(cur))
		for i, r := range cur {
			have[i] = r.UserID
		}
		if !slices.Equal(have, members) {
			return apperr.Field("members", "Membership of this group follows each user's profile.role; change the users' role instead.")
		}
		return nil
	}
	users, err := q.UserListByIDs(ctx, members)
	if err != nil {
		return fmt.Errorf("load users: %w", err)
	}
	if len(users) != len(members) {
		return apperr.Field("members", "Some of these users do not exist.")
	}
	if err := q.GroupMembersClear(ctx, g.ID); err != nil {
		return fmt.Errorf("clear members: %w", err)
	}
	for _, u := range members {
		if err := q.GroupMemberAdd(ctx, db.GroupMemberAddParams{GroupID: g.ID, UserID: u}); err != nil {
			return fmt.Errorf("add member %d: %w", u, err)
		}
	}
	return nil
}

// DeleteGroup deletes group id. The role groups cannot be deleted.
func (s *Service) DeleteGroup(ctx context.Context, id int64) error {
	g, err := s.q.GroupGetByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFound("No group matches the given query.")
	}
	if err != nil {
		return fmt.Errorf("get group %d: %w", id, err)
	}
	if g.Role != nil {
		return apperr.Invalid(fmt.Sprintf("The %q group belongs to the %s role and cannot be deleted.", g.Name, *g.Role))
	}
	if _, err := s.q.GroupDelete(ctx, id); err != nil {
		return fmt.Errorf("delete group %d: %w", id, err)
	}
	return nil
}

package accounts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/storage"
)

// Roles of a user's profile.
const (
	RoleAdmin = "admin"
	RoleUser  = "user"
	RoleApp   = "app"
)

// User is a user with its groups and effective permissions.
type User struct {
	db.User
	Groups      []GroupRef
	Permissions authz.Permissions
}

// GroupRef names a group.
type GroupRef struct {
	ID   int64
	Name string
}

// Group is a group with its members.
type Group struct {
	db.Group
	Members []int64
}

// Service manages users and groups.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	auth *auth.Authenticator
}

// New returns a Service over pool.
func New(pool *pgxpool.Pool, a *auth.Authenticator) *Service {
	return &Service{pool: pool, q: db.New(pool), auth: a}
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9]+$`)

func validateUsername(name string) error {
	switch {
	case name == "":
		return apperr.Field("username", "This field may not be blank.")
	case len(name) > 150:
		return apperr.Field("username", "Ensure this field has no more than 150 characters.")
	case !usernamePattern.MatchString(name):
		return apperr.Field("username", "Only alphanumeric characters are allowed (A-Z, a-z, 0-9).")
	}
	return nil
}

func validRole(role string) bool { return role == RoleAdmin || role == RoleUser || role == RoleApp }

// commonPasswords are refused outright; a short list catches the passwords
// every credential-stuffing list starts with.
var commonPasswords = []string{"password", "password1", "12345678", "123456789", "1234567890", "qwertyuiop", "iloveyou", "admin123", "letmein1", "welcome1", "passw0rd", "qwerty123"}

// ValidatePassword applies the password rules: at least 8 characters, at
// most 128, not only digits, not a common password, not the username.
func ValidatePassword(field, password, username string) error {
	var msgs []string
	switch {
	case len(password) < 8:
		msgs = append(msgs, "This password is too short. It must contain at least 8 characters.")
	case len(password) > 128:
		msgs = append(msgs, "This password is too long. It must contain at most 128 characters.")
	}
	if password != "" && strings.IndexFunc(password, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		msgs = append(msgs, "This password is entirely numeric.")
	}
	if slices.Contains(commonPasswords, strings.ToLower(password)) {
		msgs = append(msgs, "This password is too common.")
	}
	if username != "" && strings.EqualFold(password, username) {
		msgs = append(msgs, "The password is too similar to the username.")
	}
	if len(msgs) > 0 {
		return &apperr.Error{Kind: apperr.KindInvalid, Fields: map[string][]string{field: msgs}}
	}
	return nil
}

// hydrate loads the groups of users and computes their permissions.
func hydrate(ctx context.Context, q *db.Queries, users []db.User) ([]User, error) {
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	rows, err := q.UserGroupsForUsers(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load groups of users: %w", err)
	}
	byUser := make(map[int64][]db.UserGroupsForUsersRow, len(users))
	for _, r := range rows {
		byUser[r.UserID] = append(byUser[r.UserID], r)
	}
	out := make([]User, len(users))
	for i, u := range users {
		gs := byUser[u.ID]
		refs := make([]GroupRef, len(gs))
		perms := make([]authz.Permissions, len(gs))
		for j, g := range gs {
			refs[j] = GroupRef{ID: g.ID, Name: g.Name}
			perms[j] = authz.Permissions{CanUseTags: g.CanUseTags, CanReadChats: authz.Level(g.CanReadChats), CanWriteToChats: authz.Level(g.CanWriteToChats)}
		}
		out[i] = User{
			User:        u,
			Groups:      refs,
			Permissions: authz.Effective(authz.Override{CanUseTags: u.CanUseTags, CanReadChats: u.CanReadChats, CanWriteToChats: u.CanWriteToChats}, perms),
		}
	}
	return out, nil
}

func (s *Service) hydrateOne(ctx context.Context, q *db.Queries, u db.User) (User, error) {
	us, err := hydrate(ctx, q, []db.User{u})
	if err != nil {
		return User{}, err
	}
	return us[0], nil
}

// List returns a page of users ordered by id, and the total count.
func (s *Service) List(ctx context.Context, limit, offset int32) ([]User, int64, error) {
	total, err := s.q.UserCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	rows, err := s.q.UserList(ctx, db.UserListParams{Lim: limit, Off: offset})
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	users, err := hydrate(ctx, s.q, rows)
	return users, total, err
}

// Get returns the user with id.
func (s *Service) Get(ctx context.Context, id int64) (User, error) {
	u, err := s.q.UserGetByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, apperr.NotFound("No user matches the given query.")
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return s.hydrateOne(ctx, s.q, u)
}

// Hydrate returns u with its groups and effective permissions.
func (s *Service) Hydrate(ctx context.Context, u db.User) (User, error) {
	return s.hydrateOne(ctx, s.q, u)
}

// NewUser is the input of Create.
type NewUser struct {
	Username  string
	FirstName string
	LastName  string
	Email     string
	Role      string
	// Password, when set, is stored and the user is active at once (the
	// createadmin command); otherwise the user waits for activation.
	Password string
}

// Create creates a user and returns it with its one-time activation code
// (empty when the user is created active).
func (s *Service) Create(ctx context.Context, in NewUser) (User, string, error) {
	if in.Role == "" {
		in.Role = RoleUser
	}
	if err := validateUsername(in.Username); err != nil {
		return User{}, "", err
	}
	if !validRole(in.Role) {
		return User{}, "", apperr.Field("profile.role", fmt.Sprintf("%q is not a valid choice.", in.Role))
	}
	if err := validateNames(in.FirstName, in.LastName); err != nil {
		return User{}, "", err
	}
	params := db.UserCreateParams{
		Username: in.Username, FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Role: in.Role,
	}
	var code string
	if in.Password != "" {
		if err := ValidatePassword("password", in.Password, in.Username); err != nil {
			return User{}, "", err
		}
		h := auth.HashPassword(in.Password)
		params.PasswordHash = &h
		params.IsActive = true
	} else {
		code = auth.NewOpaque(24)
		params.ActivationCodeHash = auth.HashSecret(code)
	}
	var out User
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		u, err := q.UserCreate(ctx, params)
		if isUniqueViolation(err) {
			return apperr.Field("username", "A user with that username already exists.")
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if err := syncRoleGroup(ctx, q, u.ID, u.Role); err != nil {
			return err
		}
		out, err = s.hydrateOne(ctx, q, u)
		return err
	})
	return out, code, err
}

func validateNames(first, last string) error {
	if len(first) > 150 {
		return apperr.Field("first_name", "Ensure this field has no more than 150 characters.")
	}
	if len(last) > 150 {
		return apperr.Field("last_name", "Ensure this field has no more than 150 characters.")
	}
	return nil
}

// syncRoleGroup makes userID a member of its role's group and of no other
// role group.
func syncRoleGroup(ctx context.Context, q *db.Queries, userID int64, role string) error {
	for _, r := range []string{RoleAdmin, RoleUser, RoleApp} {
		g, err := q.GroupGetByRole(ctx, &r)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // a role group was deleted by hand; nothing to keep in step
		}
		if err != nil {
			return fmt.Errorf("find %s group: %w", r, err)
		}
		if r == role {
			err = q.GroupMemberAdd(ctx, db.GroupMemberAddParams{GroupID: g.ID, UserID: userID})
		} else {
			err = q.GroupMemberRemove(ctx, db.GroupMemberRemoveParams{GroupID: g.ID, UserID: userID})
		}
		if err != nil {
			return fmt.Errorf("sync %s group membership: %w", r, err)
		}
	}
	return nil
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func isFKViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// Optional is a field of a partial update: Set tells whether the request
// carried it, Null whether it carried null.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UserChanges is the input of Update; unset fields keep their value.
type UserChanges struct {
	Username  Optional[string]
	FirstName Optional[string]
	LastName  Optional[string]
	Email     Optional[string]
	Role      Optional[string]
	Groups    Optional[[]int64]
	// The per-user permission overrides; null returns to the groups' value.
	CanUseTags      Optional[bool]
	CanReadChats    Optional[string]
	CanWriteToChats Optional[string]
}

// Update changes user id on behalf of actor, who must be an admin or the
// user itself; only admins may change a role, groups or permissions.
func (s *Service) Update(ctx context.Context, actor *auth.Principal, id int64, ch UserChanges) (User, error) {
	if !actor.IsAdmin() && actor.User.ID != id {
		return User{}, apperr.Forbidden("You do not have permission to perform this action.")
	}
	var out User
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		cur, err := q.UserGetByID(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFound("No user matches the given query.")
		}
		if err != nil {
			return fmt.Errorf("get user %d: %w", id, err)
		}
		before, err := s.hydrateOne(ctx, q, cur)
		if err != nil {
			return err
		}
		p := db.UserUpdateParams{
			ID: id, Username: cur.Username, FirstName: cur.FirstName, LastName: cur.LastName, Email: cur.Email,
			Role: cur.Role, CanUseTags: cur.CanUseTags, CanReadChats: cur.CanReadChats, CanWriteToChats: cur.CanWriteToChats,
		}
		if ch.Username.Set {
			if err := validateUsername(ch.Username.Value); err != nil {
				return err
			}
			p.Username = ch.Username.Value
		}
		if ch.FirstName.Set {
			p.FirstName = ch.FirstName.Value
		}
		if ch.LastName.Set {
			p.LastName = ch.LastName.Value
		}
		if err := validateNames(p.FirstName, p.LastName); err != nil {
			return err
		}
		if ch.Email.Set {
			p.Email = ch.Email.Value
		}
		privileged := false
		if ch.Role.Set && ch.Role.Value != cur.Role {
			if !validRole(ch.Role.Value) {
				return apperr.Field("profile.role", fmt.Sprintf("%q is not a valid choice.", ch.Role.Value))
			}
			privileged = true
			p.Role = ch.Role.Value
		}
		if ch.CanUseTags.Set {
			p.CanUseTags = optionalPtr(ch.CanUseTags)
			privileged = privileged || !equalPtr(p.CanUseTags, cur.CanUseTags)
		}
		for _, f := range []struct {
			name string
			in   Optional[string]
			dst  **string
			cur  *string
		}{
			{"can_read_chats", ch.CanReadChats, &p.CanReadChats, cur.CanReadChats},
			{"can_write_to_chats", ch.CanWriteToChats, &p.CanWriteToChats, cur.CanWriteToChats},
		} {
			if !f.in.Set {
				continue
			}
			if !f.in.Null && !authz.Level(f.in.Value).Valid() {
				return apperr.Field("permissions."+f.name, fmt.Sprintf("%q is not a valid choice.", f.in.Value))
			}
			*f.dst = optionalPtr(f.in)
			privileged = privileged || !equalPtr(*f.dst, f.cur)
		}
		var groups []int64
		if ch.Groups.Set {
			groups = slices.Clone(ch.Groups.Value)
			slices.Sort(groups)
			groups = slices.Compact(groups)
			have := make([]int64, len(before.Groups))
			for i, g := range before.Groups {
				have[i] = g.ID
			}
			if !slices.Equal(withoutRoleGroups(ctx, q, groups), withoutRoleGroups(ctx, q, have)) {
				privileged = true
			}
		}
		if privileged && !actor.IsAdmin() {
			return apperr.Forbidden("Only admins may change a role, groups or permissions.")
		}
		if cur.Role == RoleAdmin && p.Role != RoleAdmin {
			if err := ensureAnotherAdmin(ctx, q, id); err != nil {
				return err
			}
		}
		u, err := q.UserUpdate(ctx, p)
		if isUniqueViolation(err) {
			return apperr.Field("username", "A user with that username already exists.")
		}
		if err != nil {
			return fmt.Errorf("update user %d: %w", id, err)
		}
		if ch.Groups.Set && actor.IsAdmin() {
			if err := setUserGroups(ctx, q, id, groups); err != nil {
				return err
			}
		}
		if err := syncRoleGroup(ctx, q, id, u.Role); err != nil {
			return err
		}
		out, err = s.hydrateOne(ctx, q, u)
		return err
	})
	return out, err
}

func optionalPtr[T any](o Optional[T]) *T {
	if o.Null {
		return nil
	}
	v := o.Value
	return &v
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// withoutRoleGroups drops role groups from ids: their membership follows the
// role and is not set through `groups`.
func withoutRoleGroups(ctx context.Context, q *db.Queries, ids []int64) []int64 {
	gs, err := q.GroupListByIDs(ctx, ids)
	if err != nil {
		return ids
	}
	out := make([]int64, 0, len(ids))
	for _, g := range gs {
		if g.Role == nil {
			out = append(out, g.ID)
		}
	}
	return out
}

// setUserGroups makes the user a member of exactly the non-role groups in
// ids (role groups in ids are ignored: the role decides them).
func setUserGroups(ctx context.Context, q *db.Queries, userID int64, ids []int64) error {
	gs, err := q.GroupListByIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("load groups: %w", err)
	}
	if len(gs) != len(ids) {
		found := make(map[int64]bool, len(gs))
		for _, g := range gs {
			found[g.ID] = true
		}
		for _, id := range ids {
			if !found[id] {
				return apperr.Field("groups", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", id))
			}
		}
	}
	rows, err := q.UserGroupsForUsers(ctx, []int64{userID})
	if err != nil {
		return fmt.Errorf("load memberships: %w", err)
	}
	want := make(map[int64]bool, len(gs))
	for _, g := range gs {
		if g.Role == nil {
			want[g.ID] = true
		}
	}
	roleGroup := map[int64]bool{}
	all, err := q.GroupListByIDs(ctx, groupIDs(rows))
	if err != nil {
		return fmt.Errorf("load memberships: %w", err)
	}
	for _, g := range all {
		if g.Role != nil {
			roleGroup[g.ID] = true
		}
	}
	for _, r := range rows {
		if !roleGroup[r.ID] && !want[r.ID] {
			if err := q.GroupMemberRemove(ctx, db.GroupMemberRemoveParams{GroupID: r.ID, UserID: userID}); err != nil {
				return fmt.Errorf("leave group %d: %w", r.ID, err)
			}
		}
	}
	for id := range want {
		if err := q.GroupMemberAdd(ctx, db.GroupMemberAddParams{GroupID: id, UserID: userID}); err != nil {
			return fmt.Errorf("join group %d: %w", id, err)
		}
	}
	return nil
}

func groupIDs(rows []db.UserGroupsForUsersRow) []int64 {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// ensureAnotherAdmin refuses a change that would leave no active admin.
func ensureAnotherAdmin(ctx context.Context, q *db.Queries, leaving int64) error {
	n, err := q.UserActiveAdminCountExcept(ctx, leaving)
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if n == 0 {
		return apperr.Invalid("This is the last active admin; make another user admin first.")
	}
	return nil
}

// Deactivate deactivates user id, revoking its tokens and sessions. The
// user stays in the database so that history keeps naming it.
func (s *Service) Deactivate(ctx context.Context, id int64) error {
	return storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		u, err := q.UserGetByID(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFound("No user matches the given query.")
		}
		if err != nil {
			return fmt.Errorf("get user %d: %w", id, err)
		}
		if u.Role == RoleAdmin && u.IsActive {
			if err := ensureAnotherAdmin(ctx, q, id); err != nil {
				return err
			}
		}
		if _, err := q.UserDeactivate(ctx, id); err != nil {
			return fmt.Errorf("deactivate user %d: %w", id, err)
		}
		if err := q.TokenRevokeForUser(ctx, id); err != nil {
			return fmt.Errorf("revoke tokens of user %d: %w", id, err)
		}
		if err := q.SessionDeleteForUser(ctx, id); err != nil {
			return fmt.Errorf("end sessions of user %d: %w", id, err)
		}
		return nil
	})
}

// ChangeOwnPassword sets the password of user after checking the current
// one.
func (s *Service) ChangeOwnPassword(ctx context.Context, u db.User, current, next string) error {
	fresh, err := s.q.UserGetByID(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("get user %d: %w", u.ID, err)
	}
	ok := false
	if fresh.PasswordHash != nil {
		if ok, err = auth.CheckPassword(*fresh.PasswordHash, current); err != nil {
			return fmt.Errorf("check password of user %d: %w", u.ID, err)
		}
	}
	if !ok {
		return apperr.Field("current_password", "Wrong password.")
	}
	if err := ValidatePassword("new_password", next, fresh.Username); err != nil {
		return err
	}
	return s.setPassword(ctx, u.ID, next)
}

// SetPassword sets another user's password (an admin's action).
func (s *Service) SetPassword(ctx context.Context, id int64, password string) error {
	u, err := s.q.UserGetByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFound("No user matches the given query.")
	}
	if err != nil {
		return fmt.Errorf("get user %d: %w", id, err)
	}
	if err := ValidatePassword("password", password, u.Username); err != nil {
		return err
	}
	return s.setPassword(ctx, id, password)
}

func (s *Service) setPassword(ctx context.Context, id int64, password string) error {
	h := auth.HashPassword(password)
	if err := s.q.UserSetPassword(ctx, db.UserSetPasswordParams{ID: id, PasswordHash: &h}); err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	return nil
}

// Activate consumes an activation code. For an app user it returns a new
// API token (the code's only use); for others it activates the account and
// returns an empty token.
func (s *Service) Activate(ctx context.Context, code string) (token string, err error) {
	err = storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		u, err := q.UserActivate(ctx, auth.HashSecret(code))
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFound("This activation link is invalid or was already used.")
		}
		if err != nil {
			return fmt.Errorf("activate: %w", err)
		}
		if u.Role == RoleApp {
			token, err = s.auth.IssueToken(ctx, q, u.ID)
		}
		return err
	})
	return token, err
}

// CreateAdmin creates an active admin with password (or, with an empty
// password, one that can only use tokens) and returns a new API token for
// it. An existing user of that name is made an active admin and its
// password is replaced when one is given.
func (s *Service) CreateAdmin(ctx context.Context, username, password string) (string, error) {
	if err := validateUsername(username); err != nil {
		return "", err
	}
	if password != "" {
		if err := ValidatePassword("password", password, username); err != nil {
			return "", err
		}
	}
	var token string
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		u, err := q.UserGetByUsername(ctx, username)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			p := db.UserCreateParams{Username: username, Role: RoleAdmin, IsActive: true}
			if password != "" {
				h := auth.HashPassword(password)
				p.PasswordHash = &h
			}
			if u, err = q.UserCreate(ctx, p); err != nil {
				return fmt.Errorf("insert admin: %w", err)
			}
		case err != nil:
			return fmt.Errorf("look up %s: %w", username, err)
		default:
			if u, err = q.UserMakeActiveAdmin(ctx, u.ID); err != nil {
				return fmt.Errorf("promote %s: %w", username, err)
			}
			if password != "" {
				h := auth.HashPassword(password)
				if err := q.UserSetPassword(ctx, db.UserSetPasswordParams{ID: u.ID, PasswordHash: &h}); err != nil {
					return fmt.Errorf("set password: %w", err)
				}
			}
		}
		if err := syncRoleGroup(ctx, q, u.ID, RoleAdmin); err != nil {
			return err
		}
		token, err = s.auth.IssueToken(ctx, q, u.ID)
		return err
	})
	return token, err
}

// IssueToken returns a new API token for the active user named username.
func (s *Service) IssueToken(ctx context.Context, username string) (string, error) {
	u, err := s.q.UserGetByUsername(ctx, username)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.NotFound(fmt.Sprintf("No user named %q.", username))
	}
	if err != nil {
		return "", fmt.Errorf("look up %s: %w", username, err)
	}
	if !u.IsActive {
		return "", apperr.Invalid(fmt.Sprintf("User %q is not active.", username))
	}
	return s.auth.IssueToken(ctx, nil, u.ID)
}

// ByIDs returns the users with the given ids, with groups and permissions,
// keyed by id; unknown ids are absent.
func (s *Service) ByIDs(ctx context.Context, ids []int64) (map[int64]User, error) {
	if len(ids) == 0 {
		return map[int64]User{}, nil
	}
	rows, err := s.q.UserListByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	users, err := hydrate(ctx, s.q, rows)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]User, len(users))
	for _, u := range users {
		out[u.ID] = u
	}
	return out, nil
}

// GroupNames returns the names of the groups with the given ids.
func (s *Service) GroupNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	gs, err := s.q.GroupListByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	for _, g := range gs {
		out[g.ID] = g.Name
	}
	return out, nil
}

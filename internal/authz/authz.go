// Package authz is the one place that decides who may read, write, assign
// and tag. Everything that shows a chat or a message to a user (list
// queries, webhook fan-out, websockets, the rule engine) asks it, so the
// rules cannot drift apart.
package authz

// Level is how far a chat permission reaches.
type Level string

// The levels of can_read_chats and can_write_to_chats, from the widest.
const (
	All      Level = "all"      // every chat
	Group    Level = "group"    // chats assigned to one of the user's groups, and to the user
	Assigned Level = "assigned" // chats assigned to the user
	None     Level = "none"     // no chat
)

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return rank(l) >= 0 }

func rank(l Level) int {
	switch l {
	case All:
		return 3
	case Group:
		return 2
	case Assigned:
		return 1
	case None:
		return 0
	}
	return -1
}

// Wider returns the more permissive of a and b.
func Wider(a, b Level) Level {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// Permissions are a user's effective rights over chats and tags.
type Permissions struct {
	CanUseTags      bool
	CanReadChats    Level
	CanWriteToChats Level
}

// Override is a user's own setting; a nil field inherits from the groups.
type Override struct {
	CanUseTags      *bool
	CanReadChats    *string
	CanWriteToChats *string
}

// Effective combines a user's own settings with those of every group the
// user belongs to: each right is the most permissive of them. A user with
// no group and no setting of its own may do nothing. The rule is
// documented in openapi.yaml (Permissions) and README.
func Effective(own Override, groups []Permissions) Permissions {
	p := Permissions{CanReadChats: None, CanWriteToChats: None}
	for _, g := range groups {
		p.CanUseTags = p.CanUseTags || g.CanUseTags
		p.CanReadChats = Wider(p.CanReadChats, g.CanReadChats)
		p.CanWriteToChats = Wider(p.CanWriteToChats, g.CanWriteToChats)
	}
	if own.CanUseTags != nil {
		p.CanUseTags = p.CanUseTags || *own.CanUseTags
	}
	if own.CanReadChats != nil {
		p.CanReadChats = Wider(p.CanReadChats, Level(*own.CanReadChats))
	}
	if own.CanWriteToChats != nil {
		p.CanWriteToChats = Wider(p.CanWriteToChats, Level(*own.CanWriteToChats))
	}
	return p
}

// Covers reports whether a chat permission at level l (can_read_chats or
// can_write_to_chats) extends to a chat assigned to assignedUser and
// assignedGroup (nil: nobody), for user userID, a member of groups:
//
//   - all: every chat;
//   - group: chats assigned to the user or to one of the user's groups;
//   - assigned: chats assigned to the user;
//   - none: no chat.
//
// This is the one statement of the rule in Go (webhook fan-out, sending).
// The list queries apply it in SQL, inside their WHERE clauses, so that
// counts and pages stay true (queries/reads.sql, the @read_level
// predicate); TestCoversAgreesWithTheSQLFilter in internal/inbox checks
// that both agree on every level and assignment.
func (l Level) Covers(userID int64, groups []int64, assignedUser, assignedGroup *int64) bool {
	switch l {
	case All:
		return true
	case Group:
		return (assignedUser != nil && *assignedUser == userID) || (assignedGroup != nil && contains(groups, *assignedGroup))
	case Assigned:
		return assignedUser != nil && *assignedUser == userID
	}
	return false
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

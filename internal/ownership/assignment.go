package ownership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/storage"
)

// Assignee is one field of an AssignmentChange: whether the change touches
// it at all, and the new user or group id (nil clears it).
type Assignee struct {
	Set bool
	ID  *int64
}

// Keep leaves a field as it is.
func Keep() Assignee { return Assignee{} }

// SetTo assigns the user or group id.
func SetTo(id int64) Assignee { return Assignee{Set: true, ID: &id} }

// Clear removes the user or group assignment.
func Clear() Assignee { return Assignee{Set: true} }

// AssignmentChange is what Assign changes: the assigned user and the
// assigned group, each kept, set or cleared.
type AssignmentChange struct {
	User  Assignee
	Group Assignee
	// OnlyIfUnassigned makes the change apply only while the chat has
	// neither a user nor a group, checked under the chat's lock: the rule
	// engine's answer to a fresh incoming message must not overwrite a
	// person who took the chat while the engine was deciding. Otherwise
	// nothing changes and Assignment.Event is nil.
	OnlyIfUnassigned bool
}

// Assignment is a chat's assignment after Assign.
type Assignment struct {
	WaID    string
	UserID  *int64
	GroupID *int64
	// Event is the history entry of the change; nil when the change asked
	// for what was already there, which records and announces nothing.
	Event *AssignmentEvent
}

// AssignmentEvent is an entry of a chat's assignment history.
type AssignmentEvent struct {
	ID       int64
	At       time.Time
	ChatWaID string
	// UserSet is the user the change assigned; UserCleared whether it
	// removed the user assignment. Neither: the user was left as it was.
	UserSet     *int64
	UserCleared bool
	// GroupSet and GroupCleared are the same for the group.
	GroupSet     *int64
	GroupCleared bool
	// DoneBy is the user who made the change; nil for the rule engine.
	DoneBy *int64
	// Reason is why a rule engine assigned ({"engine": "default" |
	// "custom", ...}, openapi.yaml AssignmentReason); nil for users.
	Reason json.RawMessage
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// validReason checks the shape openapi.yaml gives AssignmentReason, so the
// events list can always show it.
func validReason(reason json.RawMessage) error {
	if reason == nil {
		return nil
	}
	var r struct {
		Engine string `json:"engine"`
	}
	if err := json.Unmarshal(reason, &r); err != nil || (r.Engine != "default" && r.Engine != "custom") {
		return fmt.Errorf("ownership: an assignment reason must be a JSON object with engine \"default\" or \"custom\", got %s", reason)
	}
	return nil
}

// Assign changes the assignment of the chat waID and, when anything
// changed, records a chat_assignment_events row and appends a
// "chat_assignment" event (payload: the ChatAssignmentEvent as the events
// endpoint lists it) in the same transaction. From that event the webhook
// fan-out tells every receiver that may read the chat, and sends a newly
// assigned user the chat's messages it has not received (assigned_messages).
//
// actor is the user making the change, with the reference's rules:
//   - it must be able to read the chat (else NotFound, as for a missing chat);
//   - it may set the user only while no user is assigned, unless it is an admin
//     (any active user may be chosen, itself included);
//   - it may clear the user only when it is that user, or an admin;
//   - it may set the group only to a group it belongs to, and clear it only
//     while it belongs to the assigned group, unless it is an admin.
//
// A nil actor is the rule engine: no permission applies, done_by is null and
// reason says why (a JSON object {"engine": "default" | "custom", ...}, see
// AssignmentReason in openapi.yaml). Users pass a nil reason. Unknown or
// inactive users and unknown groups are refused (Invalid) for everyone.
func (s *Service) Assign(ctx context.Context, actor *inbox.Viewer, waID string, change AssignmentChange, reason json.RawMessage) (Assignment, error) {
	reason = object(reason)
	if err := validReason(reason); err != nil {
		return Assignment{}, err
	}
	// Everything the event can show: the actor and the new assignees.
	var users, groups []int64
	for _, id := range []*int64{doneBy(actor), change.User.ID} {
		if id != nil {
			users = append(users, *id)
		}
	}
	if change.Group.ID != nil {
		groups = append(groups, *change.Group.ID)
	}
	render, err := s.presenter.EventRenderer(ctx, users, groups)
	if err != nil {
		return Assignment{}, err
	}
	var out Assignment
	err = storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		c, err := lockChat(ctx, q, waID, readerOf(actor), errNoChat)
		if err != nil {
			return err
		}
		out = Assignment{WaID: c.WaID, UserID: c.AssignedUserID, GroupID: c.AssignedGroupID}
		if change.OnlyIfUnassigned && (c.AssignedUserID != nil || c.AssignedGroupID != nil) {
			return nil
		}
		userChanged := change.User.Set && !sameID(change.User.ID, c.AssignedUserID)
		groupChanged := change.Group.Set && !sameID(change.Group.ID, c.AssignedGroupID)
		if !userChanged && !groupChanged {
			return nil
		}
		if userChanged {
			if err := checkUser(ctx, q, actor, c.AssignedUserID, change.User.ID); err != nil {
				return err
			}
			out.UserID = change.User.ID
		}
		if groupChanged {
			if err := checkGroup(ctx, q, actor, c.AssignedGroupID, change.Group.ID); err != nil {
				return err
			}
			out.GroupID = change.Group.ID
		}
		err = q.ChatAssignmentSet(ctx, db.ChatAssignmentSetParams{WaID: waID, AssignedUserID: out.UserID, AssignedGroupID: out.GroupID})
		if isFKViolation(err) {
			return apperr.Invalid("The user or group to assign was deleted meanwhile.")
		}
		if err != nil {
			return fmt.Errorf("assign chat %s: %w", waID, err)
		}
		e := AssignmentEvent{
			ChatWaID: waID, DoneBy: doneBy(actor), Reason: reason,
			UserCleared: userChanged && out.UserID == nil, GroupCleared: groupChanged && out.GroupID == nil,
		}
		if userChanged {
			e.UserSet = out.UserID
		}
		if groupChanged {
			e.GroupSet = out.GroupID
		}
		row, err := q.ChatAssignmentEventInsert(ctx, db.ChatAssignmentEventInsertParams{
			ChatWaID: waID, AssignedUserSetID: e.UserSet, AssignedUserWasCleared: e.UserCleared,
			AssignedGroupSetID: e.GroupSet, AssignedGroupWasCleared: e.GroupCleared, DoneBy: e.DoneBy, Reason: reason,
		})
		if err != nil {
			return fmt.Errorf("record assignment of %s: %w", waID, err)
		}
		e.ID, e.At = row.ID, row.OccurredAt
		out.Event = &e
		var ev events
		if err := ev.add(EventChatAssignment, waID, 0, render.ChatAssignmentEvent(e)); err != nil {
			return err
		}
		return ev.flush(ctx, q)
	})
	if err != nil {
		return Assignment{}, err
	}
	return out, nil
}

// checkUser applies the rules for changing the assigned user from cur to
// next (nil: clear).
func checkUser(ctx context.Context, q *db.Queries, actor *inbox.Viewer, cur, next *int64) error {
	admin := actor == nil || actor.IsAdmin
	if next == nil {
		if !admin && *cur != actor.UserID {
			return apperr.Forbidden("Only the assigned user or an admin may remove the user assignment of this chat.")
		}
		return nil
	}
	if !admin && cur != nil {
		return apperr.Forbidden("This chat is already assigned to a user: only an admin may reassign it; the assigned user may remove the assignment first.")
	}
	u, err := q.UserGetByID(ctx, *next)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.Field("assigned_to_user", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", *next))
	}
	if err != nil {
		return fmt.Errorf("get user %d: %w", *next, err)
	}
	if !u.IsActive {
		return apperr.Field("assigned_to_user", fmt.Sprintf("User %d is not active.", *next))
	}
	return nil
}

// checkGroup applies the rules for changing the assigned group from cur to
// next (nil: clear).
func checkGroup(ctx context.Context, q *db.Queries, actor *inbox.Viewer, cur, next *int64) error {
	admin := actor == nil || actor.IsAdmin
	if next == nil {
		if !admin && !actor.InGroup(*cur) {
			return apperr.Forbidden("Only a member of the assigned group or an admin may remove the group assignment of this chat.")
		}
		return nil
	}
	if _, err := q.GroupGetByID(ctx, *next); errors.Is(err, pgx.ErrNoRows) {
		return apperr.Field("assigned_group", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", *next))
	} else if err != nil {
		return fmt.Errorf("get group %d: %w", *next, err)
	}
	if !admin && !actor.InGroup(*next) {
		return apperr.Forbidden("You may only assign a chat to a group you are a member of (admins: any group).")
	}
	return nil
}

// ListAssignmentEvents returns the assignment history of the chats v may
// read, newest first, and its count.
func (s *Service) ListAssignmentEvents(ctx context.Context, v inbox.Viewer, f EventFilter, p Page) ([]AssignmentEvent, int64, error) {
	r := readerOf(&v)
	count, err := s.q.ChatAssignmentEventCount(ctx, db.ChatAssignmentEventCountParams{
		ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups,
		WaID: optString(f.WaID), SinceTime: f.Since, BeforeTime: f.Before,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("count assignment events: %w", err)
	}
	rows, err := s.q.ChatAssignmentEventList(ctx, db.ChatAssignmentEventListParams{
		ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups,
		WaID: optString(f.WaID), SinceTime: f.Since, BeforeTime: f.Before, Lim: p.Limit, Off: p.Offset,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list assignment events: %w", err)
	}
	out := make([]AssignmentEvent, len(rows))
	for i, e := range rows {
		out[i] = AssignmentEvent{
			ID: e.ID, At: e.OccurredAt, ChatWaID: e.ChatWaID,
			UserSet: e.AssignedUserSetID, UserCleared: e.AssignedUserWasCleared,
			GroupSet: e.AssignedGroupSetID, GroupCleared: e.AssignedGroupWasCleared,
			DoneBy: e.DoneBy, Reason: e.Reason,
		}
	}
	return out, count, nil
}

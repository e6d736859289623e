package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/ownership"
	"github.com/wamux/wamux/internal/storage"
)

// Event kinds the engine reacts to (written by internal/inbox and
// internal/ownership).
const (
	kindIncoming       = inbox.EventIncomingMessage
	kindOutgoing       = inbox.EventOutgoingMessage
	kindMessageTagging = ownership.EventMessageTagging
	kindChatTagging    = ownership.EventChatTagging
)

// event is an event-log row as the engine reads it.
type event struct {
	ID        int64
	Xid       string
	Kind      string
	Chat      string
	MessageID int64
	// Raw is the row's payload; Contact and Message are the provider's
	// objects of a message event; Object is a tagging's event object.
	Raw     json.RawMessage
	Contact json.RawMessage
	Message json.RawMessage
	Object  json.RawMessage
	Tag     *eventTag
	Action  string
	// Wamid is the tagged message of a message tagging.
	Wamid string
}

type eventTag struct {
	ID    int64           `json:"id"`
	Name  string          `json:"name"`
	Extra json.RawMessage `json:"extra"`
}

// parseEvent reads a row; ok is false for events the engine ignores.
func parseEvent(r db.RuleEngineEventsRow) (event, bool, error) {
	ev := event{ID: r.ID, Xid: r.XidText, Kind: r.Kind, Chat: deref(r.ChatWaID), MessageID: deref(r.MessageID), Raw: r.Payload}
	switch r.Kind {
	case kindIncoming, kindOutgoing, kindMessageTagging, kindChatTagging:
	default:
		return ev, false, nil
	}
	if ev.Chat == "" {
		return ev, false, nil
	}
	if len(r.Payload) == 0 {
		// RuleEngineEvents leaves out the payloads the engine does not
		// read: a message's ids are all the default engine needs.
		if r.Kind == kindMessageTagging || r.Kind == kindChatTagging {
			return ev, false, fmt.Errorf("event %d: a tagging without its payload", r.ID)
		}
		return ev, true, nil
	}
	var p struct {
		Contact json.RawMessage `json:"contact"`
		Message json.RawMessage `json:"message"`
		Event   json.RawMessage `json:"event"`
		Tag     *eventTag       `json:"tag"`
	}
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		return ev, false, fmt.Errorf("event %d: %w", r.ID, err)
	}
	ev.Contact, ev.Message, ev.Object, ev.Tag = p.Contact, p.Message, p.Event, p.Tag
	if r.Kind == kindMessageTagging || r.Kind == kindChatTagging {
		var o struct {
			Action  string    `json:"action"`
			Message string    `json:"message"`
			Tag     *eventTag `json:"tag"`
		}
		if len(ev.Object) == 0 {
			ev.Object = r.Payload
		}
		if err := json.Unmarshal(ev.Object, &o); err != nil {
			return ev, false, fmt.Errorf("event %d: %w", r.ID, err)
		}
		ev.Action, ev.Wamid = o.Action, o.Message
		if ev.Tag == nil {
			ev.Tag = o.Tag
		}
		if ev.Action != "added" || ev.Tag == nil {
			return ev, false, nil // the engine reacts to new taggings only
		}
	}
	return ev, true, nil
}

// target is an assignment to make: a user, or a group with a method, or
// both.
type target struct {
	User   *int64
	Group  *int64
	Method string
}

// matchRule returns the first rule (rules are in order) that matches a
// fresh incoming message (tag nil) or a tagging with tag.
func matchRule(rules []Rule, tag *int64) *Rule {
	for i := range rules {
		r := &rules[i]
		if (tag == nil && r.TaggedWith == nil) || (tag != nil && r.TaggedWith != nil && *r.TaggedWith == *tag) {
			return r
		}
	}
	return nil
}

func (r Rule) target() target {
	return target{User: r.AssignToUser, Group: r.AssignToGroup, Method: deref(r.GroupAssignMethod)}
}

// pickRoundRobin takes the group's next turn: the next active member by
// user id after the last one picked, wrapping around, under a row lock of
// round_robin_state in a short transaction of its own (replicas and
// concurrent chats queue on it). nil: the group has no active member.
func (s *Service) pickRoundRobin(ctx context.Context, group int64) (*int64, error) {
	var picked *int64
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		if err := q.RoundRobinEnsure(ctx, group); err != nil {
			return fmt.Errorf("round robin state: %w", err)
		}
		last, err := q.RoundRobinLock(ctx, group)
		if err != nil {
			return fmt.Errorf("lock round robin state: %w", err)
		}
		next, err := q.RoundRobinNext(ctx, db.RoundRobinNextParams{GroupID: group, After: last})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("next round robin member: %w", err)
		}
		picked = &next
		return q.RoundRobinSet(ctx, db.RoundRobinSetParams{GroupID: group, UserID: &next})
	})
	return picked, err
}

// peekRoundRobin is whom pickRoundRobin would pick now, changing nothing.
func (s *Service) peekRoundRobin(ctx context.Context, group int64) (*int64, error) {
	var picked *int64
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		last, err := q.RoundRobinLock(ctx, group)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		next, err := q.RoundRobinNext(ctx, db.RoundRobinNextParams{GroupID: group, After: last})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		picked = &next
		return err
	})
	return picked, err
}

// assign makes t on chat with reason (the engine's AssignmentReason; its
// answer gets the assignment actually made). A group without a user clears
// the user: let_group_decide hands the chat to the members, and a round
// robin over a group without active members does the same.
func (s *Service) assign(ctx context.Context, chat string, t target, onlyIfUnassigned bool, reason map[string]any) (ownership.Assignment, error) {
	user := t.User
	if user == nil && t.Group != nil && t.Method == RoundRobin {
		var err error
		if user, err = s.pickRoundRobin(ctx, *t.Group); err != nil {
			return ownership.Assignment{}, err
		}
	}
	change := ownership.AssignmentChange{OnlyIfUnassigned: onlyIfUnassigned}
	switch {
	case user != nil:
		change.User = ownership.SetTo(*user)
	case t.Group != nil:
		change.User = ownership.Clear()
	}
	if t.Group != nil {
		change.Group = ownership.SetTo(*t.Group)
	}
	if _, ok := reason["answer"]; !ok {
		reason["answer"] = map[string]any{"user": user, "group": t.Group, "group_assign_method": nilIfEmpty(t.Method)}
	}
	raw, err := json.Marshal(reason)
	if err != nil {
		return ownership.Assignment{}, err
	}
	return s.cfg.Assigner.Assign(ctx, nil, chat, change, raw)
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// TestInput is a dry run's event: a fresh incoming message (Wamid only) or
// a tagging (Tag with Wamid or Chat).
type TestInput struct {
	Wamid string
	Tag   *int64
	Chat  string
}

// TestResult is what the default engine would do.
type TestResult struct {
	Rule   *Rule
	Target target
	Reason string
}

// Test answers which rule of the default engine would fire on in and what
// it would assign, changing nothing (a round robin shows the member whose
// turn it is now).
func (s *Service) Test(ctx context.Context, in TestInput) (TestResult, error) {
	if in.Wamid == "" && in.Chat == "" {
		return TestResult{}, apperr.Field("message_id", "Give message_id, or tag with message_id or chat.")
	}
	if in.Tag == nil && in.Wamid == "" {
		return TestResult{}, apperr.Field("tag", "A chat is tested with a tag.")
	}
	chat := in.Chat
	fromUs := false
	if in.Wamid != "" {
		m, err := s.q.RuleMessageByWamid(ctx, in.Wamid)
		if errors.Is(err, pgx.ErrNoRows) {
			return TestResult{}, apperr.NotFound("No message matches the given query.")
		}
		if err != nil {
			return TestResult{}, fmt.Errorf("find message: %w", err)
		}
		chat = m.ChatWaID
		fromUs = m.FromUs
	}
	cur, err := s.q.RuleChatAssignment(ctx, chat)
	if errors.Is(err, pgx.ErrNoRows) {
		return TestResult{}, apperr.NotFound("No chat matches the given query.")
	}
	if err != nil {
		return TestResult{}, fmt.Errorf("read chat: %w", err)
	}
	rules, err := s.allRules(ctx)
	if err != nil {
		return TestResult{}, err
	}
	var res TestResult
	if in.Tag == nil {
		if fromUs {
			res.Reason = "This message was sent by the inbox: only incoming messages from WhatsApp start the fresh-message rules."
			return res, nil
		}
		if cur.AssignedUserID != nil || cur.AssignedGroupID != nil {
			res.Reason = "The chat is assigned" + describeAssignment(cur.AssignedUserID, cur.AssignedGroupID) +
				", so a new message in it is not fresh and no rule fires."
			return res, nil
		}
	}
	res.Rule = matchRule(rules, in.Tag)
	if res.Rule == nil {
		if in.Tag == nil {
			res.Reason = "No rule has an empty tagged_with: fresh messages stay unassigned."
		} else {
			res.Reason = "No rule reacts to tag " + strconv.FormatInt(*in.Tag, 10) + ": the assignment stays as it is."
		}
		return res, nil
	}
	res.Target = res.Rule.target()
	what := "the fresh incoming message"
	if in.Tag != nil {
		what = "tag " + strconv.FormatInt(*in.Tag, 10)
	}
	res.Reason = fmt.Sprintf("Rule %d (order %d) matches %s", res.Rule.ID, res.Rule.Position, what)
	switch {
	case res.Target.User != nil:
		res.Reason += fmt.Sprintf(": it would assign user %d.", *res.Target.User)
	case res.Target.Method == RoundRobin:
		if res.Target.User, err = s.peekRoundRobin(ctx, *res.Target.Group); err != nil {
			return TestResult{}, err
		}
		if res.Target.User == nil {
			res.Reason += fmt.Sprintf(": it would assign group %d, which has no active member for a round robin.", *res.Target.Group)
		} else {
			res.Reason += fmt.Sprintf(": it would assign group %d and, by round robin, user %d.", *res.Target.Group, *res.Target.User)
		}
	default:
		res.Reason += fmt.Sprintf(": it would assign group %d and clear the user, letting the members decide.", *res.Target.Group)
	}
	return res, nil
}

func describeAssignment(user, group *int64) string {
	s := ""
	if user != nil {
		s += " to user " + strconv.FormatInt(*user, 10)
	}
	if group != nil {
		if s != "" {
			s += " and"
		}
		s += " to group " + strconv.FormatInt(*group, 10)
	}
	return s
}

func (s *Service) allRules(ctx context.Context) ([]Rule, error) {
	rows, err := s.q.RuleAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	out := make([]Rule, len(rows))
	for i, r := range rows {
		out[i] = ruleOf(r)
	}
	return out, nil
}

package ownership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/storage"
)

// Actions of tagging events.
const (
	ActionAdded   = "added"
	ActionRemoved = "removed"
)

// MessageTagging says that a message carries a tag.
type MessageTagging struct {
	ID        int64
	TagID     int64
	MessageID int64
	// Wamid is the provider's id of the message, the API's message id.
	Wamid    string
	ChatWaID string
	// Extra is any JSON object the tagger attached, or nil.
	Extra json.RawMessage
}

// ChatTagging says that a chat carries a tag.
type ChatTagging struct {
	ID       int64
	TagID    int64
	ChatWaID string
	Extra    json.RawMessage
	// ViaMessage is set when tagging one of the chat's messages made this
	// chat tagging; removing the last such message tagging removes it.
	ViaMessage bool
}

// MessageTaggingEvent is an entry of a message's tagging history.
type MessageTaggingEvent struct {
	ID        int64
	At        time.Time
	Action    string
	Tag       Tag
	MessageID int64
	Wamid     string
	ChatWaID  string
	Extra     json.RawMessage
	// DoneBy is the user who tagged or untagged, nil when unknown.
	DoneBy *int64
}

// ChatTaggingEvent is an entry of a chat's tagging history.
type ChatTaggingEvent struct {
	ID       int64
	At       time.Time
	Action   string
	Tag      Tag
	ChatWaID string
	Extra    json.RawMessage
	DoneBy   *int64
}

var (
	errNoMessage        = apperr.NotFound("No message matches the given query.")
	errNoChat           = apperr.NotFound("No chat matches the given query.")
	errNoMessageTagging = apperr.NotFound("No message tagging matches the given query.")
	errNoChatTagging    = apperr.NotFound("No chat tagging matches the given query.")
)

func noSuchTag(id int64) error {
	return apperr.Field("tag", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", id))
}

func isFKViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23503"
}

// tagForTagging returns the tag a new tagging names; an unknown one is a
// bad field, not a missing resource.
func tagForTagging(ctx context.Context, q *db.Queries, id int64) (Tag, error) {
	t, err := getTag(ctx, q, id)
	if errors.Is(err, apperr.ErrNotFound) {
		return Tag{}, noSuchTag(id)
	}
	return t, err
}

// lockChat locks a chat that r may read for the rest of the transaction;
// notFound is the answer when it is missing or hidden from r.
func lockChat(ctx context.Context, q *db.Queries, waID string, r reader, notFound error) (db.ChatLockReadableRow, error) {
	c, err := q.ChatLockReadable(ctx, db.ChatLockReadableParams{WaID: waID, ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups})
	if errors.Is(err, pgx.ErrNoRows) {
		return c, notFound
	}
	if err != nil {
		return c, fmt.Errorf("lock chat %s: %w", waID, err)
	}
	return c, nil
}

// TagMessage tags the message with the provider id wamid, and its chat with
// the same tag unless the chat carries it already. v needs can_use_tags and
// must be able to read the chat (else NotFound, as for an unknown message).
// A pair that exists already is refused (Invalid).
func (s *Service) TagMessage(ctx context.Context, v inbox.Viewer, tagID int64, wamid string, extra json.RawMessage) (MessageTagging, error) {
	if err := mayUseTags(v); err != nil {
		return MessageTagging{}, err
	}
	extra = object(extra)
	render, err := s.renderer(ctx, &v)
	if err != nil {
		return MessageTagging{}, err
	}
	var out MessageTagging
	err = storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		tag, err := tagForTagging(ctx, q, tagID)
		if err != nil {
			return err
		}
		m, err := q.MessageRefByWamid(ctx, wamid)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoMessage
		}
		if err != nil {
			return fmt.Errorf("find message %s: %w", wamid, err)
		}
		if _, err := lockChat(ctx, q, m.ChatWaID, readerOf(&v), errNoMessage); err != nil {
			return err
		}
		id, err := q.MessageTaggingInsert(ctx, db.MessageTaggingInsertParams{TagID: tagID, MessageID: m.ID, Extra: extra, CreatedBy: doneBy(&v)})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return apperr.Invalid(fmt.Sprintf("Message %s is already tagged with tag %d; delete that tagging to create it again.", wamid, tagID))
		case isFKViolation(err):
			return noSuchTag(tagID)
		case err != nil:
			return fmt.Errorf("tag message %s: %w", wamid, err)
		}
		out = MessageTagging{ID: id, TagID: tagID, MessageID: m.ID, Wamid: wamid, ChatWaID: m.ChatWaID, Extra: extra}

		var ev events
		if err := recordMessageTagging(ctx, q, render, &ev, ActionAdded, tag, out, doneBy(&v)); err != nil {
			return err
		}
		// The reference: tagging a message tags its chat at once.
		chatTagging, err := q.ChatTaggingInsert(ctx, db.ChatTaggingInsertParams{
			TagID: tagID, ChatWaID: m.ChatWaID, Extra: extra, CreatedBy: doneBy(&v), ViaMessage: true,
		})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			// The chat carries the tag already.
		case err != nil:
			return fmt.Errorf("tag chat %s: %w", m.ChatWaID, err)
		default:
			ct := ChatTagging{ID: chatTagging, TagID: tagID, ChatWaID: m.ChatWaID, Extra: extra, ViaMessage: true}
			if err := recordChatTagging(ctx, q, render, &ev, ActionAdded, tag, ct, doneBy(&v)); err != nil {
				return err
			}
		}
		return ev.flush(ctx, q)
	})
	return out, err
}

// GetMessageTagging returns a message tagging of a chat v may read.
func (s *Service) GetMessageTagging(ctx context.Context, v inbox.Viewer, id int64) (MessageTagging, error) {
	return getMessageTagging(ctx, s.q, readerOf(&v), id)
}

func getMessageTagging(ctx context.Context, q *db.Queries, r reader, id int64) (MessageTagging, error) {
	t, err := q.MessageTaggingGet(ctx, db.MessageTaggingGetParams{ID: id, ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups})
	if errors.Is(err, pgx.ErrNoRows) {
		return MessageTagging{}, errNoMessageTagging
	}
	if err != nil {
		return MessageTagging{}, fmt.Errorf("get message tagging %d: %w", id, err)
	}
	return MessageTagging{ID: t.ID, TagID: t.TagID, MessageID: t.MessageID, Wamid: t.Wamid, ChatWaID: t.ChatWaID, Extra: t.Extra}, nil
}

// UntagMessage deletes a message tagging; v needs can_use_tags and must be
// able to read the chat. When it was the last message of the chat carrying
// that tag and the chat tagging was made by tagging a message (not on
// purpose), the chat tagging is removed as well, with its own event.
func (s *Service) UntagMessage(ctx context.Context, v inbox.Viewer, id int64) error {
	if err := mayUseTags(v); err != nil {
		return err
	}
	r := readerOf(&v)
	render, err := s.renderer(ctx, &v)
	if err != nil {
		return err
	}
	return storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		t, err := getMessageTagging(ctx, q, r, id)
		if err != nil {
			return err
		}
		if _, err := lockChat(ctx, q, t.ChatWaID, r, errNoMessageTagging); err != nil {
			return err
		}
		if _, err := q.MessageTaggingDelete(ctx, id); errors.Is(err, pgx.ErrNoRows) {
			return errNoMessageTagging // deleted meanwhile
		} else if err != nil {
			return fmt.Errorf("delete message tagging %d: %w", id, err)
		}
		tag, err := getTag(ctx, q, t.TagID)
		if err != nil {
			return err
		}
		var ev events
		if err := recordMessageTagging(ctx, q, render, &ev, ActionRemoved, tag, t, doneBy(&v)); err != nil {
			return err
		}
		orphans, err := q.ChatTaggingDeleteOrphaned(ctx, db.ChatTaggingDeleteOrphanedParams{TagID: t.TagID, ChatWaID: t.ChatWaID})
		if err != nil {
			return fmt.Errorf("remove chat tagging of %s: %w", t.ChatWaID, err)
		}
		for _, o := range orphans {
			ct := ChatTagging{ID: o.ID, TagID: t.TagID, ChatWaID: t.ChatWaID, Extra: o.Extra, ViaMessage: true}
			if err := recordChatTagging(ctx, q, render, &ev, ActionRemoved, tag, ct, doneBy(&v)); err != nil {
				return err
			}
		}
		return ev.flush(ctx, q)
	})
}

// TagChat tags the chat with waID; v needs can_use_tags and must be able
// to read the chat (else NotFound). A pair that exists already, also one
// made by tagging a message, is refused (Invalid).
func (s *Service) TagChat(ctx context.Context, v inbox.Viewer, tagID int64, waID string, extra json.RawMessage) (ChatTagging, error) {
	if err := mayUseTags(v); err != nil {
		return ChatTagging{}, err
	}
	extra = object(extra)
	render, err := s.renderer(ctx, &v)
	if err != nil {
		return ChatTagging{}, err
	}
	var out ChatTagging
	err = storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		tag, err := tagForTagging(ctx, q, tagID)
		if err != nil {
			return err
		}
		if _, err := lockChat(ctx, q, waID, readerOf(&v), errNoChat); err != nil {
			return err
		}
		id, err := q.ChatTaggingInsert(ctx, db.ChatTaggingInsertParams{TagID: tagID, ChatWaID: waID, Extra: extra, CreatedBy: doneBy(&v)})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return apperr.Invalid(fmt.Sprintf("Chat %s is already tagged with tag %d; delete that tagging to create it again.", waID, tagID))
		case isFKViolation(err):
			return noSuchTag(tagID)
		case err != nil:
			return fmt.Errorf("tag chat %s: %w", waID, err)
		}
		out = ChatTagging{ID: id, TagID: tagID, ChatWaID: waID, Extra: extra}
		var ev events
		if err := recordChatTagging(ctx, q, render, &ev, ActionAdded, tag, out, doneBy(&v)); err != nil {
			return err
		}
		return ev.flush(ctx, q)
	})
	return out, err
}

// GetChatTagging returns a chat tagging of a chat v may read.
func (s *Service) GetChatTagging(ctx context.Context, v inbox.Viewer, id int64) (ChatTagging, error) {
	return getChatTagging(ctx, s.q, readerOf(&v), id)
}

func getChatTagging(ctx context.Context, q *db.Queries, r reader, id int64) (ChatTagging, error) {
	t, err := q.ChatTaggingGet(ctx, db.ChatTaggingGetParams{ID: id, ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups})
	if errors.Is(err, pgx.ErrNoRows) {
		return ChatTagging{}, errNoChatTagging
	}
	if err != nil {
		return ChatTagging{}, fmt.Errorf("get chat tagging %d: %w", id, err)
	}
	return ChatTagging{ID: t.ID, TagID: t.TagID, ChatWaID: t.ChatWaID, Extra: t.Extra, ViaMessage: t.ViaMessage}, nil
}

// UntagChat deletes a chat tagging; v needs can_use_tags and must be able
// to read the chat. The chat's messages keep their taggings.
func (s *Service) UntagChat(ctx context.Context, v inbox.Viewer, id int64) error {
	if err := mayUseTags(v); err != nil {
		return err
	}
	r := readerOf(&v)
	render, err := s.renderer(ctx, &v)
	if err != nil {
		return err
	}
	return storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		t, err := getChatTagging(ctx, q, r, id)
		if err != nil {
			return err
		}
		if _, err := lockChat(ctx, q, t.ChatWaID, r, errNoChatTagging); err != nil {
			return err
		}
		if _, err := q.ChatTaggingDelete(ctx, id); errors.Is(err, pgx.ErrNoRows) {
			return errNoChatTagging // deleted meanwhile
		} else if err != nil {
			return fmt.Errorf("delete chat tagging %d: %w", id, err)
		}
		tag, err := getTag(ctx, q, t.TagID)
		if err != nil {
			return err
		}
		var ev events
		if err := recordChatTagging(ctx, q, render, &ev, ActionRemoved, tag, t, doneBy(&v)); err != nil {
			return err
		}
		return ev.flush(ctx, q)
	})
}

// recordMessageTagging writes the history entry of a message tagging change
// and queues its event-log row.
func recordMessageTagging(ctx context.Context, q *db.Queries, render Renderer, ev *events, action string, tag Tag, t MessageTagging, by *int64) error {
	row, err := q.MessageTaggingEventInsert(ctx, db.MessageTaggingEventInsertParams{
		Action: action, TagID: tag.ID, MessageID: t.MessageID, ChatWaID: t.ChatWaID, Extra: t.Extra, DoneBy: by,
	})
	if err != nil {
		return fmt.Errorf("record message tagging event: %w", err)
	}
	e := MessageTaggingEvent{
		ID: row.ID, At: row.OccurredAt, Action: action, Tag: tag, MessageID: t.MessageID, Wamid: t.Wamid,
		ChatWaID: t.ChatWaID, Extra: t.Extra, DoneBy: by,
	}
	raw, err := json.Marshal(render.MessageTaggingEvent(e))
	if err != nil {
		return fmt.Errorf("encode message tagging event: %w", err)
	}
	return ev.add(EventMessageTagging, t.ChatWaID, t.MessageID, TaggingPayload{
		Event: raw, Tag: EventTag{ID: tag.ID, Name: tag.Name, Extra: orJSONNull(t.Extra)},
	})
}

// recordChatTagging writes the history entry of a chat tagging change and
// queues its event-log row.
func recordChatTagging(ctx context.Context, q *db.Queries, render Renderer, ev *events, action string, tag Tag, t ChatTagging, by *int64) error {
	row, err := q.ChatTaggingEventInsert(ctx, db.ChatTaggingEventInsertParams{
		Action: action, TagID: tag.ID, ChatWaID: t.ChatWaID, Extra: t.Extra, DoneBy: by,
	})
	if err != nil {
		return fmt.Errorf("record chat tagging event: %w", err)
	}
	e := ChatTaggingEvent{ID: row.ID, At: row.OccurredAt, Action: action, Tag: tag, ChatWaID: t.ChatWaID, Extra: t.Extra, DoneBy: by}
	raw, err := json.Marshal(render.ChatTaggingEvent(e))
	if err != nil {
		return fmt.Errorf("encode chat tagging event: %w", err)
	}
	return ev.add(EventChatTagging, t.ChatWaID, 0, TaggingPayload{
		Event: raw, Tag: EventTag{ID: tag.ID, Name: tag.Name, Extra: orJSONNull(t.Extra)},
	})
}

// ListMessageTaggingEvents returns the message tagging history of the chats
// v may read, newest first, and its count.
func (s *Service) ListMessageTaggingEvents(ctx context.Context, v inbox.Viewer, f EventFilter, p Page) ([]MessageTaggingEvent, int64, error) {
	r := readerOf(&v)
	count, err := s.q.MessageTaggingEventCount(ctx, db.MessageTaggingEventCountParams{
		ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups,
		WaID: optString(f.WaID), Wamid: optString(f.Wamid), SinceTime: f.Since, BeforeTime: f.Before,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("count message tagging events: %w", err)
	}
	rows, err := s.q.MessageTaggingEventList(ctx, db.MessageTaggingEventListParams{
		ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups,
		WaID: optString(f.WaID), Wamid: optString(f.Wamid), SinceTime: f.Since, BeforeTime: f.Before,
		Lim: p.Limit, Off: p.Offset,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list message tagging events: %w", err)
	}
	out := make([]MessageTaggingEvent, len(rows))
	for i, e := range rows {
		out[i] = MessageTaggingEvent{
			ID: e.ID, At: e.OccurredAt, Action: e.Action, Tag: Tag{ID: e.TagID, Name: e.TagName, Color: e.TagColor},
			MessageID: e.MessageID, Wamid: e.Wamid, ChatWaID: e.ChatWaID, Extra: e.Extra, DoneBy: e.DoneBy,
		}
	}
	return out, count, nil
}

// ListChatTaggingEvents returns the chat tagging history of the chats v may
// read, newest first, and its count.
func (s *Service) ListChatTaggingEvents(ctx context.Context, v inbox.Viewer, f EventFilter, p Page) ([]ChatTaggingEvent, int64, error) {
	r := readerOf(&v)
	count, err := s.q.ChatTaggingEventCount(ctx, db.ChatTaggingEventCountParams{
		ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups,
		WaID: optString(f.WaID), SinceTime: f.Since, BeforeTime: f.Before,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("count chat tagging events: %w", err)
	}
	rows, err := s.q.ChatTaggingEventList(ctx, db.ChatTaggingEventListParams{
		ReadLevel: r.level, UserID: r.userID, GroupIds: r.groups,
		WaID: optString(f.WaID), SinceTime: f.Since, BeforeTime: f.Before, Lim: p.Limit, Off: p.Offset,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list chat tagging events: %w", err)
	}
	out := make([]ChatTaggingEvent, len(rows))
	for i, e := range rows {
		out[i] = ChatTaggingEvent{
			ID: e.ID, At: e.OccurredAt, Action: e.Action, Tag: Tag{ID: e.TagID, Name: e.TagName, Color: e.TagColor},
			ChatWaID: e.ChatWaID, Extra: e.Extra, DoneBy: e.DoneBy,
		}
	}
	return out, count, nil
}

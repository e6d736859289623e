package ownership

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/inbox"
)

// Event kinds this package appends to the event log (the CHECK of
// events.kind lists them).
const (
	EventChatAssignment = "chat_assignment"
	EventChatTagging    = "chat_tagging"
	EventMessageTagging = "message_tagging"
)

// TaggingPayload is the payload of a "message_tagging" or "chat_tagging"
// row of the event log.
type TaggingPayload struct {
	// Event is the MessageTaggingEvent or ChatTaggingEvent exactly as the
	// events endpoint lists it.
	Event json.RawMessage `json:"event"`
	// Tag is the tag with the tagging's extra data: what the deprecated
	// tagged_messages / tagged_chats fields call new_tag.
	Tag EventTag `json:"tag"`
}

// EventTag is the tag of a tagging event with the tagging's extra data.
type EventTag struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Extra is the tagging's extra object, or JSON null.
	Extra json.RawMessage `json:"extra"`
}

// Presenter renders events exactly as the events endpoints list them.
// internal/httpapi's Presenter implements it, so the log and the API cannot
// drift apart.
//
// Rendering happens inside the transaction of the change, which holds a
// pool connection: EventRenderer loads what the events will show (users and
// groups) before the transaction starts, and the Renderer it returns must
// not touch the database, so a busy pool can never deadlock on a second
// connection.
type Presenter interface {
	EventRenderer(ctx context.Context, userIDs, groupIDs []int64) (Renderer, error)
}

// Renderer turns events into their API objects (each result is marshalled
// to JSON as the event's payload) from what its EventRenderer call loaded;
// users and groups it was not given show as null.
type Renderer interface {
	MessageTaggingEvent(e MessageTaggingEvent) any
	ChatTaggingEvent(e ChatTaggingEvent) any
	ChatAssignmentEvent(e AssignmentEvent) any
}

// Service manages tags, taggings and assignments.
type Service struct {
	pool      *pgxpool.Pool
	q         *db.Queries
	presenter Presenter
}

// Config is what the Service needs.
type Config struct {
	Pool *pgxpool.Pool
	// Presenter renders the events appended to the event log.
	Presenter Presenter
}

// New returns the Service over cfg.Pool.
func New(cfg Config) *Service {
	return &Service{pool: cfg.Pool, q: db.New(cfg.Pool), presenter: cfg.Presenter}
}

// Page is a limit/offset window.
type Page = inbox.Page

// EventFilter narrows an events list. Since is inclusive, Before exclusive.
type EventFilter struct {
	WaID string
	// Wamid is the provider's message id (message tagging events only).
	Wamid         string
	Since, Before *time.Time
}

// reader is the read filter of the SQL: the caller's id, read level and
// groups. A nil viewer is wamux itself (the rule engine), which reads all.
type reader struct {
	userID int64
	level  string
	groups []int64
}

func readerOf(v *inbox.Viewer) reader {
	if v == nil {
		return reader{level: string(authz.All)}
	}
	return reader{userID: v.UserID, level: string(v.Permissions.CanReadChats), groups: v.GroupIDs}
}

func doneBy(v *inbox.Viewer) *int64 {
	if v == nil {
		return nil
	}
	id := v.UserID
	return &id
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// object normalises a JSON object that may be absent: nil and JSON null
// are stored as SQL NULL.
func object(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// orJSONNull is raw, or JSON null when absent.
func orJSONNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// events collects event-log rows to append with one statement, in the
// transaction of the change they describe.
type events struct {
	p db.EventsAppendParams
}

func (b *events) add(kind, chatWaID string, messageID int64, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", kind, err)
	}
	b.p.Kinds = append(b.p.Kinds, kind)
	b.p.ChatWaIds = append(b.p.ChatWaIds, chatWaID)
	b.p.MessageIds = append(b.p.MessageIds, messageID)
	b.p.Payloads = append(b.p.Payloads, raw)
	return nil
}

func (b *events) flush(ctx context.Context, q *db.Queries) error {
	if len(b.p.Kinds) == 0 {
		return nil
	}
	if err := q.EventsAppend(ctx, b.p); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}

// renderer prepares the rendering of tagging events done by v.
func (s *Service) renderer(ctx context.Context, v *inbox.Viewer) (Renderer, error) {
	var users []int64
	if id := doneBy(v); id != nil {
		users = append(users, *id)
	}
	return s.presenter.EventRenderer(ctx, users, nil)
}

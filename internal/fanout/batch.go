package fanout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/webhooks"
)

// Event kinds written by other issues (#6: ownership); inbox defines the
// message, status and error kinds.
const (
	kindChatAssignment = "chat_assignment"
	kindChatTagging    = "chat_tagging"
	kindMessageTagging = "message_tagging"
)

// payload is the body of a delivery: the provider's fields passed through
// byte for byte (json.RawMessage, never re-encoded), and wamux's extension
// fields, each present only when it has content (openapi.yaml,
// WebhookPayload).
type payload struct {
	Contacts         []json.RawMessage `json:"contacts,omitempty"`
	Messages         []json.RawMessage `json:"messages,omitempty"`
	Statuses         []json.RawMessage `json:"statuses,omitempty"`
	Errors           []json.RawMessage `json:"errors,omitempty"`
	IncomingMessages []json.RawMessage `json:"incoming_messages,omitempty"`
	OutgoingMessages []json.RawMessage `json:"outgoing_messages,omitempty"`
	AssignedMessages []json.RawMessage `json:"assigned_messages,omitempty"`
	ChatAssignment   json.RawMessage   `json:"chat_assignment,omitempty"`
	ChatTagging      json.RawMessage   `json:"chat_tagging,omitempty"`
	MessageTagging   json.RawMessage   `json:"message_tagging,omitempty"`
	TaggedMessages   []taggedMessage   `json:"tagged_messages,omitempty"`
	TaggedChats      []taggedChat      `json:"tagged_chats,omitempty"`
}

// newTag is the deprecated fields' description of the tag just applied.
type newTag struct {
	Name  string          `json:"name"`
	ID    int64           `json:"id"`
	Extra json.RawMessage `json:"extra,omitempty"`
}

type taggedMessage struct {
	Message json.RawMessage `json:"message"`
	NewTag  newTag          `json:"new_tag"`
}

type taggedChat struct {
	Chat   api.Chat `json:"chat"`
	NewTag newTag   `json:"new_tag"`
}

// eventBody is the payload of an event row: {"contact", "message"} of an
// incoming message, {"message"} of an outgoing one, {"status"}, {"error"}.
// Assignment and tagging events carry the API's event object, either as
// the payload itself or as {"event": <object>, "tag": {"id", "name",
// "extra"}} (internal/ownership); object() returns it either way.
type eventBody struct {
	Contact json.RawMessage `json:"contact"`
	Message json.RawMessage `json:"message"`
	Status  json.RawMessage `json:"status"`
	Error   json.RawMessage `json:"error"`
	Event   json.RawMessage `json:"event"`
	Tag     *tagRef         `json:"tag"`
	// Read from the event object.
	Action            string          `json:"action"`
	Extra             json.RawMessage `json:"extra"`
	AssignedToUserSet *struct {
		ID int64 `json:"id"`
	} `json:"assigned_to_user_set"`
	object json.RawMessage
	// contactWaID is the wa_id of Contact.
	contactWaID string
}

type tagRef struct {
	ID    int64           `json:"id"`
	Name  string          `json:"name"`
	Extra json.RawMessage `json:"extra"`
}

// parseEventBody reads an event's payload; for assignment and tagging
// events it finds the event object and reads its action, assignee and
// extra data.
func parseEventBody(kind string, raw json.RawMessage) (eventBody, error) {
	var b eventBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return b, err
	}
	switch kind {
	case kindChatAssignment, kindChatTagging, kindMessageTagging:
	case inbox.EventIncomingMessage:
		var c struct {
			WaID string `json:"wa_id"`
		}
		if len(b.Contact) > 0 && string(b.Contact) != "null" {
			if err := json.Unmarshal(b.Contact, &c); err != nil {
				return b, err
			}
		}
		b.contactWaID = c.WaID
		return b, nil
	default:
		return b, nil
	}
	b.object = raw
	if len(b.Event) > 0 && b.Event[0] == '{' {
		b.object = b.Event
		var inner eventBody
		if err := json.Unmarshal(b.Event, &inner); err != nil {
			return b, err
		}
		b.Action, b.AssignedToUserSet = inner.Action, inner.AssignedToUserSet
		if b.Tag == nil {
			b.Tag = inner.Tag
		}
		if len(b.Extra) == 0 {
			b.Extra = inner.Extra
		}
	}
	if b.Tag != nil && len(b.Tag.Extra) > 0 {
		b.Extra = b.Tag.Extra
	}
	return b, nil
}

// chatState is who a chat is assigned to now.
type chatState struct {
	user, group *int64
}

// parts says what an event contributes to a webhook's payload.
type parts struct {
	raw      bool // contacts + messages / statuses / errors
	incoming bool
	outgoing bool
	assigned bool // the message of a chat assigned to the user
	// assignedChat: the chat was just assigned to the user; its unreceived
	// messages come along in assigned_messages.
	assignedChat bool
	singleton    bool // chat_assignment, chat_tagging, message_tagging
}

func (p parts) any() bool {
	return p.raw || p.incoming || p.outgoing || p.assigned || p.assignedChat || p.singleton
}

type selected struct {
	ev    db.FanoutEventsRow
	body  eventBody
	parts parts
}

// batch is one POST: its body, the events it carries and where the cursor
// goes once it is delivered.
type batch struct {
	body        []byte
	first, last int64     // ids of the first and last delivered events
	oldest      time.Time // when the first delivered event was written
	count       int       // events delivered
	end         webhooks.Position
	// next is the index in the page of the first event after end: where
	// the batch after this one starts (Feed builds several from a page).
	next int
	// marks are the received marks to set on a 2xx: per chat, the newest
	// incoming message delivered.
	marks map[string]time.Time
}

// classify decides what ev contributes for this webhook and its user, with
// permissions and assignments as they are now.
func classify(st *state, ev db.FanoutEventsRow, body *eventBody, chats map[string]*chatState) parts {
	var chat *chatState
	if ev.ChatWaID != nil {
		chat = chats[*ev.ChatWaID]
	}
	readable := st.viewer.mayRead(chat)
	mine := chat != nil && chat.user != nil && *chat.user == st.UserID
	var p parts
	switch ev.Kind {
	case inbox.EventIncomingMessage:
		if readable {
			p.raw = st.OnIncomingMessages
			p.incoming = st.OnIncomingMessages
			p.assigned = st.OnAssignedMessages && mine
		}
	case inbox.EventOutgoingMessage:
		p.outgoing = readable && st.OnOutgoingMessages
	case inbox.EventStatus:
		p.raw = readable && (st.OnIncomingMessages || st.OnOutgoingMessages || (st.OnAssignedMessages && mine))
	case inbox.EventProviderError:
		// Not tied to a chat: only for users who may read every chat.
		p.raw = st.viewer.mayRead(nil) && (st.OnIncomingMessages || st.OnOutgoingMessages)
	case kindChatAssignment:
		if readable {
			p.singleton = st.OnChatAssignment
			p.assignedChat = st.OnAssignedMessages && body.AssignedToUserSet != nil && body.AssignedToUserSet.ID == st.UserID
		}
	case kindChatTagging, kindMessageTagging:
		p.singleton = readable && st.OnTagging
	}
	return p
}

// build turns the page after the cursor into the next batch: the events
// this webhook subscribes to and its user may read, in log order, at most
// BatchSize of them. An assignment or tagging event travels alone, since
// the payload carries one object of each. Events for nobody here are
// stepped over (end moves past them).
func (d *deliverer) build(st *state, pg *page) (*batch, error) {
	return d.e.build(d.ctx, st, pg, 0, d.retryCut, d.e.readMarks)
}

// markReader returns a user's received marks of some chats: what the
// per-user `received` of the messages in a payload is computed from.
type markReader func(ctx context.Context, userID int64, chats []string) (map[string]time.Time, error)

// build is the deliverers' build for any reader of a page (see Feed): it
// starts at the page's event from, stops after the event retryCut (when
// set) and reads the user's received marks through marks.
func (e *Engine) build(ctx context.Context, st *state, pg *page, from int, retryCut *int64, marks markReader) (*batch, error) {
	if err := pg.data(e); err != nil {
		return nil, err
	}
	b := &batch{end: st.cursor, next: from, marks: map[string]time.Time{}}
	var sel []selected
	for i := from; i < len(pg.events); i++ {
		ev, body := pg.events[i], pg.bodies[i]
		p := classify(st, ev, &body, pg.chats)
		pos, err := webhooks.ParsePosition(ev.XidText, ev.ID)
		if err != nil {
			return nil, err
		}
		if !p.any() {
			b.end, b.next = pos, i+1
			continue
		}
		if p.singleton && len(sel) > 0 {
			break // it goes in the next batch, alone
		}
		sel = append(sel, selected{ev: ev, body: body, parts: p})
		b.end, b.next = pos, i+1
		if p.singleton || len(sel) >= e.cfg.BatchSize || (retryCut != nil && ev.ID == *retryCut) {
			break
		}
	}
	if len(sel) == 0 {
		return b, nil
	}

	msgs, err := e.batchMessages(ctx, st, pg, sel, marks)
	if err != nil {
		return nil, err
	}
	var p payload
	contacts := map[string]bool{}
	inAssigned := map[int64]bool{}
	// show returns a message as this user sees it, and marks it received
	// when delivered (on a 2xx) if it came from the customer.
	show := func(id int64, mark bool) json.RawMessage {
		m := msgs.byID[id]
		if m == nil {
			return nil // pruned meanwhile
		}
		raw, err := m.encoded(e.cfg.Presenter, msgs.received(m))
		if err != nil {
			e.log.ErrorContext(ctx, "message not encoded", "message_id", id, "error", err)
			return nil
		}
		if mark && !m.msg.FromUs && m.msg.Ts.After(b.marks[m.msg.ChatWaID]) {
			b.marks[m.msg.ChatWaID] = m.msg.Ts
		}
		return raw
	}
	addAssigned := func(id int64) {
		if inAssigned[id] {
			return
		}
		if raw := show(id, true); raw != nil {
			inAssigned[id] = true
			p.AssignedMessages = append(p.AssignedMessages, raw)
		}
	}
	for _, s := range sel {
		ev, body, pt := s.ev, s.body, s.parts
		msgID := int64(0)
		if ev.MessageID != nil {
			msgID = *ev.MessageID
		}
		switch ev.Kind {
		case inbox.EventIncomingMessage:
			if pt.raw {
				if len(body.Contact) > 0 && string(body.Contact) != "null" && !contacts[body.contactWaID] {
					contacts[body.contactWaID] = true
					p.Contacts = append(p.Contacts, body.Contact)
				}
				if len(body.Message) > 0 {
					p.Messages = append(p.Messages, body.Message)
				}
			}
			if pt.incoming {
				if raw := show(msgID, true); raw != nil {
					p.IncomingMessages = append(p.IncomingMessages, raw)
				}
			}
			if pt.assigned {
				addAssigned(msgID)
			}
		case inbox.EventOutgoingMessage:
			if raw := show(msgID, false); raw != nil {
				p.OutgoingMessages = append(p.OutgoingMessages, raw)
			}
		case inbox.EventStatus:
			if len(body.Status) > 0 {
				p.Statuses = append(p.Statuses, body.Status)
			}
		case inbox.EventProviderError:
			if len(body.Error) > 0 {
				p.Errors = append(p.Errors, body.Error)
			}
		case kindChatAssignment:
			if pt.singleton {
				p.ChatAssignment = body.object
			}
			if pt.assignedChat {
				for _, id := range msgs.chatBacklog[*ev.ChatWaID] {
					addAssigned(id)
				}
			}
		case kindChatTagging:
			p.ChatTagging = body.object
			if body.Action == "added" && body.Tag != nil && ev.ChatWaID != nil {
				c, err := e.cfg.Chats.GetChat(ctx, st.viewer.inbox(), *ev.ChatWaID)
				if err != nil && !errors.Is(err, apperr.ErrNotFound) {
					return nil, fmt.Errorf("load tagged chat: %w", err)
				}
				if err == nil {
					ac, err := e.cfg.Presenter.Chats(ctx, []inbox.Chat{c})
					if err != nil {
						return nil, fmt.Errorf("present tagged chat: %w", err)
					}
					p.TaggedChats = append(p.TaggedChats, taggedChat{Chat: ac[0], NewTag: body.newTag()})
				}
			}
		case kindMessageTagging:
			p.MessageTagging = body.object
			if body.Action == "added" && body.Tag != nil {
				if raw := show(msgs.tagged[ev.ID], false); raw != nil {
					p.TaggedMessages = append(p.TaggedMessages, taggedMessage{Message: raw, NewTag: body.newTag()})
				}
			}
		}
	}
	if isEmpty(&p) {
		// Its messages are gone (pruned): nothing left to say.
		return &batch{end: b.end, next: b.next}, nil
	}
	body, err := p.encode()
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	b.body = body
	b.first, b.last, b.count, b.oldest = sel[0].ev.ID, sel[len(sel)-1].ev.ID, len(sel), sel[0].ev.CreatedAt
	return b, nil
}

// encode writes the payload as JSON. The raw parts are copied as they
// are: they are valid JSON already (from PostgreSQL's jsonb or from
// encoding/json), and json.Marshal would scan and compact every one of
// them again for every webhook.
func (p *payload) encode() ([]byte, error) {
	size := 64
	for _, list := range [][]json.RawMessage{p.Contacts, p.Messages, p.Statuses, p.Errors, p.IncomingMessages, p.OutgoingMessages, p.AssignedMessages} {
		for _, r := range list {
			size += len(r) + 1
		}
	}
	buf := make([]byte, 0, size+len(p.ChatAssignment)+len(p.ChatTagging)+len(p.MessageTagging))
	buf = append(buf, '{')
	field := func(name string) {
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, name...)
		buf = append(buf, '"', ':')
	}
	list := func(name string, items []json.RawMessage) {
		if len(items) == 0 {
			return
		}
		field(name)
		buf = append(buf, '[')
		for i, r := range items {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, r...)
		}
		buf = append(buf, ']')
	}
	one := func(name string, r json.RawMessage) {
		if len(r) > 0 {
			field(name)
			buf = append(buf, r...)
		}
	}
	list("contacts", p.Contacts)
	list("messages", p.Messages)
	list("statuses", p.Statuses)
	list("errors", p.Errors)
	list("incoming_messages", p.IncomingMessages)
	list("outgoing_messages", p.OutgoingMessages)
	list("assigned_messages", p.AssignedMessages)
	one("chat_assignment", p.ChatAssignment)
	one("chat_tagging", p.ChatTagging)
	one("message_tagging", p.MessageTagging)
	if len(p.TaggedMessages) > 0 {
		r, err := json.Marshal(p.TaggedMessages)
		if err != nil {
			return nil, err
		}
		one("tagged_messages", r)
	}
	if len(p.TaggedChats) > 0 {
		r, err := json.Marshal(p.TaggedChats)
		if err != nil {
			return nil, err
		}
		one("tagged_chats", r)
	}
	return append(buf, '}'), nil
}

func (t eventBody) newTag() newTag {
	return newTag{Name: t.Tag.Name, ID: t.Tag.ID, Extra: t.Extra}
}

func isEmpty(p *payload) bool {
	return len(p.Contacts)+len(p.Messages)+len(p.Statuses)+len(p.Errors)+len(p.IncomingMessages)+len(p.OutgoingMessages)+
		len(p.AssignedMessages)+len(p.ChatAssignment)+len(p.ChatTagging)+len(p.MessageTagging)+len(p.TaggedMessages)+len(p.TaggedChats) == 0
}

func (v viewer) inbox() inbox.Viewer {
	return inbox.Viewer{UserID: v.userID, Permissions: authz.Permissions{CanReadChats: v.read}, GroupIDs: v.groups}
}

// batchMessages are the messages a batch shows, and this user's received
// marks for their chats.
type batchMessages struct {
	byID  map[int64]*sharedMessage
	marks map[string]time.Time
	// chatBacklog: per chat just assigned to the user, its unreceived
	// messages, oldest first.
	chatBacklog map[string][]int64
	// tagged: per message_tagging event, the tagged message's id.
	tagged map[int64]int64
}

// received is the per-user flag of the list endpoint: outgoing messages
// always, incoming ones up to the user's mark for the chat.
func (bm *batchMessages) received(m *sharedMessage) bool {
	if m.msg.FromUs {
		return true
	}
	mk, ok := bm.marks[m.msg.ChatWaID]
	return ok && !m.msg.Ts.After(mk)
}

// batchMessages gathers the batch's messages: those of the page (shared),
// plus what only this user needs (a newly assigned chat's backlog, a tagged
// message), and reads the user's marks for their chats.
func (e *Engine) batchMessages(ctx context.Context, st *state, pg *page, sel []selected, marks markReader) (*batchMessages, error) {
	q := e.q
	out := &batchMessages{byID: map[int64]*sharedMessage{}, marks: map[string]time.Time{}, chatBacklog: map[string][]int64{}, tagged: map[int64]int64{}}
	var extra, tagged []int64
	need := func(id int64) {
		if m, ok := pg.msgs[id]; ok {
			out.byID[id] = m
		} else if id != 0 {
			extra = append(extra, id)
		}
	}
	for _, s := range sel {
		ev := s.ev
		switch {
		case (s.parts.incoming || s.parts.assigned || s.parts.outgoing) && ev.MessageID != nil:
			need(*ev.MessageID)
		case s.parts.assignedChat && ev.ChatWaID != nil:
			unwritten, _ := e.marker.unwritten(st.UserID, *ev.ChatWaID) // zero: before every message
			backlog, err := q.FanoutUnreceived(ctx, db.FanoutUnreceivedParams{
				UserID: st.UserID, ChatWaID: *ev.ChatWaID, UnwrittenMark: unwritten, Lim: int32(e.cfg.AssignedBacklog),
			})
			if err != nil {
				return nil, fmt.Errorf("load the messages of an assigned chat: %w", err)
			}
			slices.Reverse(backlog)
			out.chatBacklog[*ev.ChatWaID] = backlog
			for _, id := range backlog {
				need(id)
			}
		case ev.Kind == kindMessageTagging && s.body.Action == "added":
			id := int64(0)
			if ev.MessageID != nil {
				id = *ev.MessageID
			} else {
				var ref struct {
					Message string `json:"message"`
				}
				_ = json.Unmarshal(s.body.object, &ref)
				mid, err := q.FanoutMessageID(ctx, ref.Message)
				if err != nil && !errors.Is(err, pgx.ErrNoRows) {
					return nil, fmt.Errorf("find tagged message: %w", err)
				}
				id = mid
			}
			out.tagged[ev.ID] = id
			if id != 0 {
				tagged = append(tagged, id) // read afresh: it must show the tag just applied
			}
		}
	}
	for _, ids := range []struct {
		ids   []int64
		fresh bool
	}{{extra, false}, {tagged, true}} {
		if len(ids.ids) == 0 {
			continue
		}
		more, err := e.messages(ctx, ids.ids, ids.fresh)
		if err != nil {
			return nil, err
		}
		maps.Copy(out.byID, more)
	}
	var chats []string
	for _, m := range out.byID {
		if !m.msg.FromUs && !slices.Contains(chats, m.msg.ChatWaID) {
			chats = append(chats, m.msg.ChatWaID)
		}
	}
	if len(chats) > 0 {
		ms, err := marks(ctx, st.UserID, chats)
		if err != nil {
			return nil, err
		}
		out.marks = ms
	}
	return out, nil
}

// readMarks is the deliverers' markReader: the marks in the database, and
// those the marker has not written yet.
func (e *Engine) readMarks(ctx context.Context, userID int64, chats []string) (map[string]time.Time, error) {
	ms, err := e.q.FanoutMarks(ctx, db.FanoutMarksParams{UserID: userID, WaIds: chats})
	if err != nil {
		return nil, fmt.Errorf("load received marks: %w", err)
	}
	out := make(map[string]time.Time, len(chats))
	for _, m := range ms {
		out[m.ChatWaID] = m.ReceivedUntil
	}
	for _, chat := range chats {
		if ts, ok := e.marker.unwritten(userID, chat); ok {
			out[chat] = later(out[chat], ts)
		}
	}
	return out, nil
}

// messageOf turns a FanoutMessages row into the inbox's Message, which the
// Presenter turns into the list endpoint's entry.
func messageOf(r db.FanoutMessagesRow) inbox.Message {
	m := inbox.Message{
		ID: r.ID, Wamid: r.Wamid, ChatWaID: r.ChatWaID, FromUs: r.FromUs, Payload: r.WabaPayload, Context: r.Context,
		SentAt: r.SentAt, DeliveredAt: r.DeliveredAt, ReadAt: r.ReadAt, FailedAt: r.FailedAt, Errors: r.StatusErrors, Ts: r.Ts,
	}
	if r.ProfileName != nil {
		m.Contact = &inbox.Person{WaID: r.ChatWaID, ProfileName: *r.ProfileName, Initials: deref(r.Initials), Payload: r.PersonPayload, LastMessageAt: r.PersonLastMessageAt}
	}
	if r.SenderID != nil && r.SenderUsername != nil {
		m.Sender = &db.User{ID: *r.SenderID, Username: *r.SenderUsername, FirstName: deref(r.SenderFirstName), LastName: deref(r.SenderLastName),
			Email: deref(r.SenderEmail), Role: deref(r.SenderRole)}
	}
	var tags []struct {
		TaggingID int64           `json:"tagging_id"`
		ID        int64           `json:"id"`
		Name      string          `json:"name"`
		Color     *string         `json:"web_inbox_color"`
		Extra     json.RawMessage `json:"extra"`
	}
	_ = json.Unmarshal(r.Tags, &tags) // built by jsonb_agg: always an array
	for _, t := range tags {
		m.Tags = append(m.Tags, inbox.Tag{TaggingID: t.TaggingID, ID: t.ID, Name: t.Name, Color: t.Color, Extra: t.Extra})
	}
	return m
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

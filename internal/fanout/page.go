package fanout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/webhooks"
)

// A page is a run of the event log after one position, with what every
// deliverer needs to build its payload from it: the chats' assignments and
// the messages, read once per process and shared. Deliverers that are
// caught up sit at the same position, so N webhooks cost one read of the
// log instead of N; each deliverer then filters the page for its user and
// reads only its received marks.
//
// A page is a prefix of the log below the horizon: it can be shorter than
// a read made later (the horizon moves on), never different. So a page may
// be reused as long as that cannot make a deliverer believe it is caught up
// while a notification announced more: see Engine.page.
type page struct {
	key     pageKey
	started time.Time // when its read began
	done    chan struct{}
	err     error
	events  []db.FanoutEventsRow
	// above: committed events wait above the horizon.
	above bool

	dataOnce sync.Once
	dataErr  error
	bodies   []eventBody // parsed payloads, one per event
	chats    map[string]*chatState
	msgs     map[int64]*sharedMessage
}

type pageKey struct {
	pos webhooks.Position
	lim int32
}

// pageTTL bounds how long a page serves: assignments and message statuses
// in it are at most this old when delivered.
const pageTTL = 250 * time.Millisecond

// page returns the events after pos, reading them unless a usable page is
// cached or being read. A page is usable when its read began at or after
// notBefore (the deliverer's last notification of new events, or the end
// of a timer, after which the horizon may have moved silently), or when it
// is full (more follows anyway), and when it is younger than pageTTL.
func (e *Engine) page(ctx context.Context, pos webhooks.Position, lim int32, notBefore time.Time) (*page, error) {
	key := pageKey{pos: pos, lim: lim}
	for {
		e.pagesMu.Lock()
		p := e.pages[key]
		if p != nil && time.Since(p.started) > pageTTL {
			p = nil
		}
		if p != nil && p.started.Before(notBefore) && !p.loaded() {
			// Whether it is full is known once it is read.
		} else if p != nil && p.started.Before(notBefore) && len(p.events) < int(lim) {
			p = nil
		}
		if p == nil {
			p = &page{key: key, started: time.Now(), done: make(chan struct{})}
			e.evictPages()
			e.pages[key] = p
			e.pagesMu.Unlock()
			e.readPage(p)
			return p, p.err
		}
		e.pagesMu.Unlock()
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if p.err == nil && (!p.started.Before(notBefore) || len(p.events) == int(lim)) {
			return p, nil
		}
		notBefore = time.Now() // read it again, now
	}
}

func (p *page) loaded() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// evictPages drops pages past their time; pagesMu is held.
func (e *Engine) evictPages() {
	for k, p := range e.pages {
		if time.Since(p.started) > 2*pageTTL {
			delete(e.pages, k)
		}
	}
}

func (e *Engine) readPage(p *page) {
	defer close(p.done)
	ctx := e.hard // shared by several deliverers: not tied to one of them
	p.events, p.err = e.q.FanoutEvents(ctx, db.FanoutEventsParams{CursorXid: p.key.pos.XidText(), CursorID: p.key.pos.ID, Lim: p.key.lim})
	for i, ev := range p.events {
		xid, err1 := strconv.ParseUint(ev.XidText, 10, 64)
		horizon, err2 := strconv.ParseUint(ev.HorizonText, 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			p.err = err
			break
		}
		if xid >= horizon {
			// From here on the log may still gain rows: not yet.
			p.events, p.above = p.events[:i], true
			break
		}
	}
	if p.err != nil {
		p.err = fmt.Errorf("read the event log: %w", p.err)
		e.pagesMu.Lock()
		if e.pages[p.key] == p {
			delete(e.pages, p.key)
		}
		e.pagesMu.Unlock()
	}
}

// data parses, once, the page's event payloads and loads the chats of its
// events and the messages of its message events.
func (p *page) data(e *Engine) error {
	p.dataOnce.Do(func() {
		ctx := e.hard
		p.bodies = make([]eventBody, len(p.events))
		for i, ev := range p.events {
			var err error
			if p.bodies[i], err = parseEventBody(ev.Kind, ev.Payload); err != nil {
				e.log.WarnContext(ctx, "event with an unreadable payload", "event_id", ev.ID, "error", err)
			}
		}
		var chatIDs []string
		var msgIDs []int64
		for _, ev := range p.events {
			if ev.ChatWaID != nil && !slices.Contains(chatIDs, *ev.ChatWaID) {
				chatIDs = append(chatIDs, *ev.ChatWaID)
			}
			if ev.MessageID != nil && (ev.Kind == inbox.EventIncomingMessage || ev.Kind == inbox.EventOutgoingMessage) {
				msgIDs = append(msgIDs, *ev.MessageID)
			}
		}
		p.chats = make(map[string]*chatState, len(chatIDs))
		if len(chatIDs) > 0 {
			rows, err := e.q.FanoutChats(ctx, chatIDs)
			if err != nil {
				p.dataErr = fmt.Errorf("load chats: %w", err)
				return
			}
			for _, r := range rows {
				p.chats[r.WaID] = &chatState{user: r.AssignedUserID, group: r.AssignedGroupID}
			}
		}
		p.msgs, p.dataErr = e.messages(ctx, msgIDs, false)
	})
	return p.dataErr
}

// sharedMessage is a message as the list endpoint shows it, encoded once
// per value of the per-user `received` and shared by every deliverer.
type sharedMessage struct {
	msg  inbox.Message
	once [2]sync.Once
	enc  [2]json.RawMessage
	err  [2]error
}

// encoded returns the message's JSON for a user who has (or has not)
// received it.
func (m *sharedMessage) encoded(p Presenter, received bool) (json.RawMessage, error) {
	i := 0
	if received {
		i = 1
	}
	m.once[i].Do(func() {
		msg := m.msg
		msg.Received = received
		m.enc[i], m.err[i] = json.Marshal(p.Messages([]inbox.Message{msg})[0])
	})
	return m.enc[i], m.err[i]
}

// messageTTL bounds how long a message, as read and encoded once, serves
// every webhook that delivers it: its statuses and tags are at most this
// old. Deliverers that lag behind one another (a backlog, lingering)
// read different pages of the log but mostly the same messages.
const messageTTL = time.Second

type cachedMessage struct {
	m  *sharedMessage
	at time.Time
}

// messages returns messages by id, as the list endpoint shows them minus
// the per-user `received`, from the process-wide cache when they were read
// within messageTTL (and fresh is false), else from the database. Missing
// ids (pruned messages) are absent.
func (e *Engine) messages(ctx context.Context, ids []int64, fresh bool) (map[int64]*sharedMessage, error) {
	out := make(map[int64]*sharedMessage, len(ids))
	var missing []int64
	now := time.Now()
	e.msgMu.Lock()
	for _, id := range ids {
		if c, ok := e.msgCache[id]; ok && !fresh && now.Sub(c.at) < messageTTL {
			out[id] = c.m
		} else {
			missing = append(missing, id)
		}
	}
	e.msgMu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := e.q.FanoutMessages(ctx, missing)
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	e.msgMu.Lock()
	defer e.msgMu.Unlock()
	if now.Sub(e.msgSwept) > messageTTL {
		for id, c := range e.msgCache {
			if now.Sub(c.at) >= messageTTL {
				delete(e.msgCache, id)
			}
		}
		e.msgSwept = now
	}
	for _, r := range rows {
		m := &sharedMessage{msg: messageOf(r)}
		out[r.ID] = m
		e.msgCache[r.ID] = cachedMessage{m: m, at: now}
	}
	return out, nil
}

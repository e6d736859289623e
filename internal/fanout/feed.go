package fanout

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/webhooks"
)

// Feed gives a reader that keeps its position in memory, the websocket hub
// (internal/ws), what the deliverers do with the event log: it reads it
// below the horizon and builds, for a user, exactly the payloads that
// user's WABA Webhook would carry (the same code: the read permission
// applied with authz.Level.Covers to each chat's assignment as it is when
// the page is read, the same objects, the same batching). It keeps no
// lease, writes nothing and never marks a message received.
//
// A page is read once and serves every subscriber: Read, then Prepare with
// the users that will get payloads from it, then Payloads per user, which
// may run concurrently.
type Feed struct {
	e    *Engine
	stop context.CancelFunc
}

// NewFeed returns a Feed over cfg.Pool; Close releases it. Of cfg it uses
// Pool, Logger, Presenter, Chats, BatchSize (events per payload, default
// 100) and AssignedBacklog. Like the Engine it queries through a pool of
// its own made from cfg.Pool's configuration (see New).
func NewFeed(cfg Config) (*Feed, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	e.log = cfg.Logger.With("component", "feed")
	e.hard, e.hardCancel = context.WithCancel(context.Background())
	close(e.started)
	return &Feed{e: e, stop: e.hardCancel}, nil
}

// Close aborts the feed's queries in flight and closes its pool.
func (f *Feed) Close() {
	f.stop()
	f.e.pool.Close()
}

// Events selects the parts of a payload a subscriber wants, as the on_*
// settings of a WABA Webhook do.
type Events struct {
	IncomingMessages bool
	OutgoingMessages bool
	AssignedMessages bool
	ChatAssignment   bool
	Tagging          bool
}

// AllEvents selects every part of the payload.
func AllEvents() Events {
	return Events{IncomingMessages: true, OutgoingMessages: true, AssignedMessages: true, ChatAssignment: true, Tagging: true}
}

// Subscriber is a user who gets payloads from a Feed, with its read
// permission as it is now.
type Subscriber struct {
	UserID int64
	// Read is the user's effective can_read_chats (authz.Effective).
	Read authz.Level
	// Groups are the ids of the user's groups.
	Groups []int64
	Events Events
}

// FeedPage is a run of the event log after a position, below the horizon:
// it can no longer change.
type FeedPage struct {
	p          *page
	start, end webhooks.Position
	// marks are the received marks of the users given to Prepare, for the
	// chats in markChats.
	marks     map[markKey]time.Time
	marked    map[int64]bool
	markChats []string
}

// Read returns at most limit events after pos.
func (f *Feed) Read(ctx context.Context, pos webhooks.Position, limit int) (*FeedPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &page{key: pageKey{pos: pos, lim: int32(limit)}, started: time.Now(), done: make(chan struct{})}
	f.e.readPage(p)
	if p.err != nil {
		return nil, p.err
	}
	fp := &FeedPage{p: p, start: pos, end: pos}
	if n := len(p.events); n > 0 {
		last := p.events[n-1]
		end, err := webhooks.ParsePosition(last.XidText, last.ID)
		if err != nil {
			return nil, err
		}
		fp.end = end
	}
	return fp, nil
}

// Len is the number of events in the page.
func (pg *FeedPage) Len() int { return len(pg.p.events) }

// End is the position after the page: where the next read starts.
func (pg *FeedPage) End() webhooks.Position { return pg.end }

// Waiting reports that committed events follow the page above the
// horizon: they become readable when an older transaction ends, which may
// send no notification, so the reader should look again soon.
func (pg *FeedPage) Waiting() bool { return pg.p.above }

// Oldest is when the page's first event was written (zero for an empty
// page).
func (pg *FeedPage) Oldest() time.Time {
	if len(pg.p.events) == 0 {
		return time.Time{}
	}
	return pg.p.events[0].CreatedAt
}

// Prepare loads, once for every subscriber, what the page's payloads are
// built from: its events' chats (their assignments now) and messages, and
// the received marks of users for those chats, in one statement.
func (f *Feed) Prepare(ctx context.Context, pg *FeedPage, users []int64) error {
	if err := pg.p.data(f.e); err != nil {
		return err
	}
	pg.marks, pg.marked, pg.markChats = map[markKey]time.Time{}, map[int64]bool{}, nil
	for _, ev := range pg.p.events {
		if ev.ChatWaID != nil && !slices.Contains(pg.markChats, *ev.ChatWaID) {
			pg.markChats = append(pg.markChats, *ev.ChatWaID)
		}
	}
	if len(users) == 0 || len(pg.markChats) == 0 {
		return nil
	}
	rows, err := f.e.q.WsMarks(ctx, db.WsMarksParams{UserIds: users, WaIds: pg.markChats})
	if err != nil {
		return fmt.Errorf("load received marks: %w", err)
	}
	for _, r := range rows {
		pg.marks[markKey{r.UserID, r.ChatWaID}] = r.ReceivedUntil
	}
	for _, u := range users {
		pg.marked[u] = true
	}
	return nil
}

// Payloads returns the payloads sub gets from the page, in log order: the
// bodies its WABA Webhook would be POSTed, batched the same way (up to
// BatchSize events each; an assignment or tagging event alone). None when
// nothing in the page is for sub. Call Prepare first.
func (f *Feed) Payloads(ctx context.Context, pg *FeedPage, sub Subscriber) ([][]byte, error) {
	st := &state{
		FanoutLoadRow: db.FanoutLoadRow{
			UserID:             sub.UserID,
			OnIncomingMessages: sub.Events.IncomingMessages,
			OnOutgoingMessages: sub.Events.OutgoingMessages,
			OnAssignedMessages: sub.Events.AssignedMessages,
			OnChatAssignment:   sub.Events.ChatAssignment,
			OnTagging:          sub.Events.Tagging,
		},
		cursor: pg.start,
		viewer: viewer{userID: sub.UserID, read: sub.Read, groups: sub.Groups},
	}
	marks := func(ctx context.Context, userID int64, chats []string) (map[string]time.Time, error) {
		if !pg.marked[userID] || slices.ContainsFunc(chats, func(c string) bool { return !slices.Contains(pg.markChats, c) }) {
			return f.e.readMarks(ctx, userID, chats)
		}
		out := make(map[string]time.Time, len(chats))
		for _, c := range chats {
			if ts, ok := pg.marks[markKey{userID, c}]; ok {
				out[c] = ts
			}
		}
		return out, nil
	}
	var out [][]byte
	for from := 0; from < len(pg.p.events); {
		b, err := f.e.build(ctx, st, pg.p, from, nil, marks)
		if err != nil {
			return nil, err
		}
		if len(b.body) > 0 {
			out = append(out, b.body)
		}
		if b.next <= from {
			return nil, fmt.Errorf("feed: no progress at event %d of the page", from)
		}
		from, st.cursor = b.next, b.end
	}
	return out, nil
}

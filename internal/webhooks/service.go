package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/storage"
)

// Channel is the PostgreSQL notification channel on which a change of a
// webhook is announced to the deliverers of every replica. The payload is
// "<op>:<id>" with op one of the Op constants.
const Channel = "wamux_webhooks"

// The operations announced on Channel.
const (
	OpCreated  = "created"
	OpChanged  = "changed"
	OpDeleted  = "deleted"
	OpReplayed = "replayed"
)

// Events are the events a webhook subscribes to: the checkboxes of the
// reference's admin panel plus the assignment and tagging events.
type Events struct {
	IncomingMessages bool
	OutgoingMessages bool
	AssignedMessages bool
	ChatAssignment   bool
	Tagging          bool
}

// DefaultEvents are what a webhook created without a selection receives:
// what a bot driven by the rule engine needs (messages of the chats
// assigned to it, and the assignment and tagging events the reference
// sends to all receivers). A passive archiving bot turns on
// IncomingMessages and/or OutgoingMessages instead.
var DefaultEvents = Events{AssignedMessages: true, ChatAssignment: true, Tagging: true}

// Webhook is a user's webhook with its delivery health.
type Webhook struct {
	ID       int64
	UserID   int64
	Username string
	URL      string
	Events   Events
	// SigningSecret is set only in what Create returns: it is shown once.
	SigningSecret       string
	LastSuccessAt       *time.Time
	LastErrorAt         *time.Time
	LastError           *string
	ConsecutiveFailures int
	// EventsPending counts the log after the webhook's position, before
	// filtering, up to MaxPendingCount.
	EventsPending int64
}

// MaxPendingCount caps EventsPending, so that reading a webhook stays cheap
// however far behind its receiver is.
const MaxPendingCount = 10_000

// Input is what a create or an update carries; nil fields are absent
// (Create applies DefaultEvents, updates keep the current value).
type Input struct {
	URL              *string
	IncomingMessages *bool
	OutgoingMessages *bool
	AssignedMessages *bool
	ChatAssignment   *bool
	Tagging          *bool
}

func (in Input) apply(e Events) Events {
	pick := func(p *bool, cur bool) bool {
		if p != nil {
			return *p
		}
		return cur
	}
	return Events{
		IncomingMessages: pick(in.IncomingMessages, e.IncomingMessages),
		OutgoingMessages: pick(in.OutgoingMessages, e.OutgoingMessages),
		AssignedMessages: pick(in.AssignedMessages, e.AssignedMessages),
		ChatAssignment:   pick(in.ChatAssignment, e.ChatAssignment),
		Tagging:          pick(in.Tagging, e.Tagging),
	}
}

// Delivery is one POST attempt.
type Delivery struct {
	ID           int64
	AttemptedAt  time.Time
	StatusCode   *int32
	LatencyMS    int32
	Error        *string
	FirstEventID int64
	LastEventID  int64
	EventCount   int32
}

// ReplayResult says where a replay starts and how many events of the log it
// queued again (before filtering by subscription and permission).
type ReplayResult struct {
	From   time.Time
	Events int64
}

// Config is what the Service needs.
type Config struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// AllowPrivate lets webhook URLs point at private, loopback and
	// link-local addresses (WAMUX_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
}

// Service manages webhooks.
type Service struct {
	pool         *pgxpool.Pool
	q            *db.Queries
	logger       *slog.Logger
	allowPrivate bool
}

// New returns a Service over cfg.Pool.
func New(cfg Config) *Service {
	return &Service{pool: cfg.Pool, q: db.New(cfg.Pool), logger: cfg.Logger, allowPrivate: cfg.AllowPrivate}
}

var errNotFound = apperr.NotFound("No WABA webhook matches the given query.")

// NewSigningSecret returns a Standard Webhooks secret: "whsec_" and the
// base64 of 32 random bytes.
func NewSigningSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func notify(ctx context.Context, q *db.Queries, op string, id int64) error {
	if err := q.WebhookNotify(ctx, op+":"+strconv.FormatInt(id, 10)); err != nil {
		return fmt.Errorf("notify webhook change: %w", err)
	}
	return nil
}

// Create creates the caller's webhook; a user has at most one.
func (s *Service) Create(ctx context.Context, actor *auth.Principal, in Input) (Webhook, error) {
	if in.URL == nil {
		return Webhook{}, apperr.Field("url", "This field is required.")
	}
	if err := ValidateURL(*in.URL, s.allowPrivate); err != nil {
		return Webhook{}, err
	}
	ev := in.apply(DefaultEvents)
	secret := NewSigningSecret()
	var id int64
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		id, err = q.WebhookCreate(ctx, db.WebhookCreateParams{
			UserID: actor.User.ID, Url: *in.URL, OnIncomingMessages: ev.IncomingMessages, OnOutgoingMessages: ev.OutgoingMessages,
			OnAssignedMessages: ev.AssignedMessages, OnChatAssignment: ev.ChatAssignment, OnTagging: ev.Tagging, SigningSecret: secret,
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return apperr.Invalid("You can create only one WABA Webhook per user, and this user already has one: update or delete it instead.")
		}
		if err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		return notify(ctx, q, OpCreated, id)
	})
	if err != nil {
		return Webhook{}, err
	}
	w, err := s.load(ctx, id)
	if err != nil {
		return Webhook{}, err
	}
	w.SigningSecret = secret
	return w, nil
}

func fromRow(r db.WebhookGetRow) Webhook {
	return Webhook{
		ID: r.ID, UserID: r.UserID, Username: r.Username, URL: r.Url,
		Events: Events{
			IncomingMessages: r.OnIncomingMessages, OutgoingMessages: r.OnOutgoingMessages,
			AssignedMessages: r.OnAssignedMessages, ChatAssignment: r.OnChatAssignment, Tagging: r.OnTagging,
		},
		LastSuccessAt: r.LastSuccessAt, LastErrorAt: r.LastErrorAt, LastError: r.LastError,
		ConsecutiveFailures: int(r.ConsecutiveFailures), EventsPending: r.EventsPending,
	}
}

func (s *Service) load(ctx context.Context, id int64) (Webhook, error) {
	r, err := s.q.WebhookGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Webhook{}, errNotFound
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("get webhook %d: %w", id, err)
	}
	return fromRow(r), nil
}

// authorize answers NotFound unless actor is an admin or owns webhook id:
// others must not learn that it exists.
func (s *Service) authorize(ctx context.Context, q *db.Queries, actor *auth.Principal, id int64) error {
	owner, err := q.WebhookOwner(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("get webhook %d: %w", id, err)
	}
	if !actor.IsAdmin() && owner != actor.User.ID {
		return errNotFound
	}
	return nil
}

// Get returns one webhook to an admin or its owner.
func (s *Service) Get(ctx context.Context, actor *auth.Principal, id int64) (Webhook, error) {
	w, err := s.load(ctx, id)
	if err != nil {
		return Webhook{}, err
	}
	if !actor.IsAdmin() && w.UserID != actor.User.ID {
		return Webhook{}, errNotFound
	}
	return w, nil
}

// List returns every webhook to an admin, and the caller's own (zero or
// one) to anyone else.
func (s *Service) List(ctx context.Context, actor *auth.Principal, limit, offset int32) ([]Webhook, int64, error) {
	var user *int64
	if !actor.IsAdmin() {
		user = &actor.User.ID
	}
	count, err := s.q.WebhookCount(ctx, user)
	if err != nil {
		return nil, 0, fmt.Errorf("count webhooks: %w", err)
	}
	rows, err := s.q.WebhookList(ctx, db.WebhookListParams{UserID: user, Lim: limit, Off: offset})
	if err != nil {
		return nil, 0, fmt.Errorf("list webhooks: %w", err)
	}
	out := make([]Webhook, len(rows))
	for i, r := range rows {
		out[i] = fromRow(db.WebhookGetRow(r))
	}
	return out, count, nil
}

// Update changes the fields in carries; absent ones keep their value. The
// deliverer picks the change up before its next attempt, which is made at
// once even during a backoff.
func (s *Service) Update(ctx context.Context, actor *auth.Principal, id int64, in Input) (Webhook, error) {
	if in.URL != nil {
		if err := ValidateURL(*in.URL, s.allowPrivate); err != nil {
			return Webhook{}, err
		}
	}
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		if err := s.authorize(ctx, q, actor, id); err != nil {
			return err
		}
		cur, err := q.WebhookGet(ctx, id)
		if err != nil {
			return fmt.Errorf("get webhook %d: %w", id, err)
		}
		w := fromRow(cur)
		url := w.URL
		if in.URL != nil {
			url = *in.URL
		}
		ev := in.apply(w.Events)
		if _, err := q.WebhookUpdate(ctx, db.WebhookUpdateParams{
			ID: id, Url: url, OnIncomingMessages: ev.IncomingMessages, OnOutgoingMessages: ev.OutgoingMessages,
			OnAssignedMessages: ev.AssignedMessages, OnChatAssignment: ev.ChatAssignment, OnTagging: ev.Tagging,
		}); err != nil {
			return fmt.Errorf("update webhook %d: %w", id, err)
		}
		return notify(ctx, q, OpChanged, id)
	})
	if err != nil {
		return Webhook{}, err
	}
	return s.load(ctx, id)
}

// Delete deletes a webhook and its delivery log. Its deliverer, on
// whichever replica, stops at once, aborting a POST in flight.
func (s *Service) Delete(ctx context.Context, actor *auth.Principal, id int64) error {
	return storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		if err := s.authorize(ctx, q, actor, id); err != nil {
			return err
		}
		if _, err := q.WebhookDelete(ctx, id); err != nil {
			return fmt.Errorf("delete webhook %d: %w", id, err)
		}
		return notify(ctx, q, OpDeleted, id)
	})
}

// Deliveries returns a webhook's recent delivery attempts, newest first.
func (s *Service) Deliveries(ctx context.Context, actor *auth.Principal, id int64, limit, offset int32) ([]Delivery, int64, error) {
	if err := s.authorize(ctx, s.q, actor, id); err != nil {
		return nil, 0, err
	}
	count, err := s.q.WebhookDeliveryCount(ctx, id)
	if err != nil {
		return nil, 0, fmt.Errorf("count deliveries: %w", err)
	}
	rows, err := s.q.WebhookDeliveryList(ctx, db.WebhookDeliveryListParams{WebhookID: id, Lim: limit, Off: offset})
	if err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = Delivery{
			ID: r.ID, AttemptedAt: r.AttemptedAt, StatusCode: r.StatusCode, LatencyMS: r.LatencyMs, Error: r.Error,
			FirstEventID: deref(r.FirstEventID), LastEventID: deref(r.LastEventID), EventCount: r.EventCount,
		}
	}
	return out, count, nil
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// Position is a place in the event log: events are ordered by the writing
// transaction's id, then by their own id.
type Position struct {
	Xid uint64
	ID  int64
}

// ParsePosition reads a position from an xid8 in text form and an id.
func ParsePosition(xid string, id int64) (Position, error) {
	x, err := strconv.ParseUint(xid, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("parse xid8 %q: %w", xid, err)
	}
	return Position{Xid: x, ID: id}, nil
}

// XidText is the xid in the text form xid8 accepts.
func (p Position) XidText() string { return strconv.FormatUint(p.Xid, 10) }

// Less reports whether p comes before o in the log.
func (p Position) Less(o Position) bool {
	return p.Xid < o.Xid || (p.Xid == o.Xid && p.ID < o.ID)
}

// Replay moves the webhook's position back to the first event written at
// or after since, so that everything the user may see from then on is
// delivered again, in order (receivers drop duplicates by webhook-id). A
// position already further back stays where it is: a replay never skips
// anything still pending.
func (s *Service) Replay(ctx context.Context, actor *auth.Principal, id int64, since time.Time) (ReplayResult, error) {
	res := ReplayResult{From: since}
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		if err := s.authorize(ctx, q, actor, id); err != nil {
			return err
		}
		cur, err := q.WebhookCursorForUpdate(ctx, id)
		if err != nil {
			return fmt.Errorf("lock webhook %d: %w", id, err)
		}
		first, err := q.EventFirst(ctx)
		if errors.Is(err, pgx.ErrNoRows) {
			return notify(ctx, q, OpReplayed, id) // an empty log: nothing to replay
		}
		if err != nil {
			return fmt.Errorf("first event: %w", err)
		}
		if first.CreatedAt.After(since) {
			// The whole log: it starts after since.
			res.From = first.CreatedAt.Truncate(time.Second)
		} else {
			after, err := q.EventFirstSince(ctx, since)
			if errors.Is(err, pgx.ErrNoRows) {
				return notify(ctx, q, OpReplayed, id)
			}
			if err != nil {
				return fmt.Errorf("first event since %s: %w", since, err)
			}
			first = db.EventFirstRow(after)
		}
		// Just before the first event: (xid, id-1) precedes it, and no other
		// event of its transaction precedes it (they share created_at).
		start, err := ParsePosition(first.XidText, first.ID-1)
		if err != nil {
			return err
		}
		old, err := ParsePosition(cur.CursorXidText, cur.CursorID)
		if err != nil {
			return err
		}
		if start.Less(old) {
			if res.Events, err = q.EventCountBetween(ctx, db.EventCountBetweenParams{
				AXid: start.XidText(), AID: start.ID, BXid: old.XidText(), BID: old.ID,
			}); err != nil {
				return fmt.Errorf("count replayed events: %w", err)
			}
			if err := q.WebhookRewind(ctx, db.WebhookRewindParams{ID: id, CursorXid: start.XidText(), CursorID: start.ID}); err != nil {
				return fmt.Errorf("rewind webhook %d: %w", id, err)
			}
		}
		return notify(ctx, q, OpReplayed, id)
	})
	return res, err
}

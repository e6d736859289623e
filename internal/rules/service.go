package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/ownership"
	"github.com/wamux/wamux/internal/storage"
	"github.com/wamux/wamux/internal/webhooks"
)

// Group assignment methods (openapi.yaml, GroupAssignMethod).
const (
	RoundRobin     = "round_robin"
	LetGroupDecide = "let_group_decide"
)

// Engine modes (openapi.yaml, RuleEngineMode).
const (
	ModeDefault = "default"
	ModeCustom  = "custom"
)

// Presenter renders messages exactly as the list-messages endpoint shows
// them, for the custom engine's payload (internal/httpapi's Presenter).
type Presenter interface {
	Messages(msgs []inbox.Message) []api.Message
}

// Assigner changes a chat's assignment (ownership.Service).
type Assigner interface {
	Assign(ctx context.Context, actor *inbox.Viewer, waID string, change ownership.AssignmentChange, reason json.RawMessage) (ownership.Assignment, error)
}

// Config is what a Service needs.
type Config struct {
	Pool      *pgxpool.Pool
	Logger    *slog.Logger
	Assigner  Assigner
	Presenter Presenter
	// AllowPrivate lets the custom engine live at private, loopback and
	// link-local addresses (WAMUX_WEBHOOK_ALLOW_PRIVATE, as for webhooks).
	AllowPrivate bool
}

// Service manages the rules and the engine's configuration, answers dry
// runs, and holds what the Engine shares with the API (metrics).
type Service struct {
	cfg     Config
	pool    *pgxpool.Pool
	q       *db.Queries
	log     *slog.Logger
	metrics *metrics
}

// New returns a Service.
func New(cfg Config) *Service {
	return &Service{cfg: cfg, pool: cfg.Pool, q: db.New(cfg.Pool), log: cfg.Logger.With("component", "rules"), metrics: newMetrics()}
}

// Collectors are the engine's Prometheus metrics, to register where
// /metrics is served.
func (s *Service) Collectors() []prometheus.Collector { return s.metrics.collectors() }

// Rule is a rule of the default engine.
type Rule struct {
	ID                int64
	Position          int
	TaggedWith        *int64
	AssignToUser      *int64
	AssignToGroup     *int64
	GroupAssignMethod *string
	Description       string
}

func ruleOf(r db.Rule) Rule {
	return Rule{ID: r.ID, Position: int(r.Position), TaggedWith: r.TaggedWith, AssignToUser: r.AssignToUser,
		AssignToGroup: r.AssignToGroup, GroupAssignMethod: r.GroupAssignMethod, Description: r.Description}
}

// Optional is a field of a partial update: Set says whether the request
// carried it; Value (nil: null) what it carried.
type Optional[T any] struct {
	Set   bool
	Value *T
}

// RuleChanges is what a create, a full or a partial update carries. For a
// create or a full update every absent field counts as null (or its
// default).
type RuleChanges struct {
	Position          Optional[int]
	TaggedWith        Optional[int64]
	AssignToUser      Optional[int64]
	AssignToGroup     Optional[int64]
	GroupAssignMethod Optional[string]
	Description       Optional[string]
}

func (c RuleChanges) apply(r Rule) Rule {
	if c.Position.Set {
		r.Position = 0
		if c.Position.Value != nil {
			r.Position = *c.Position.Value
		}
	}
	if c.TaggedWith.Set {
		r.TaggedWith = c.TaggedWith.Value
	}
	if c.AssignToUser.Set {
		r.AssignToUser = c.AssignToUser.Value
	}
	if c.AssignToGroup.Set {
		r.AssignToGroup = c.AssignToGroup.Value
	}
	if c.GroupAssignMethod.Set {
		r.GroupAssignMethod = c.GroupAssignMethod.Value
	}
	if c.Description.Set {
		r.Description = ""
		if c.Description.Value != nil {
			r.Description = *c.Description.Value
		}
	}
	return r
}

const maxDescription = 1000

func validateRule(r Rule) error {
	switch {
	case r.AssignToUser != nil && r.AssignToGroup != nil:
		return apperr.Field("non_field_errors", "Set either assign_to_user or assign_to_group, not both.")
	case r.AssignToUser == nil && r.AssignToGroup == nil:
		return apperr.Field("non_field_errors", "One of assign_to_user and assign_to_group is required.")
	case r.AssignToGroup != nil && r.GroupAssignMethod == nil:
		return apperr.Field("group_assign_method", "This field is required with assign_to_group.")
	case r.AssignToGroup == nil && r.GroupAssignMethod != nil:
		return apperr.Field("group_assign_method", "This field applies only with assign_to_group.")
	case utf8.RuneCountInString(r.Description) > maxDescription:
		return apperr.Field("description", "Ensure this field has no more than 1000 characters.")
	}
	return nil
}

var errNoRule = apperr.NotFound("No rule matches the given query.")

// ruleWriteError turns a foreign-key violation into the field it concerns.
func ruleWriteError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23503" {
		switch {
		case strings.Contains(pg.ConstraintName, "tagged_with"):
			return apperr.Field("tagged_with", "No tag with this id.")
		case strings.Contains(pg.ConstraintName, "assign_to_user"):
			return apperr.Field("assign_to_user", "No user with this id.")
		case strings.Contains(pg.ConstraintName, "assign_to_group"):
			return apperr.Field("assign_to_group", "No group with this id.")
		}
		return apperr.Invalid("A tag, user or group of this rule does not exist.")
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRule
	}
	return fmt.Errorf("write rule: %w", err)
}

// ListRules returns a page of the rules in the order they are tried, and
// their count.
func (s *Service) ListRules(ctx context.Context, p inbox.Page) ([]Rule, int64, error) {
	count, err := s.q.RuleCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count rules: %w", err)
	}
	rows, err := s.q.RuleList(ctx, db.RuleListParams{Lim: p.Limit, Off: p.Offset})
	if err != nil {
		return nil, 0, fmt.Errorf("list rules: %w", err)
	}
	out := make([]Rule, len(rows))
	for i, r := range rows {
		out[i] = ruleOf(r)
	}
	return out, count, nil
}

// GetRule returns one rule.
func (s *Service) GetRule(ctx context.Context, id int64) (Rule, error) {
	r, err := s.q.RuleGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Rule{}, errNoRule
	}
	if err != nil {
		return Rule{}, fmt.Errorf("get rule: %w", err)
	}
	return ruleOf(r), nil
}

// CreateRule creates a rule from c (absent fields: null or default).
func (s *Service) CreateRule(ctx context.Context, c RuleChanges) (Rule, error) {
	r := c.apply(Rule{})
	if err := validateRule(r); err != nil {
		return Rule{}, err
	}
	row, err := s.q.RuleCreate(ctx, db.RuleCreateParams{
		Position: int32(r.Position), TaggedWith: r.TaggedWith, AssignToUser: r.AssignToUser, AssignToGroup: r.AssignToGroup,
		GroupAssignMethod: r.GroupAssignMethod, Description: r.Description,
	})
	if err != nil {
		return Rule{}, ruleWriteError(err)
	}
	return ruleOf(row), nil
}

// UpdateRule changes rule id: partial changes only the fields c carries;
// otherwise every field is replaced (absent: null or default).
func (s *Service) UpdateRule(ctx context.Context, id int64, c RuleChanges, partial bool) (Rule, error) {
	var out Rule
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		cur, err := q.RuleGetForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoRule
		}
		if err != nil {
			return fmt.Errorf("get rule: %w", err)
		}
		r := ruleOf(cur)
		if !partial {
			r = Rule{ID: r.ID}
			c.Position.Set, c.TaggedWith.Set, c.AssignToUser.Set, c.AssignToGroup.Set = true, true, true, true
			c.GroupAssignMethod.Set, c.Description.Set = true, true
		}
		r = c.apply(r)
		if err := validateRule(r); err != nil {
			return err
		}
		row, err := q.RuleUpdate(ctx, db.RuleUpdateParams{
			ID: id, Position: int32(r.Position), TaggedWith: r.TaggedWith, AssignToUser: r.AssignToUser, AssignToGroup: r.AssignToGroup,
			GroupAssignMethod: r.GroupAssignMethod, Description: r.Description,
		})
		if err != nil {
			return ruleWriteError(err)
		}
		out = ruleOf(row)
		return nil
	})
	return out, err
}

// DeleteRule deletes a rule.
func (s *Service) DeleteRule(ctx context.Context, id int64) error {
	n, err := s.q.RuleDelete(ctx, id)
	if err != nil {
		return fmt.Errorf("delete rule: %w", err)
	}
	if n == 0 {
		return errNoRule
	}
	return nil
}

// Settings is the engine's configuration as the API shows it.
type Settings struct {
	Mode string
	URL  *string
	// Headers are masked on reads (see Mask).
	Headers     map[string]string
	Timeout     time.Duration
	LastError   *string
	LastErrorAt *time.Time
}

// SettingsInput is what a PUT of the configuration carries; nil fields take
// their defaults (no headers, 5 s).
type SettingsInput struct {
	Mode    string
	URL     *string
	Headers map[string]string
	Timeout *float64
}

// Mask shows the start of a header value only: the values are write-only.
func Mask(v string) string {
	r := []rune(v)
	return string(r[:min(3, len(r))]) + "…(redacted)"
}

func masked(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = Mask(v)
	}
	return out
}

func decodeHeaders(raw json.RawMessage) map[string]string {
	h := map[string]string{}
	_ = json.Unmarshal(raw, &h) // a CHECK keeps it an object; values are strings we wrote
	return h
}

// GetEngine returns the configuration with header values masked.
func (s *Service) GetSettings(ctx context.Context) (Settings, error) {
	r, err := s.q.RuleEngineGet(ctx)
	if err != nil {
		return Settings{}, fmt.Errorf("read the rule engine configuration: %w", err)
	}
	return Settings{Mode: r.Mode, URL: r.Url, Headers: masked(decodeHeaders(r.Headers)),
		Timeout: time.Duration(r.TimeoutMs) * time.Millisecond, LastError: r.LastError, LastErrorAt: r.LastErrorAt}, nil
}

// reservedHeaders are set by wamux itself on every call.
var reservedHeaders = map[string]bool{"host": true, "content-type": true, "content-length": true, "transfer-encoding": true, "connection": true}

func validHeaderName(n string) bool {
	if n == "" || len(n) > 256 {
		return false
	}
	for _, c := range n {
		if c > 0x7e || c <= 0x20 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// ConfigureEngine replaces the configuration. A header value sent back
// masked, exactly as a read showed it, keeps the stored value.
func (s *Service) Configure(ctx context.Context, in SettingsInput) (Settings, error) {
	if in.Mode != ModeDefault && in.Mode != ModeCustom {
		return Settings{}, apperr.Field("mode", `Must be "default" or "custom".`)
	}
	if in.URL != nil && *in.URL == "" {
		in.URL = nil
	}
	if in.Mode == ModeCustom && in.URL == nil {
		return Settings{}, apperr.Field("url", "This field is required in custom mode.")
	}
	if in.URL != nil {
		if err := webhooks.ValidateURL(*in.URL, s.cfg.AllowPrivate); err != nil {
			return Settings{}, err
		}
	}
	timeoutMS := int32(5000)
	if in.Timeout != nil {
		if *in.Timeout < 0.1 || *in.Timeout > 60 {
			return Settings{}, apperr.Field("timeout", "Must be between 0.1 and 60 seconds.")
		}
		timeoutMS = int32(*in.Timeout*1000 + 0.5)
	}
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		cur, err := q.RuleEngineGet(ctx)
		if err != nil {
			return fmt.Errorf("read the rule engine configuration: %w", err)
		}
		old := decodeHeaders(cur.Headers)
		headers := map[string]string{}
		for k, v := range in.Headers {
			if !validHeaderName(k) || reservedHeaders[strings.ToLower(k)] {
				return apperr.Field("headers", fmt.Sprintf("%q cannot be used as a header name.", k))
			}
			if strings.ContainsAny(v, "\r\n\x00") {
				return apperr.Field("headers", fmt.Sprintf("The value of %q contains a line break.", k))
			}
			if ov, ok := old[k]; ok && v == Mask(ov) {
				v = ov
			}
			headers[k] = v
		}
		raw, err := json.Marshal(headers)
		if err != nil {
			return err
		}
		return q.RuleEngineConfigure(ctx, db.RuleEngineConfigureParams{Mode: in.Mode, Url: in.URL, Headers: raw, TimeoutMs: timeoutMS})
	})
	if err != nil {
		return Settings{}, err
	}
	s.log.InfoContext(ctx, "rule engine configured", "mode", in.Mode)
	return s.GetSettings(ctx)
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

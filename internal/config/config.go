package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is everything wamux reads from its environment. The README's
// configuration table documents each variable; keep the two in step.
type Config struct {
	// DatabaseURL is the PostgreSQL connection URL (DATABASE_URL).
	DatabaseURL string
	// Addr is the HTTP listen address (WAMUX_ADDR).
	Addr string
	// BaseURL is the public base URL used in absolute links such as `url`,
	// `next` and `activation_url` (WAMUX_BASE_URL), without a trailing slash.
	BaseURL string
	// Env is "development" or "production" (WAMUX_ENV). Development logs
	// text instead of JSON.
	Env string
	// LogLevel is the slog level name (WAMUX_LOG_LEVEL).
	LogLevel string
	// MigrateOnStart makes `serve` apply pending migrations before listening
	// (WAMUX_MIGRATE_ON_START, default true).
	MigrateOnStart bool
	// MaxBodyBytes bounds every request body (WAMUX_MAX_BODY_BYTES).
	MaxBodyBytes int64
	// MaxMediaBytes bounds a media upload's body (WAMUX_MAX_MEDIA_BYTES):
	// WhatsApp's largest media (100 MB documents) in base64.
	MaxMediaBytes int64
	// ShutdownTimeout bounds the graceful drain on SIGTERM
	// (WAMUX_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// SessionTTL is how long a login session lives (WAMUX_SESSION_TTL).
	SessionTTL time.Duration
	// ProviderKeyURL is where a D360-Api-Key header is verified
	// (WAMUX_PROVIDER_KEY_URL). Empty disables provider authentication.
	ProviderKeyURL string
	// ProviderKeyCacheTTL is how long a verification result, valid or not,
	// is remembered (WAMUX_PROVIDER_KEY_CACHE_TTL).
	ProviderKeyCacheTTL time.Duration
	// LoginBurst is how many failed logins a username or a client address
	// may make within LoginWindow before further attempts answer 429
	// (WAMUX_LOGIN_BURST, WAMUX_LOGIN_WINDOW).
	LoginBurst  int
	LoginWindow time.Duration
	// Provider is the WhatsApp provider: sandbox, cloud or 360dialog
	// (WAMUX_PROVIDER).
	Provider string
	// ProviderURL overrides the provider's base URL (WAMUX_PROVIDER_URL).
	ProviderURL string
	// ProviderToken is the Cloud API bearer token or the 360dialog API key
	// (WAMUX_PROVIDER_TOKEN).
	ProviderToken string
	// PhoneNumberID is the Cloud API phone number id (WAMUX_PHONE_NUMBER_ID).
	PhoneNumberID string
	// WABAID is the WhatsApp Business Account id (WAMUX_WABA_ID), which owns
	// the message templates: the Cloud API's template operations need it.
	WABAID string
	// ContactProviders are the Contact Providers GET /api/v1/contacts/
	// asks, by name (WAMUX_CONTACT_PROVIDERS, comma-separated; "persons",
	// wamux's own persons, is the only built-in one and the default; "none"
	// connects none).
	ContactProviders []string
	// Plugins maps each installed plugin type to the URL of its public data
	// (WAMUX_PLUGINS: "type=url,type2=url2"; a type without "=url" is
	// installed without public data).
	Plugins map[string]string
	// AppSecret checks X-Hub-Signature-256 on inbound webhooks when set
	// (WAMUX_APP_SECRET).
	AppSecret string
	// VerifyToken answers the Cloud API GET handshake (WAMUX_VERIFY_TOKEN).
	VerifyToken string
	// InboundToken is a shared secret the inbound webhook must carry as a
	// `token` query parameter or an X-Wamux-Token header
	// (WAMUX_INBOUND_TOKEN).
	InboundToken string
	// MessageCap is how many messages are kept; the oldest beyond it are
	// pruned in the background, never a chat's newest (WAMUX_MESSAGE_CAP;
	// 0 keeps everything).
	MessageCap int64
	// WebhookAllowPrivate lets per-user webhooks and the custom rule engine
	// reach private, loopback and link-local addresses
	// (WAMUX_WEBHOOK_ALLOW_PRIVATE; default: only in development).
	WebhookAllowPrivate bool
	// MediaDir is where media files are stored (WAMUX_MEDIA_DIR).
	MediaDir string
	// Committers is how many inbound writers (group commits) share the
	// chats, each executing one batch at a time (WAMUX_COMMITTERS). One is
	// the default: the inbound statements all append to the same last pages
	// (messages, events and their right-most index pages), so two writers
	// wait on each other there, and each gets half the batch; on two cores
	// one writer took a fifth less CPU per message and acknowledged more
	// (docs/performance.md).
	Committers int
	// WebhookLeaseTTL is how long a replica holds a webhook's delivery
	// without renewing it: how soon another replica takes over when one
	// dies (WAMUX_WEBHOOK_LEASE_TTL).
	WebhookLeaseTTL time.Duration
	// TrustProxy makes the client address come from X-Forwarded-For
	// (WAMUX_TRUST_PROXY); only set it behind a proxy you control.
	TrustProxy bool
	// WebsocketQueueSize is how many frames may wait for one websocket
	// client; a client that lets more pile up is disconnected
	// (WAMUX_WS_QUEUE_SIZE).
	WebsocketQueueSize int
	// WebsocketPingInterval is how often websocket clients are pinged; one
	// that does not answer within the interval is disconnected
	// (WAMUX_WS_PING_INTERVAL).
	WebsocketPingInterval time.Duration
}

// Development reports whether wamux runs in development mode.
func (c Config) Development() bool { return c.Env == "development" }

// FromEnv reads the configuration from the process environment.
func FromEnv() (Config, error) { return Parse(os.Getenv) }

// Parse reads the configuration through getenv, applies defaults and
// validates the result. Every problem is reported at once.
func Parse(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		DatabaseURL:         p.str("DATABASE_URL", ""),
		Addr:                p.str("WAMUX_ADDR", ":8080"),
		BaseURL:             strings.TrimRight(p.str("WAMUX_BASE_URL", "http://localhost:8080"), "/"),
		Env:                 p.str("WAMUX_ENV", "production"),
		LogLevel:            p.str("WAMUX_LOG_LEVEL", "info"),
		MigrateOnStart:      p.boolean("WAMUX_MIGRATE_ON_START", true),
		MaxBodyBytes:        int64(p.integer("WAMUX_MAX_BODY_BYTES", 20<<20)),
		MaxMediaBytes:       int64(p.integer("WAMUX_MAX_MEDIA_BYTES", 140<<20)),
		ShutdownTimeout:     p.duration("WAMUX_SHUTDOWN_TIMEOUT", 20*time.Second),
		SessionTTL:          p.duration("WAMUX_SESSION_TTL", 14*24*time.Hour),
		ProviderKeyURL:      p.str("WAMUX_PROVIDER_KEY_URL", ""),
		ProviderKeyCacheTTL: p.duration("WAMUX_PROVIDER_KEY_CACHE_TTL", time.Minute),
		LoginBurst:          p.integer("WAMUX_LOGIN_BURST", 10),
		LoginWindow:         p.duration("WAMUX_LOGIN_WINDOW", 5*time.Minute),
		TrustProxy:          p.boolean("WAMUX_TRUST_PROXY", false),
		MediaDir:            p.str("WAMUX_MEDIA_DIR", "var/media"),
		MessageCap:          int64(p.integer("WAMUX_MESSAGE_CAP", 1_000_000)),
		Committers:          p.integer("WAMUX_COMMITTERS", 1),
		WebhookLeaseTTL:     p.duration("WAMUX_WEBHOOK_LEASE_TTL", 30*time.Second),
		Provider:            p.str("WAMUX_PROVIDER", "sandbox"),
		ProviderURL:         p.str("WAMUX_PROVIDER_URL", ""),
		ProviderToken:       p.str("WAMUX_PROVIDER_TOKEN", ""),
		PhoneNumberID:       p.str("WAMUX_PHONE_NUMBER_ID", ""),
		WABAID:              p.str("WAMUX_WABA_ID", ""),
		ContactProviders:    p.list("WAMUX_CONTACT_PROVIDERS", "persons"),
		Plugins:             p.plugins("WAMUX_PLUGINS"),
		AppSecret:           p.str("WAMUX_APP_SECRET", ""),
		VerifyToken:         p.str("WAMUX_VERIFY_TOKEN", ""),
		InboundToken:        p.str("WAMUX_INBOUND_TOKEN", ""),
	}
	c.WebhookAllowPrivate = p.boolean("WAMUX_WEBHOOK_ALLOW_PRIVATE", c.Env == "development")
	c.WebsocketQueueSize = p.integer("WAMUX_WS_QUEUE_SIZE", 256)
	c.WebsocketPingInterval = p.duration("WAMUX_WS_PING_INTERVAL", 30*time.Second)
	switch c.Provider {
	case "sandbox", "cloud", "360dialog":
	default:
		p.fail("WAMUX_PROVIDER", "must be sandbox, cloud or 360dialog")
	}
	for _, name := range c.ContactProviders {
		if name != "persons" {
			p.fail("WAMUX_CONTACT_PROVIDERS", fmt.Sprintf("names an unknown contact provider %q (known: persons, or none)", name))
		}
	}
	if c.Env != "development" && c.Env != "production" {
		p.fail("WAMUX_ENV", "must be development or production")
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.fail("WAMUX_BASE_URL", "must be an absolute http(s) URL")
	}
	if c.ProviderKeyURL != "" {
		if u, err := url.Parse(c.ProviderKeyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			p.fail("WAMUX_PROVIDER_KEY_URL", "must be an absolute http(s) URL")
		}
	}
	if c.MaxBodyBytes < 1024 {
		p.fail("WAMUX_MAX_BODY_BYTES", "must be at least 1024")
	}
	if c.MessageCap < 0 {
		p.fail("WAMUX_MESSAGE_CAP", "must be 0 (no cap) or more")
	}
	if c.Committers < 1 || c.Committers > 64 {
		p.fail("WAMUX_COMMITTERS", "must be between 1 and 64")
	}
	if c.WebhookLeaseTTL < 3*time.Second {
		// Leases are renewed every third of it; shorter ones would be lost
		// to a slow database round trip.
		p.fail("WAMUX_WEBHOOK_LEASE_TTL", "must be at least 3s")
	}
	if c.WebsocketQueueSize < 1 || c.WebsocketQueueSize > 65536 {
		p.fail("WAMUX_WS_QUEUE_SIZE", "must be between 1 and 65536")
	}
	if c.WebsocketPingInterval < time.Second {
		p.fail("WAMUX_WS_PING_INTERVAL", "must be at least 1s")
	}
	if c.LoginBurst < 1 {
		p.fail("WAMUX_LOGIN_BURST", "must be at least 1")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.fail("WAMUX_LOG_LEVEL", "must be debug, info, warn or error")
	}
	return c, errors.Join(p.errs...)
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, msg string) {
	p.errs = append(p.errs, fmt.Errorf("%s %s", name, msg))
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

// list reads a comma-separated list; "none" is the empty list.
func (p *parser) list(name, def string) []string {
	out := []string{}
	raw := p.str(name, def)
	if raw == "none" {
		return out
	}
	for _, item := range strings.Split(raw, ",") {
		if item = strings.TrimSpace(item); item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// plugins reads "type=url,type2" pairs: the public-data URL of each
// installed plugin type, "" for a type without public data.
func (p *parser) plugins(name string) map[string]string {
	out := map[string]string{}
	for _, item := range p.list(name, "none") {
		typ, target, _ := strings.Cut(item, "=")
		typ, target = strings.TrimSpace(typ), strings.TrimSpace(target)
		if typ == "" || strings.ContainsAny(typ, "/?#") {
			p.fail(name, fmt.Sprintf("has an entry %q without a plugin type", item))
			continue
		}
		if _, dup := out[typ]; dup {
			p.fail(name, fmt.Sprintf("names plugin %q twice", typ))
			continue
		}
		if target != "" {
			if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				p.fail(name, fmt.Sprintf("gives plugin %q a URL that is not an absolute http(s) URL", typ))
				continue
			}
		}
		out[typ] = target
	}
	return out
}

func (p *parser) integer(name string, def int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(name, "must be an integer")
		return def
	}
	return n
}

func (p *parser) boolean(name string, def bool) bool {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "must be true or false")
		return def
	}
	return b
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, "must be a positive duration such as 30s or 5m")
		return def
	}
	return d
}

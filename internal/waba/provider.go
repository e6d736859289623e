package waba

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Config selects and configures a provider for New. The comments name the
// environment variables wamux reads each setting from; validation errors
// name them too.
type Config struct {
	// Name is "sandbox" (the default), "cloud" or "360dialog"
	// (WAMUX_PROVIDER).
	Name string
	// URL overrides the provider's base URL (WAMUX_PROVIDER_URL); for the
	// Cloud API it includes the version, e.g. https://graph.facebook.com/v21.0.
	URL string
	// Token is the Cloud API access token or the 360dialog API key
	// (WAMUX_PROVIDER_TOKEN).
	Token string
	// PhoneNumberID is the Cloud API's id of the business number
	// (WAMUX_PHONE_NUMBER_ID); 360dialog does not need it, the sandbox
	// uses it in its envelopes.
	PhoneNumberID string
	// WABAID is the WhatsApp Business Account id (WAMUX_WABA_ID), which
	// the Cloud API's template operations need; the sandbox uses it in its
	// envelopes.
	WABAID string
	// Deliver is the sandbox's route into wamux's inbound path.
	Deliver func(ctx context.Context, body []byte) error
	// Logger is the sandbox's logger.
	Logger *slog.Logger
	// HTTPClient, Timeout and MediaTimeout are passed to the HTTP
	// providers (see CloudConfig).
	HTTPClient   *http.Client
	Timeout      time.Duration
	MediaTimeout time.Duration
	// SandboxDelay is the sandbox's wait before each status.
	SandboxDelay time.Duration
}

// New returns the provider cfg names, after validating its settings. All
// problems are reported at once. The sandbox is returned as a *Sandbox, so
// callers can assert it to reach InboundText and Close. Every provider New
// returns is also an Account.
func New(cfg Config) (Provider, error) {
	name := strings.TrimSpace(cfg.Name)
	var errs []error
	fail := func(env, msg string) { errs = append(errs, fmt.Errorf("%s %s", env, msg)) }
	if cfg.URL != "" {
		if _, err := parseBaseURL(cfg.URL); err != nil {
			fail("WAMUX_PROVIDER_URL", "must be an absolute http(s) URL")
		}
	}
	switch name {
	case "", "sandbox":
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return NewSandbox(SandboxConfig{
			Deliver:  cfg.Deliver,
			Delay:    cfg.SandboxDelay,
			Logger:   cfg.Logger,
			Business: Business{PhoneNumberID: cfg.PhoneNumberID, WABAID: cfg.WABAID},
		}), nil
	case "cloud":
		if cfg.Token == "" {
			fail("WAMUX_PROVIDER_TOKEN", "must be set to the Cloud API access token")
		}
		if cfg.PhoneNumberID == "" {
			fail("WAMUX_PHONE_NUMBER_ID", "must be set to the Cloud API phone number id")
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return NewCloud(CloudConfig{
			BaseURL:       cfg.URL,
			PhoneNumberID: cfg.PhoneNumberID,
			WABAID:        cfg.WABAID,
			Token:         cfg.Token,
			HTTPClient:    cfg.HTTPClient,
			Timeout:       cfg.Timeout,
			MediaTimeout:  cfg.MediaTimeout,
		}), nil
	case "360dialog":
		if cfg.Token == "" {
			fail("WAMUX_PROVIDER_TOKEN", "must be set to the 360dialog API key")
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return NewD360(D360Config{
			BaseURL:      cfg.URL,
			APIKey:       cfg.Token,
			HTTPClient:   cfg.HTTPClient,
			Timeout:      cfg.Timeout,
			MediaTimeout: cfg.MediaTimeout,
		}), nil
	default:
		fail("WAMUX_PROVIDER", "must be sandbox, cloud or 360dialog")
		return nil, errors.Join(errs...)
	}
}

// The HTTP providers and the sandbox manage the account too.
var (
	_ Account = cloud{}
	_ Account = d360{}
	_ Account = (*Sandbox)(nil)
)

package waba

import (
	"net/http"
	"time"
)

// DefaultD360BaseURL is 360dialog's Cloud API endpoint.
const DefaultD360BaseURL = "https://waba-v2.360dialog.io"

// D360Config configures the 360dialog provider.
type D360Config struct {
	// BaseURL is 360dialog's API base URL; empty means DefaultD360BaseURL.
	BaseURL string
	// APIKey is the channel's API key, sent as the D360-API-KEY header.
	APIKey string
	// HTTPClient sends the requests; nil means a new client. Its redirect
	// policy is replaced (see NewCloud).
	HTTPClient *http.Client
	// Timeout bounds each JSON request; zero means the HTTPClient's
	// Timeout if set, else DefaultTimeout.
	Timeout time.Duration
	// MediaTimeout bounds each media upload and download; zero means
	// DefaultMediaTimeout (or Timeout, if longer).
	MediaTimeout time.Duration
}

// d360 is 360dialog's flavour of the Cloud API: the same bodies, answers
// and errors, without the phone number id in the path (the API key names
// the number) and with its own key header.
type d360 struct{ *graphAPI }

// NewD360 returns the provider for 360dialog's Cloud API. It sends
// POST {base}/messages and /media with the D360-API-KEY header, and
// downloads media by looking up GET {base}/{media_id}, then fetching the
// URL it names through 360dialog (see below).
//
// It is also an Account: message templates at {base}/v1/configs/templates
// (360dialog's own template API, which answers in its own shape), the
// business profile at {base}/whatsapp_business_profile and profile photos
// through {base}/uploads (see profile.go and d360_templates.go).
func NewD360(cfg D360Config) Provider {
	g := newGraphAPI("360dialog", cfg.BaseURL, DefaultD360BaseURL, cfg.HTTPClient, cfg.Timeout, cfg.MediaTimeout)
	key := cfg.APIKey
	g.authorize = func(h http.Header) { h.Set("D360-API-KEY", key) }
	g.messagesURL = g.endpoint("messages")
	g.mediaURL = g.endpoint("media")
	g.mediaInfoURL = func(id string) string { return g.endpoint(id) }
	g.downloadURL = func(raw string) (string, error) {
		// The lookup answers Meta's media URL (lookaside.fbsbx.com/...),
		// which only takes Meta's own token, which a 360dialog client does
		// not have. 360dialog proxies it: the same path and query on its
		// own host, authorised with the D360-API-KEY header. So the host
		// is replaced with the base URL's, and the key is sent to no one
		// but 360dialog.
		u, err := g.checkDownloadURL(raw)
		if err != nil {
			return "", err
		}
		u.Scheme, u.Host, u.User = g.base.Scheme, g.base.Host, nil
		return u.String(), nil
	}
	g.profileURL = g.endpoint("whatsapp_business_profile")
	g.uploadSessionURL = g.endpoint("uploads")
	g.uploadAuthorize = g.authorize
	return d360{g}
}

// Name implements Provider.
func (d360) Name() string { return "360dialog" }

package waba

import (
	"net/http"
	"time"
)

// DefaultCloudBaseURL is Meta's Graph API, at the version wamux speaks.
const DefaultCloudBaseURL = "https://graph.facebook.com/v21.0"

// CloudConfig configures Meta's Cloud API provider.
type CloudConfig struct {
	// BaseURL is the Graph API base URL with its version; empty means
	// DefaultCloudBaseURL.
	BaseURL string
	// PhoneNumberID is the business number's id.
	PhoneNumberID string
	// Token is the system user's access token, sent as a bearer token.
	Token string
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

// cloud is Meta's Cloud API.
type cloud struct{ *graphAPI }

// NewCloud returns the provider for Meta's Cloud API. It sends
// POST {base}/{phone_number_id}/messages and /media with the bearer token,
// and downloads media by looking up GET {base}/{media_id} and fetching the
// URL it names with the same token. Redirects are followed only within one
// host, so the token never travels to a host nobody named. An invalid
// BaseURL is reported by every call.
func NewCloud(cfg CloudConfig) Provider {
	g := newGraphAPI("cloud", cfg.BaseURL, DefaultCloudBaseURL, cfg.HTTPClient, cfg.Timeout, cfg.MediaTimeout)
	token := cfg.Token
	g.authorize = func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
	g.messagesURL = g.endpoint(cfg.PhoneNumberID, "messages")
	g.mediaURL = g.endpoint(cfg.PhoneNumberID, "media")
	g.mediaInfoURL = func(id string) string { return g.endpoint(id) }
	g.downloadURL = func(raw string) (string, error) {
		// The URL points at Meta's media host (lookaside.fbsbx.com), which
		// takes the same bearer token.
		u, err := g.checkDownloadURL(raw)
		if err != nil {
			return "", err
		}
		return u.String(), nil
	}
	return cloud{g}
}

// Name implements Provider.
func (cloud) Name() string { return "cloud" }

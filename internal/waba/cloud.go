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
	// WABAID is the WhatsApp Business Account's id, which owns the
	// message templates; without it the template operations answer
	// ErrNotConfigured.
	WABAID string
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
type cloud struct {
	*graphAPI
	templates *cloudTemplates
}

// NewCloud returns the provider for Meta's Cloud API. It sends
// POST {base}/{phone_number_id}/messages and /media with the bearer token,
// and downloads media by looking up GET {base}/{media_id} and fetching the
// URL it names with the same token. Redirects are followed only within one
// host, so the token never travels to a host nobody named. An invalid
// BaseURL is reported by every call.
//
// It is also an Account: message templates at
// {base}/{waba_id}/message_templates, the business profile at
// {base}/{phone_number_id}/whatsapp_business_profile and profile photos
// through {base}/app/uploads (see profile.go and cloud_templates.go).
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
	g.profileURL = g.endpoint(cfg.PhoneNumberID, "whatsapp_business_profile")
	// "app" names the app of the access token, so no app id is needed.
	g.uploadSessionURL = g.endpoint("app", "uploads")
	// The Resumable Upload API takes the token in its own scheme.
	g.uploadAuthorize = func(h http.Header) { h.Set("Authorization", "OAuth "+token) }
	return cloud{graphAPI: g, templates: &cloudTemplates{wabaID: cfg.WABAID}}
}

// Name implements Provider.
func (cloud) Name() string { return "cloud" }

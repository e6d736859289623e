package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/waba"
)

// Ingester stores a provider notification durably before returning.
type Ingester interface {
	Ingest(ctx context.Context, n *waba.Notification) error
}

// The provider's webhook is served outside the strict server on purpose:
// its signature covers the raw body, which the strict server would have
// decoded away, and it is the hot path (no per-request schema validation:
// internal/waba parses and checks it).

// verifyWabaWebhook answers the Cloud API's subscription handshake.
func (s *Server) verifyWabaWebhook(c echo.Context) error {
	q := c.QueryParams()
	if s.cfg.VerifyToken == "" {
		return apperr.Forbidden("No verify token is configured (WAMUX_VERIFY_TOKEN).")
	}
	challenge, ok := waba.VerifyChallenge(q.Get("hub.mode"), q.Get("hub.verify_token"), q.Get("hub.challenge"), s.cfg.VerifyToken)
	if !ok {
		return apperr.Forbidden("The verify token does not match.")
	}
	return c.String(http.StatusOK, challenge)
}

// receiveWabaWebhook stores a provider notification and answers 200 only
// after it is committed; anything the provider should retry gets a 5xx.
func (s *Server) receiveWabaWebhook(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
			return err
		}
		return apperr.Invalid("Could not read the request body.")
	}
	if err := s.checkInbound(c, body); err != nil {
		return err
	}
	n, err := waba.ParseNotification(body)
	if err != nil {
		return apperr.Invalid("Malformed notification: " + err.Error())
	}
	if err := s.inbound.Ingest(c.Request().Context(), n); err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, acknowledged)
}

// acknowledged is the body of the provider's 200: written as is, since
// encoding an empty object anew for every notification is work for nothing
// on the busiest route.
var acknowledged = []byte("{}")

// checkInbound verifies the notification's origin: the Cloud API's
// X-Hub-Signature-256 when an app secret is configured, or the shared token
// (360dialog lets the webhook URL or headers carry one). With neither
// configured every notification is accepted; serve warns about it at start.
func (s *Server) checkInbound(c echo.Context, body []byte) error {
	if s.cfg.AppSecret == "" && s.cfg.InboundToken == "" {
		return nil
	}
	if s.cfg.AppSecret != "" {
		if sig := c.Request().Header.Get("X-Hub-Signature-256"); sig != "" && waba.VerifySignature(body, sig, s.cfg.AppSecret) {
			return nil
		}
	}
	if s.cfg.InboundToken != "" {
		tok := c.Request().Header.Get("X-Wamux-Token")
		if tok == "" {
			tok = c.QueryParam("token")
		}
		if tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.InboundToken)) == 1 {
			return nil
		}
	}
	return apperr.Unauthorized("The notification is not signed, or its signature or token is wrong.")
}

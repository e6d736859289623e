package fanout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/wamux/wamux/internal/webhooks"
)

// errPrivateDestination is what a connection to a forbidden address fails
// with.
var errPrivateDestination = webhooks.ErrPrivateDestination

// newClient returns the HTTP client of the deliverers: no proxy, bounded
// connection and header timeouts, redirects followed only when they keep
// the method and body (307, 308) and stay on the same scheme, host and
// port, and, unless allowPrivate, connections only to public addresses.
// The address is checked when the socket connects, after DNS resolution,
// so a name that resolves (or re-resolves) to a private address is refused
// too.
func newClient(allowPrivate bool, attemptTimeout time.Duration) *http.Client {
	dialer := webhooks.GuardedDialer(min(5*time.Second, attemptTimeout), allowPrivate)
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would connect for us and bypass the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(10*time.Second, attemptTimeout),
		ResponseHeaderTimeout: attemptTimeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

const maxRedirects = 3

// checkRedirect follows only same-origin 307/308 redirects: 301/302/303
// would turn the POST into a GET without a body, which a receiver could
// answer 2xx, and another host is not the destination the user configured.
// Anything else returns the 3xx itself, a failed attempt.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects || req.Response == nil {
		return http.ErrUseLastResponse
	}
	if c := req.Response.StatusCode; c != http.StatusTemporaryRedirect && c != http.StatusPermanentRedirect {
		return http.ErrUseLastResponse
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

// describe turns a transport error into a line for last_error and the
// delivery log. url.Error is unwrapped: its text carries the full URL, and
// with it a shared secret in `?auth=...`.
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, errPrivateDestination):
		return errPrivateDestination.Error()
	case errors.Is(err, context.Canceled):
		return "attempt aborted"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateDestination is what a guarded dialer's connection to a
// forbidden address fails with.
var ErrPrivateDestination = errors.New("the destination address is private, loopback or link-local, which this server does not allow (WAMUX_WEBHOOK_ALLOW_PRIVATE)")

// GuardedDialer is the dialer of wamux's outbound requests to addresses
// its users configure (webhook deliveries, the custom rule engine): unless
// allowPrivate, it refuses to connect to a ForbiddenAddr. The address is
// checked when the socket connects, after DNS resolution, so a name that
// resolves (or re-resolves) to a private address is refused too. Its
// clients must not use a proxy, which would connect for them.
func GuardedDialer(timeout time.Duration, allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("unexpected dial address %q: %w", address, err)
			}
			if ForbiddenAddr(ap.Addr()) {
				return ErrPrivateDestination
			}
			return nil
		}
	}
	return d
}

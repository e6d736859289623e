package webhooks

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/wamux/wamux/internal/apperr"
)

// MaxURLLength bounds a webhook URL (openapi.yaml says the same).
const MaxURLLength = 2000

// nonPublic are address ranges that are not the public internet beyond
// what netip's predicates cover: shared address space (carrier-grade NAT),
// "this network", IETF protocol assignments, benchmarking, reserved and
// the limited broadcast address, and NAT64 (which can reach any IPv4
// address, private ones included).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// ForbiddenAddr reports whether a is a private, loopback, link-local
// (cloud metadata services live there), multicast, unspecified or otherwise
// non-public address: a destination wamux refuses to POST to unless
// private destinations are allowed.
func ForbiddenAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ValidateURL checks a webhook URL: an absolute http or https URL with a
// host, within MaxURLLength. When private destinations are not allowed it
// also refuses hosts that are obviously private (IP literals in private
// ranges, localhost); names are checked again at every connection, after
// resolution, so DNS cannot smuggle a private address past this.
func ValidateURL(raw string, allowPrivate bool) error {
	bad := func(msg string) error { return apperr.Field("url", msg) }
	if raw == "" {
		return bad("This field may not be blank.")
	}
	if len(raw) > MaxURLLength {
		return bad("Ensure this field has no more than 2000 characters.")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return bad("Enter a valid URL.")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad(`Only "http" and "https" URLs are supported.`)
	}
	host := u.Hostname()
	if host == "" || strings.ContainsAny(host, " \t\r\n") {
		return bad("Enter a valid URL.")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("Enter a valid URL: the port must be between 1 and 65535.")
		}
	}
	if allowPrivate {
		return nil
	}
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return bad("Private and local destinations are not allowed on this server.")
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && ForbiddenAddr(a) {
		return bad("Private and local destinations are not allowed on this server.")
	}
	return nil
}

// Redacted returns u without its query and user info, for logs and error
// texts: a shared secret in `?auth=...` must not leak there.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}

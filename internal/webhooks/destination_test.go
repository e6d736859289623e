package webhooks_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/webhooks"
)

func TestForbiddenAddr(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
		"::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "224.0.0.1", "255.255.255.255", "64:ff9b::a00:1", "::"} {
		require.True(t, webhooks.ForbiddenAddr(netip.MustParseAddr(a)), a)
	}
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "93.184.216.34"} {
		require.False(t, webhooks.ForbiddenAddr(netip.MustParseAddr(a)), a)
	}
}

func TestValidateURL(t *testing.T) {
	for _, u := range []string{"https://bot.example.com/hook?auth=s3cr3t", "http://example.com", "https://user:pw@example.com:8443/x#frag", "https://[2606:4700::1]/"} {
		require.NoError(t, webhooks.ValidateURL(u, false), u)
	}
	for _, u := range []string{"", "example.com/hook", "ftp://example.com/", "https://", "https://example.com:0/", "https://example.com:70000/",
		"https://localhost/hook", "http://127.0.0.1:8080/", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.5/", "http://app.localhost/"} {
		require.Error(t, webhooks.ValidateURL(u, false), u)
	}
	require.NoError(t, webhooks.ValidateURL("http://127.0.0.1:8080/", true), "allowed in development")
}

func TestRedacted(t *testing.T) {
	require.Equal(t, "https://example.com/hook", webhooks.Redacted("https://user:pw@example.com/hook?auth=s3cr3t#x"))
}

func TestPositionOrder(t *testing.T) {
	a, err := webhooks.ParsePosition("10", 5)
	require.NoError(t, err)
	b, _ := webhooks.ParsePosition("10", 6)
	c, _ := webhooks.ParsePosition("11", 1)
	require.True(t, a.Less(b))
	require.True(t, b.Less(c))
	require.False(t, c.Less(a))
	require.Equal(t, "10", a.XidText())
	_, err = webhooks.ParsePosition("x", 1)
	require.Error(t, err)
}

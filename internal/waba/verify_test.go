package waba

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVerifySignatureKnownVectors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body, secret, header string
	}{
		// The fixtures README's known answer; also
		//   printf '%s' '{"object":"whatsapp_business_account","entry":[]}' | openssl dgst -sha256 -hmac fixture-app-secret
		{`{"object":"whatsapp_business_account","entry":[]}`, "fixture-app-secret",
			"sha256=3c6c17aef3404f821546994a328dee7d0548411e3bb0476f74c11590cf5ba52a"},
		// printf '' | openssl dgst -sha256 -hmac S
		{``, "S", "sha256=ca4a55d2a03effa5bab598d2d0b7164a9e4b01dfed67204fb7733bdba736bbe6"},
	}
	for _, c := range cases {
		require.True(t, VerifySignature([]byte(c.body), c.header, c.secret), c.header)
		require.Equal(t, c.header, Sign([]byte(c.body), c.secret))
		// Upper-case hex and prefix are the same signature.
		require.True(t, VerifySignature([]byte(c.body), strings.ToUpper(c.header), c.secret))
	}
}

func TestVerifySignatureRejects(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	good := "sha256=3c6c17aef3404f821546994a328dee7d0548411e3bb0476f74c11590cf5ba52a"
	for name, header := range map[string]string{
		"empty":           "",
		"no prefix":       strings.TrimPrefix(good, "sha256="),
		"sha1 prefix":     "sha1=" + strings.TrimPrefix(good, "sha256="),
		"truncated":       good[:len(good)-2],
		"too long":        good + "00",
		"not hex":         good[:len(good)-2] + "zz",
		"one digit off":   good[:len(good)-1] + "b",
		"spaces":          " " + good,
		"prefix only":     "sha256=",
		"other signature": Sign(body, "another-secret"),
	} {
		require.False(t, VerifySignature(body, header, "fixture-app-secret"), name)
	}
	require.False(t, VerifySignature(append(body, ' '), good, "fixture-app-secret"), "body changed")
	require.False(t, VerifySignature(body, good, "wrong-secret"), "wrong secret")
	require.False(t, VerifySignature(body, Sign(body, ""), ""), "an empty secret verifies nothing")
}

func TestSignMatchesFixtures(t *testing.T) {
	t.Parallel()
	// Every fixture signs and verifies as received, byte for byte.
	for _, file := range fixtureFiles(t) {
		body, err := os.ReadFile(file)
		require.NoError(t, err)
		header := Sign(body, "app-secret")
		require.True(t, VerifySignature(body, header, "app-secret"), filepath.Base(file))
	}
}

func TestVerifyChallenge(t *testing.T) {
	t.Parallel()
	got, ok := VerifyChallenge("subscribe", "my-token", "1158201444", "my-token")
	require.True(t, ok)
	require.Equal(t, "1158201444", got)

	for name, c := range map[string][4]string{
		"wrong mode":    {"unsubscribe", "my-token", "1", "my-token"},
		"no mode":       {"", "my-token", "1", "my-token"},
		"wrong token":   {"subscribe", "other", "1", "my-token"},
		"token prefix":  {"subscribe", "my-toke", "1", "my-token"},
		"no configured": {"subscribe", "", "1", ""},
	} {
		got, ok := VerifyChallenge(c[0], c[1], c[2], c[3])
		require.False(t, ok, name)
		require.Empty(t, got, name)
	}
}

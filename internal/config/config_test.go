package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func parse(env map[string]string) (Config, error) {
	return Parse(func(k string) string { return env[k] })
}

func TestAccountSettings(t *testing.T) {
	t.Parallel()
	c, err := parse(nil)
	require.NoError(t, err)
	require.Equal(t, []string{"persons"}, c.ContactProviders, "the built-in provider by default")
	require.Empty(t, c.Plugins)
	require.Empty(t, c.WABAID)

	c, err = parse(map[string]string{
		"WAMUX_WABA_ID":           "109876543210987",
		"WAMUX_CONTACT_PROVIDERS": "none",
		"WAMUX_PLUGINS":           "forms=http://127.0.0.1:9300/public/?v=1, crm ",
	})
	require.NoError(t, err)
	require.Equal(t, "109876543210987", c.WABAID)
	require.Empty(t, c.ContactProviders)
	require.Equal(t, map[string]string{"forms": "http://127.0.0.1:9300/public/?v=1", "crm": ""}, c.Plugins)

	_, err = parse(map[string]string{"WAMUX_CONTACT_PROVIDERS": "persons,google", "WAMUX_PLUGINS": "forms=ftp://x/,=http://x/,crm,crm=http://x/"})
	require.ErrorContains(t, err, `WAMUX_CONTACT_PROVIDERS names an unknown contact provider "google"`)
	require.ErrorContains(t, err, `WAMUX_PLUGINS gives plugin "forms" a URL that is not an absolute http(s) URL`)
	require.ErrorContains(t, err, `WAMUX_PLUGINS has an entry "=http://x/" without a plugin type`)
	require.ErrorContains(t, err, `WAMUX_PLUGINS names plugin "crm" twice`)
}

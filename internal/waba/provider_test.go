package waba

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewChoosesByName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg  Config
		name string
	}{
		{Config{}, "sandbox"},
		{Config{Name: "sandbox", PhoneNumberID: "1"}, "sandbox"},
		{Config{Name: "cloud", Token: "t", PhoneNumberID: "1"}, "cloud"},
		{Config{Name: "cloud", Token: "t", PhoneNumberID: "1", URL: "http://127.0.0.1:9090/v21.0/"}, "cloud"},
		{Config{Name: "360dialog", Token: "k"}, "360dialog"},
	} {
		p, err := New(c.cfg)
		require.NoError(t, err, "%+v", c.cfg)
		require.Equal(t, c.name, p.Name())
		if s, ok := p.(*Sandbox); ok {
			require.NoError(t, s.Close())
		}
	}
	p, err := New(Config{Name: "cloud", Token: "t", PhoneNumberID: "42", URL: "http://127.0.0.1:9090/v21.0/"})
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9090/v21.0/42/messages", p.(cloud).messagesURL)

	s, err := New(Config{PhoneNumberID: "42"})
	require.NoError(t, err)
	defer s.(*Sandbox).Close()
	require.Equal(t, "42", s.(*Sandbox).Business().PhoneNumberID)
}

func TestNewNamesMissingSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg  Config
		want []string
	}{
		{Config{Name: "cloud"}, []string{"WAMUX_PROVIDER_TOKEN", "WAMUX_PHONE_NUMBER_ID"}},
		{Config{Name: "cloud", Token: "t"}, []string{"WAMUX_PHONE_NUMBER_ID"}},
		{Config{Name: "cloud", PhoneNumberID: "1", Token: "t", URL: "graph.facebook.com"}, []string{"WAMUX_PROVIDER_URL"}},
		{Config{Name: "360dialog"}, []string{"WAMUX_PROVIDER_TOKEN"}},
		{Config{Name: "360dialog", Token: "k", URL: "ftp://x"}, []string{"WAMUX_PROVIDER_URL"}},
		{Config{Name: "sandbox", URL: "::"}, []string{"WAMUX_PROVIDER_URL"}},
		{Config{Name: "meta"}, []string{"WAMUX_PROVIDER", "sandbox, cloud or 360dialog"}},
	} {
		p, err := New(c.cfg)
		require.Error(t, err, "%+v", c.cfg)
		require.Nil(t, p)
		for _, w := range c.want {
			require.Contains(t, err.Error(), w)
		}
	}
	_, err := New(Config{Name: "cloud"})
	require.NotContains(t, err.Error(), "WAMUX_PROVIDER_URL", "only what is wrong is named")
}

func TestProvidersImplementProvider(t *testing.T) {
	t.Parallel()
	var ps []Provider
	ps = append(ps, NewCloud(CloudConfig{}), NewD360(D360Config{}))
	s := NewSandbox(SandboxConfig{})
	defer s.Close()
	ps = append(ps, s)
	for _, p := range ps {
		_, err := p.Send(context.Background(), OutgoingMessage{})
		require.Error(t, err, p.Name())
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/dbtest"
)

func envWith(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var token = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestCreateAdminAndTokenPrintTokensLast(t *testing.T) {
	t.Parallel()
	env := envWith(map[string]string{"DATABASE_URL": dbtest.URL(t), "WAMUX_LOG_LEVEL": "warn"})
	ctx := context.Background()

	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"createadmin", "--username", "alice", "--password", "alice-pass-1"}, &out, &errOut, env), errOut.String())
	require.Regexp(t, token, lastLine(out.String()))

	out.Reset()
	require.NoError(t, run(ctx, []string{"token", "alice"}, &out, &errOut, env), errOut.String())
	require.Regexp(t, token, lastLine(out.String()))

	require.ErrorIs(t, run(ctx, []string{"createadmin"}, &out, &errOut, env), errUsage)
	require.ErrorIs(t, run(ctx, []string{"frobnicate"}, &out, &errOut, env), errUsage)
	require.Error(t, run(ctx, []string{"token", "nobody"}, &out, &errOut, env))
	require.Error(t, run(ctx, []string{"createadmin", "--username", "bad-name"}, &out, &errOut, env))
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeShutsDownGracefully(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	env := envWith(map[string]string{"DATABASE_URL": dbtest.URL(t), "WAMUX_ADDR": addr, "WAMUX_LOG_LEVEL": "warn"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out, errOut bytes.Buffer
	go func() { done <- run(ctx, []string{"serve"}, &out, &errOut, env) }()

	url := fmt.Sprintf("http://%s/readyz", addr)
	require.Eventually(t, func() bool {
		res, err := http.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "serve migrates and answers /readyz")

	cancel() // what SIGTERM does through signal.NotifyContext
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	_, err := http.Get(url)
	require.Error(t, err, "the listener is closed")
}

func TestBadConfigurationIsRefused(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve"}, &out, &errOut, envWith(map[string]string{"WAMUX_BASE_URL": "not a url", "WAMUX_LOG_LEVEL": "loud"}))
	require.ErrorContains(t, err, "WAMUX_BASE_URL")
	require.ErrorContains(t, err, "WAMUX_LOG_LEVEL")
}

package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/seed"
)

// BenchmarkListChats is the inbox screen's first read, GET
// /api/v1/chats/?limit=100 as an admin, through the whole HTTP stack, on a
// seeded inbox (2,000 chats, 100,000 messages). `wamux bench` times it on
// the full-size inbox; this one is for profiling the part that is wamux's:
// go test -run '^$' -bench ListChats -cpuprofile /tmp/chats.pprof ./internal/httpapi/
func BenchmarkListChats(b *testing.B) {
	e := newEnv(b)
	_, err := seed.Seed(context.Background(), e.pool, seed.Options{Chats: 2000, Messages: 100_000, Users: 5})
	require.NoError(b, err)
	r := e.do(req{Method: http.MethodGet, Path: "/api/v1/chats/?limit=100", Token: e.adminToken})
	require.Equal(b, http.StatusOK, r.Status, string(r.Body)) // do validated it against openapi.yaml

	hr, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/chats/?limit=100", nil)
	require.NoError(b, err)
	hr.Header.Set("Authorization", "Token "+e.adminToken)
	client := e.client()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := client.Do(hr)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
		b.SetBytes(n)
	}
}

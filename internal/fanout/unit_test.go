package fanout

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoffGrowsWithJitterUpToTheCap(t *testing.T) {
	base, capDelay := time.Second, time.Minute
	for n := 1; n < 100; n++ {
		d := backoff(n, base, capDelay)
		want := capDelay
		if n < 7 {
			want = base << (n - 1)
		}
		require.GreaterOrEqual(t, d, want/2, "n=%d", n)
		require.LessOrEqual(t, d, want, "n=%d", n)
	}
}

func TestSignKnownVector(t *testing.T) {
	// The example of the Standard Webhooks specification.
	sig, err := sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
		[]byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)
	_, err = sign("whsec_not base64!", "id", 1, nil)
	require.Error(t, err)
}

func TestRedirectsOnlyToTheSameOriginKeepingTheBody(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer other.Close()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, srv.URL+"/final", http.StatusPermanentRedirect)
		case "/found":
			http.Redirect(w, r, srv.URL+"/final", http.StatusFound)
		case "/other":
			http.Redirect(w, r, other.URL+"/final", http.StatusTemporaryRedirect)
		case "/final":
			if r.Method == http.MethodPost {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	c := newClient(true, 5*time.Second)
	post := func(path string) int {
		resp, err := c.Post(srv.URL+path, "application/json", nil)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusNoContent, post("/same"), "a 308 on the same host keeps the POST")
	require.Equal(t, http.StatusFound, post("/found"), "a 302 would turn the POST into a GET: not followed")
	require.Equal(t, http.StatusTemporaryRedirect, post("/other"), "another host: not followed")
	require.Zero(t, hits.Load())
}

func TestPrivateAddressesRefusedAtDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	_, err := newClient(false, 5*time.Second).Post(srv.URL, "application/json", nil)
	require.ErrorIs(t, err, errPrivateDestination)
	require.Equal(t, errPrivateDestination.Error(), describe(err, time.Second))
}

func TestDescribeHidesTheURL(t *testing.T) {
	c := newClient(true, 200*time.Millisecond)
	_, err := c.Post("http://127.0.0.1:1/hook?auth=s3cr3t", "application/json", nil)
	require.Error(t, err)
	require.NotContains(t, describe(err, time.Second), "s3cr3t")
}

func TestSnippet(t *testing.T) {
	require.Equal(t, "oops bad thing", snippet([]byte("  oops\n\tbad\x00thing ")))
	require.Len(t, []rune(snippet([]byte(strings.Repeat("é", 300)))), 201)
}

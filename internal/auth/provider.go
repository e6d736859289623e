package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// ProviderKeyVerifier asks the WhatsApp provider (360dialog) whether a
// D360-Api-Key is valid, remembering the answer, valid or not, for a short
// while so that a burst of requests costs one round trip.
type ProviderKeyVerifier struct {
	url    string
	ttl    time.Duration
	client *http.Client
	logger *slog.Logger

	mu    sync.Mutex
	cache map[[32]byte]verdict
}

type verdict struct {
	valid   bool
	expires time.Time
}

// maxCachedKeys bounds the cache so that a stream of random keys cannot
// grow memory without limit.
const maxCachedKeys = 10_000

// NewProviderKeyVerifier returns a verifier that GETs url with the key in a
// `D360-API-KEY` header; any 2xx answer means valid. An empty url disables
// provider authentication (every key is invalid).
func NewProviderKeyVerifier(url string, ttl time.Duration, logger *slog.Logger) *ProviderKeyVerifier {
	return &ProviderKeyVerifier{
		url:    url,
		ttl:    ttl,
		client: &http.Client{Timeout: 5 * time.Second},
		logger: logger,
		cache:  make(map[[32]byte]verdict),
	}
}

// Valid reports whether key is a valid provider key. Transport failures
// count as invalid (the request falls through to the other schemes) and are
// not cached, so a provider outage heals by itself.
func (v *ProviderKeyVerifier) Valid(ctx context.Context, key string) bool {
	if v == nil || v.url == "" || key == "" {
		return false
	}
	id := sha256.Sum256([]byte(key))
	now := time.Now()
	v.mu.Lock()
	if c, ok := v.cache[id]; ok && now.Before(c.expires) {
		v.mu.Unlock()
		return c.valid
	}
	v.mu.Unlock()

	valid, err := v.ask(ctx, key)
	if err != nil {
		v.logger.WarnContext(ctx, "provider key verification failed", "error", err)
		return false
	}
	v.mu.Lock()
	if len(v.cache) >= maxCachedKeys {
		for k, c := range v.cache {
			if now.After(c.expires) {
				delete(v.cache, k)
			}
		}
		if len(v.cache) >= maxCachedKeys {
			clear(v.cache)
		}
	}
	v.cache[id] = verdict{valid: valid, expires: now.Add(v.ttl)}
	v.mu.Unlock()
	return valid
}

func (v *ProviderKeyVerifier) ask(ctx context.Context, key string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.url, nil)
	if err != nil {
		return false, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("D360-API-KEY", key)
	req.Header.Set("User-Agent", "wamux")
	resp, err := v.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("ask provider: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return true, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return false, nil
	default:
		return false, fmt.Errorf("provider answered %d", resp.StatusCode)
	}
}

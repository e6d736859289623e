package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/wamux/wamux/internal/apperr"
)

const (
	// Timeout bounds one request to a plugin.
	Timeout = 10 * time.Second
	// MaxAnswerBytes bounds a plugin's answer.
	MaxAnswerBytes = 1 << 20
	userAgent      = "wamux-plugins/1"
)

// Service answers plugins' public data.
type Service struct {
	// plugins maps each installed type to its public-data URL ("" for
	// none).
	plugins map[string]string
	client  *http.Client
	logger  *slog.Logger
}

// New returns a Service for the installed plugins (type -> public-data
// URL, "" when the plugin has none). A nil client means one with Timeout.
func New(plugins map[string]string, client *http.Client, logger *slog.Logger) *Service {
	if client == nil {
		client = &http.Client{Timeout: Timeout}
	}
	cp := *client
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 || req.URL.Host != via[0].URL.Host {
			return errors.New("plugins: refusing a redirect to another host")
		}
		return nil
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{plugins: plugins, client: &cp, logger: logger}
}

// Public returns the public data of the plugin of type typ, asked with
// query (the caller's query parameters, forwarded unchanged).
func (s *Service) Public(ctx context.Context, typ string, query url.Values) (map[string]any, error) {
	target, installed := s.plugins[typ]
	if !installed {
		return nil, apperr.NotFound(fmt.Sprintf("No plugin of type %q is installed.", typ))
	}
	if target == "" {
		return nil, apperr.NotImplemented(fmt.Sprintf("The plugin %q publishes no public data.", typ))
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: public-data URL: %w", typ, err)
	}
	q := u.Query()
	for k, vs := range query {
		q[k] = append(q[k], vs...)
	}
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", typ, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	res, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err()
		}
		s.logger.WarnContext(ctx, "plugin unreachable", "plugin", typ, "error", err)
		return nil, apperr.Upstream(fmt.Sprintf("The plugin %q could not be reached.", typ))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxAnswerBytes+1))
	if err != nil {
		return nil, apperr.Upstream(fmt.Sprintf("The plugin %q answer could not be read.", typ))
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, apperr.Upstream(fmt.Sprintf("The plugin %q answered HTTP %d.", typ, res.StatusCode))
	}
	if len(body) > MaxAnswerBytes {
		return nil, apperr.Upstream(fmt.Sprintf("The plugin %q answered more than %d bytes.", typ, MaxAnswerBytes))
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil || out == nil {
		return nil, apperr.Upstream(fmt.Sprintf("The plugin %q did not answer a JSON object.", typ))
	}
	return out, nil
}

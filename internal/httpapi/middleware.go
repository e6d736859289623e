package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wamux/wamux/internal/auth"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wamux_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wamux_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe logs each request with its id and records its metrics. It runs
// outermost, after the error handler has written the answer.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		s.metrics.requests.WithLabelValues(route, req.Method, strconv.Itoa(res.Status)).Inc()
		s.metrics.duration.WithLabelValues(route, req.Method).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.Int("status", res.Status),
			slog.Duration("duration", elapsed),
			slog.String("remote_addr", c.RealIP()),
		}
		if p := auth.FromContext(req.Context()); p != nil {
			attrs = append(attrs, slog.Int64("user_id", p.User.ID))
		}
		s.logger.LogAttrs(req.Context(), level, "http request", attrs...)
		return nil
	}
}

// authenticate resolves the request's credentials into its context, where
// the strict handlers and the validator's security check read them.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, err := s.auth.Authenticate(c.Request())
		if err != nil {
			return err
		}
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// csrfCookie gives every browser a csrftoken cookie on its first safe
// request ("each accessible page will provide you with a CSRF token"), so
// that a session-authenticated client can echo it in X-CSRFToken.
func (s *Server) csrfCookie(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m := c.Request().Method
		if m == http.MethodGet || m == http.MethodHead {
			if _, err := c.Cookie(auth.CSRFCookie); err != nil {
				v := auth.NewOpaque(32)
				s.setCSRFCookie(c, v)
				// Later code in this request (the login form) must see the
				// token just issued, not mint a second one.
				c.Request().AddCookie(&http.Cookie{Name: auth.CSRFCookie, Value: v})
			}
		}
		return next(c)
	}
}

func (s *Server) setCSRFCookie(c echo.Context, value string) {
	c.SetCookie(&http.Cookie{
		Name:     auth.CSRFCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   31449600, // one year, as the reference shows
		SameSite: http.SameSiteLaxMode,
		Secure:   s.secureRequest(c),
	})
}

// secureRequest reports whether the client reached us over TLS, directly or
// through a proxy we trust.
func (s *Server) secureRequest(c echo.Context) bool {
	if c.Request().TLS != nil {
		return true
	}
	return s.cfg.TrustProxy && c.Request().Header.Get("X-Forwarded-Proto") == "https"
}

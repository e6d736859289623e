package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wamux/wamux"
	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/accounts"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/business"
	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/contacts"
	"github.com/wamux/wamux/internal/docs"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/media"
	"github.com/wamux/wamux/internal/ownership"
	"github.com/wamux/wamux/internal/plugins"
	"github.com/wamux/wamux/internal/rules"
	"github.com/wamux/wamux/internal/savedresponse"
	"github.com/wamux/wamux/internal/webhooks"
	"github.com/wamux/wamux/internal/ws"
)

// Deps are what the HTTP layer needs from the rest of wamux.
type Deps struct {
	Config   config.Config
	Logger   *slog.Logger
	Pool     *pgxpool.Pool
	Auth     *auth.Authenticator
	Accounts *accounts.Service
	Media    *media.Service
	Inbox    *inbox.Service
	// Ownership serves tags, taggings and chat assignment.
	Ownership *ownership.Service
	// Rules serves the rule engine's rules and configuration (its Engine
	// runs beside the server); its metrics are served at /metrics.
	Rules *rules.Service
	// Webhooks manages the per-user WABA Webhooks (internal/fanout delivers them).
	Webhooks *webhooks.Service
	// SavedResponses keeps the saved responses; nil makes one over Pool.
	SavedResponses *savedresponse.Service
	// Business manages the account at the provider: templates, the
	// business profile and the contacts check. Nil answers 502 (no
	// provider).
	Business *business.Service
	// Contacts asks the connected Contact Providers; nil connects none.
	Contacts *contacts.Service
	// Plugins serves the installed plugins' public data; nil installs none.
	Plugins *plugins.Service
	// FanoutMetrics are the webhook deliverers' metrics (fanout.Engine's
	// Collectors; the engine runs beside the server), served at /metrics.
	FanoutMetrics []prometheus.Collector
	// Inbound receives the provider's notifications (inbox.Service.Ingest,
	// or a group committer in front of it).
	Inbound Ingester
	// Registry receives the HTTP metrics and is served at /metrics; nil
	// makes a new one.
	Registry *prometheus.Registry
	// Websockets serves GET /ws/ (its Run runs beside the server); its
	// metrics are served at /metrics. Nil answers upgrades 503.
	Websockets *ws.Hub
}

// Server implements api.StrictServerInterface. Each resource's operations
// live in their own file.
type Server struct {
	*Presenter
	cfg      config.Config
	logger   *slog.Logger
	pool     *pgxpool.Pool
	auth     *auth.Authenticator
	accounts *accounts.Service
	media    *media.Service
	inbox    *inbox.Service
	webhooks *webhooks.Service
	inbound  Ingester
	// savedResponses, business, contacts and plugins serve the resources
	// named so.
	savedResponses *savedresponse.Service
	business       *business.Service
	contacts       *contacts.Service
	plugins        *plugins.Service
	throttle       auth.Throttle
	metrics        *metrics
	// strictRoutes are the "METHOD /path/:param/" routes of the strict
	// server, whose decoding failures answer 400 (see errorBody).
	strictRoutes map[string]bool
	registry     *prometheus.Registry

	// ownership serves tags, taggings and chat assignment.
	ownership *ownership.Service
	// rules serves the rule engine's rules and configuration.
	rules *rules.Service
	// websockets serves GET /ws/.
	websockets *ws.Hub
}

var _ api.StrictServerInterface = (*Server)(nil)

// New returns the Echo instance serving wamux's HTTP API.
func New(d Deps) (*echo.Echo, error) {
	reg := d.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if d.SavedResponses == nil {
		d.SavedResponses = savedresponse.New(d.Pool)
	}
	if d.Business == nil {
		d.Business = business.New(nil, d.Logger)
	}
	if d.Contacts == nil {
		d.Contacts = contacts.New()
	}
	if d.Plugins == nil {
		d.Plugins = plugins.New(nil, nil, d.Logger)
	}
	s := &Server{
		Presenter:      NewPresenter(d.Config.BaseURL, d.Accounts),
		cfg:            d.Config,
		logger:         d.Logger,
		pool:           d.Pool,
		auth:           d.Auth,
		accounts:       d.Accounts,
		media:          d.Media,
		inbox:          d.Inbox,
		ownership:      d.Ownership,
		rules:          d.Rules,
		webhooks:       d.Webhooks,
		savedResponses: d.SavedResponses,
		business:       d.Business,
		contacts:       d.Contacts,
		plugins:        d.Plugins,
		inbound:        d.Inbound,
		throttle:       auth.Throttle{Burst: d.Config.LoginBurst, Window: d.Config.LoginWindow},
		metrics:        newMetrics(reg),
		registry:       reg,

		websockets: d.Websockets,
	}
	if d.Rules != nil {
		reg.MustRegister(d.Rules.Collectors()...)
	}
	reg.MustRegister(d.FanoutMetrics...)
	if d.Websockets != nil {
		reg.MustRegister(d.Websockets.Collectors()...)
	}
	spec, err := api.GetSwagger()
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	v, err := newValidator(spec)
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	if d.Config.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}

	e.Use(s.observe)
	e.Use(middleware.RequestID())
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.logger.ErrorContext(c.Request().Context(), "panic", "error", err, "stack", string(stack))
			return err
		},
	}))
	// Media uploads get their own, larger bound (WhatsApp documents go up
	// to 100 MB, a third more in base64); every other body the global one.
	isUpload := func(c echo.Context) bool {
		return c.Request().Method == http.MethodPost && c.Request().URL.Path == "/api/v1/media/"
	}
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: strconv.FormatInt(d.Config.MaxBodyBytes, 10) + "B", Skipper: isUpload,
	}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: strconv.FormatInt(d.Config.MaxMediaBytes, 10) + "B", Skipper: func(c echo.Context) bool { return !isUpload(c) },
	}))
	e.Use(keepRequestInfo)
	e.Use(s.csrfCookie)
	e.Use(s.authenticate)
	e.Use(v.middleware)

	api.RegisterHandlers(e, api.NewStrictHandler(s, []api.StrictMiddlewareFunc{markDecoded}))
	s.strictRoutes = strictRoutes(e)

	// Outside the strict server on purpose; see login.go and below.
	e.GET("/login/", s.getLoginPage)
	e.POST("/login/", s.submitLogin)
	e.POST("/logout/", s.logout)
	e.GET("/api/v1/openapi.yaml", s.getOpenAPISpec)
	e.GET("/api/docs/*", echo.WrapHandler(docs.Handler()))
	e.GET("/api/v1/waba/webhook/", s.verifyWabaWebhook)
	e.POST("/api/v1/waba/webhook/", s.receiveWabaWebhook)
	// Media downloads need http.ServeContent for Range and conditional
	// requests, which strict responses cannot express. Excluded operations
	// are gone from the embedded spec, so the validator skips this route:
	// getMedia authenticates itself; see media.go.
	e.GET("/api/v1/media/:id/", s.getMedia)
	// Replaces the strict server's GET /ws/: the upgrade takes over the
	// connection. The validator lets it through (no parameters, no
	// security: the token comes in the first message); see websocket.go.
	e.GET("/ws/", s.connectWebsocket)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	return e, nil
}

// getOpenAPISpec serves openapi.yaml byte for byte (raw bytes, not JSON,
// hence outside the strict server).
func (s *Server) getOpenAPISpec(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/yaml", wamux.OpenAPI)
}

// healthz answers while the process serves HTTP at all.
func (s *Server) healthz(c echo.Context) error { return c.String(http.StatusOK, "ok") }

// readyz answers 200 only while the database answers, so a load balancer
// stops routing to a replica that lost it.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		s.logger.WarnContext(ctx, "readiness check failed", "error", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable")
	}
	return c.String(http.StatusOK, "ok")
}

// strictRoutes lists the routes registered so far: called right after the
// strict server registers its routes and before the hand-served ones.
func strictRoutes(e *echo.Echo) map[string]bool {
	out := map[string]bool{}
	for _, r := range e.Routes() {
		out[r.Method+" "+r.Path] = true
	}
	return out
}

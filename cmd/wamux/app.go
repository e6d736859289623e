package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/internal/accounts"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/business"
	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/contacts"
	"github.com/wamux/wamux/internal/fanout"
	"github.com/wamux/wamux/internal/httpapi"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/media"
	"github.com/wamux/wamux/internal/ownership"
	"github.com/wamux/wamux/internal/plugins"
	"github.com/wamux/wamux/internal/rules"
	"github.com/wamux/wamux/internal/savedresponse"
	"github.com/wamux/wamux/internal/storage"
	"github.com/wamux/wamux/internal/waba"
	"github.com/wamux/wamux/internal/webhooks"
	"github.com/wamux/wamux/internal/ws"
)

// app is the wired-up process: the pool and the services over it.
type app struct {
	cfg      config.Config
	logger   *slog.Logger
	pool     *pgxpool.Pool
	auth     *auth.Authenticator
	accounts *accounts.Service
	provider waba.Provider
	media    *media.Service
	inbox    *inbox.Service
	// readPool keeps generic plans for the inbox's reads that suit them.
	readPool *pgxpool.Pool
	webhooks *webhooks.Service
	// webhookAllowPrivate lets webhooks reach private addresses.
	webhookAllowPrivate bool
	// ownership: tags, taggings and chat assignment (the rule engine assigns through it too).
	ownership *ownership.Service
	// rules: the rule engine's rules and configuration; its Engine runs in serve.
	rules *rules.Service
}

func openApp(ctx context.Context, cfg config.Config, logger *slog.Logger, migrate bool) (*app, error) {
	if err := requireDatabase(cfg); err != nil {
		return nil, err
	}
	pool, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := storage.Migrate(ctx, pool, logger); err != nil {
			pool.Close()
			return nil, err
		}
	}
	verifier := auth.NewProviderKeyVerifier(cfg.ProviderKeyURL, cfg.ProviderKeyCacheTTL, logger)
	a := &app{cfg: cfg, logger: logger, pool: pool, auth: auth.NewAuthenticator(pool, verifier, logger)}
	a.accounts = accounts.New(pool, a.auth)

	// The sandbox reports statuses through wamux's own inbound path, which
	// needs the inbox, which needs the provider: close the loop through a.
	a.provider, err = waba.New(waba.Config{
		Name: cfg.Provider, URL: cfg.ProviderURL, Token: cfg.ProviderToken, PhoneNumberID: cfg.PhoneNumberID,
		WABAID: cfg.WABAID, Logger: logger, Deliver: a.deliver,
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("configuration: %w", err)
	}
	a.media = media.New(media.Config{Pool: pool, Dir: cfg.MediaDir, Provider: a.provider, Logger: logger, BaseURL: cfg.BaseURL})
	if err := a.media.EnsureDir(); err != nil {
		pool.Close()
		return nil, err
	}
	// The chats list's most common statement keeps its generic plan on
	// connections of its own (inbox.Config.GenericPool).
	if a.readPool, err = storage.OpenGeneric(ctx, cfg.DatabaseURL, 4); err != nil {
		pool.Close()
		return nil, err
	}
	a.inbox = inbox.New(inbox.Config{Pool: pool, GenericPool: a.readPool, Media: a.media, Provider: a.provider, Logger: logger})
	a.ownership = ownership.New(ownership.Config{Pool: pool, Presenter: httpapi.NewPresenter(cfg.BaseURL, a.accounts)})
	a.webhookAllowPrivate = cfg.WebhookAllowPrivate
	a.webhooks = webhooks.New(webhooks.Config{Pool: pool, Logger: logger, AllowPrivate: a.webhookAllowPrivate})
	a.rules = rules.New(rules.Config{Pool: pool, Logger: logger, Assigner: a.ownership,
		Presenter: httpapi.NewPresenter(cfg.BaseURL, a.accounts), AllowPrivate: a.webhookAllowPrivate})
	return a, nil
}

// deliver is the sandbox provider's way into the inbound path.
func (a *app) deliver(ctx context.Context, body []byte) error {
	n, err := waba.ParseNotification(body)
	if err != nil {
		return err
	}
	return a.inbox.Ingest(ctx, n)
}

func (a *app) close() {
	if c, ok := a.provider.(interface{ Close() error }); ok {
		if err := c.Close(); err != nil {
			a.logger.Warn("close provider", "error", err)
		}
	}
	if a.readPool != nil {
		a.readPool.Close()
	}
	a.pool.Close()
}

func runMigrate(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	a, err := openApp(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	a.close()
	logger.InfoContext(ctx, "database is up to date")
	return nil
}

func runServe(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	a, err := openApp(ctx, cfg, logger, cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, nil)
}

// serve runs the HTTP server until ctx ends, then drains it. ready, when
// set, is called with the bound address once the listener is open.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	// The committer outlives the HTTP server's drain: requests still in
	// flight at SIGTERM get their commit and their 200.
	// Its writers have their own connections, which keep generic plans.
	inboundPool, err := storage.OpenGeneric(ctx, a.cfg.DatabaseURL, inbox.ConnsPerWriter*a.cfg.Committers)
	if err != nil {
		return err
	}
	defer inboundPool.Close()
	commitCtx, stopCommitter := context.WithCancel(context.WithoutCancel(ctx))
	committer := inbox.NewCommitter(inbox.CommitterConfig{Service: a.inbox, Pool: inboundPool, Writers: a.cfg.Committers, Logger: a.logger})
	committed := make(chan struct{})
	go func() { committer.Run(commitCtx); close(committed) }()
	defer func() { stopCommitter(); <-committed }()

	deliverers, err := fanout.New(fanout.Config{
		Pool: a.pool, Logger: a.logger, Presenter: httpapi.NewPresenter(a.cfg.BaseURL, a.accounts), Chats: a.inbox,
		AllowPrivate: a.webhookAllowPrivate, LeaseTTL: a.cfg.WebhookLeaseTTL,
	})
	if err != nil {
		return err
	}
	hub, err := ws.NewHub(ws.Config{Pool: a.pool, Logger: a.logger, Auth: a.auth, Presenter: httpapi.NewPresenter(a.cfg.BaseURL, a.accounts),
		Chats: a.inbox, QueueSize: a.cfg.WebsocketQueueSize, PingInterval: a.cfg.WebsocketPingInterval})
	if err != nil {
		return err
	}
	contactProviders, err := contacts.Open(a.cfg.ContactProviders, a.pool)
	if err != nil {
		return err
	}
	account, _ := a.provider.(waba.Account) // every provider waba.New returns is one
	e, err := httpapi.New(httpapi.Deps{
		Config: a.cfg, Logger: a.logger, Pool: a.pool, Auth: a.auth, Accounts: a.accounts,
		Media: a.media, Inbox: a.inbox, Inbound: committer, Webhooks: a.webhooks,
		FanoutMetrics: deliverers.Collectors(),
		Ownership:     a.ownership,
		Rules:         a.rules,
		Websockets:    hub,
		// Saved responses, templates, settings, contacts and plugins.
		SavedResponses: savedresponse.New(a.pool),
		Business:       business.New(account, a.logger),
		Contacts:       contactProviders,
		Plugins:        plugins.New(a.cfg.Plugins, nil, a.logger),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	go a.housekeeping(ctx)
	go a.media.Run(ctx)
	// The webhook deliverers run on through the HTTP drain and then finish
	// their attempts in flight, giving their leases back to the other
	// replicas (bounded by the attempt timeout).
	deliverCtx, stopDeliverers := context.WithCancel(context.WithoutCancel(ctx))
	delivered := make(chan struct{})
	go func() { deliverers.Run(deliverCtx); close(delivered) }()
	defer func() { stopDeliverers(); <-delivered }()
	// The rule engine, likewise, finishes its batch in flight (bounded by the
	// custom engine's timeout), records its position and gives its lease back.
	// Its steps use two connections at most (a batch and a lease renewal).
	enginePool, err := storage.OpenGeneric(ctx, a.cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer enginePool.Close()
	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	engineDone := make(chan struct{})
	go func() {
		rules.NewEngine(a.rules, rules.EngineOptions{Pool: enginePool}).Run(engineCtx)
		close(engineDone)
	}()
	defer func() { stopEngine(); <-engineDone }()
	// The websocket hub: after the HTTP drain (which does not wait for
	// upgraded connections) it closes its clients with 1001, going away,
	// before the pool closes.
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	hubDone := make(chan struct{})
	go func() { hub.Run(hubCtx); close(hubDone) }()
	defer func() { stopHub(); <-hubDone }()
	if a.cfg.AppSecret == "" && a.cfg.InboundToken == "" {
		a.logger.WarnContext(ctx, "the provider webhook accepts unsigned notifications: set WAMUX_APP_SECRET or WAMUX_INBOUND_TOKEN")
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.logger.InfoContext(ctx, "serving", "addr", ln.Addr().String(), "base_url", a.cfg.BaseURL)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.logger.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	a.logger.Info("stopped")
	return nil
}

// housekeeping prunes expired sessions, old login attempts and messages
// beyond the cap every ten minutes. Every replica runs it; the deletes are
// idempotent, so that costs only duplicate work.
func (a *app) housekeeping(ctx context.Context) {
	th := auth.Throttle{Burst: a.cfg.LoginBurst, Window: a.cfg.LoginWindow}
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if err := a.auth.Prune(ctx, th); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "housekeeping failed", "error", err)
		}
		if n, err := a.inbox.Prune(ctx, a.cfg.MessageCap); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "pruning messages failed", "error", err)
		} else if n > 0 {
			a.logger.InfoContext(ctx, "pruned the oldest messages", "deleted", n, "cap", a.cfg.MessageCap)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

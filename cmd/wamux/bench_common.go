package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/devdb"
)

// benchConfig makes the database and the configuration a bench serves
// wamux with: a fresh database named prefix_<time> on the server of
// cfg.DatabaseURL (else the one `make run` finds or starts), and serve's
// configuration over it made self-contained: loopback only, the sandbox
// provider (nothing leaves the machine), an app secret so that every
// notification's signature is checked as in production, a media directory
// of its own. cleanup drops the database (unless keep) and the directory.
func benchConfig(ctx context.Context, cfg config.Config, prefix string, keep bool, stderr io.Writer) (bcfg config.Config, name string, cleanup func(), err error) {
	base := cfg.DatabaseURL
	if base == "" {
		if base, err = devdb.Ensure(ctx, nil); err != nil {
			return config.Config{}, "", nil, fmt.Errorf("find a PostgreSQL: %w", err)
		}
	}
	name = prefix + "_" + time.Now().Format("20060102_150405")
	dbURL, err := createDatabase(ctx, base, name)
	if err != nil {
		return config.Config{}, "", nil, err
	}
	mediaDir, err := os.MkdirTemp("", "wamux-bench-media-")
	if err != nil {
		_ = dropDatabase(context.WithoutCancel(ctx), base, name)
		return config.Config{}, "", nil, err
	}
	cleanup = func() {
		os.RemoveAll(mediaDir)
		if keep {
			fmt.Fprintf(stderr, "kept database %s\n", dbURL)
			return
		}
		if err := dropDatabase(context.WithoutCancel(ctx), base, name); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		}
	}
	bcfg = cfg
	bcfg.DatabaseURL, bcfg.Addr, bcfg.BaseURL = dbURL, "127.0.0.1:0", "http://127.0.0.1"
	bcfg.Env, bcfg.LogLevel, bcfg.MigrateOnStart = "production", "warn", true
	bcfg.Provider, bcfg.ProviderURL, bcfg.ProviderToken, bcfg.ProviderKeyURL = "sandbox", "", "", ""
	bcfg.AppSecret, bcfg.InboundToken, bcfg.VerifyToken = auth.NewOpaque(32), "", ""
	bcfg.MediaDir = mediaDir
	return bcfg, name, cleanup, nil
}

// serveBench serves a in the background, as `wamux serve` does, and
// returns the bound address once it listens; stop ends the server and
// waits for its drain.
func serveBench(ctx context.Context, a *app) (addr string, stop func(), err error) {
	srvCtx, stopServer := context.WithCancel(ctx)
	served := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { served <- a.serve(srvCtx, func(addr string) { ready <- addr }) }()
	select {
	case addr = <-ready:
		return addr, func() { stopServer(); <-served }, nil
	case err := <-served:
		stopServer()
		return "", nil, err
	}
}

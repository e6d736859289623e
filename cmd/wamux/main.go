// Command wamux is the whole server in one binary:
//
//	wamux serve                      serve the HTTP API (migrates first unless WAMUX_MIGRATE_ON_START=false)
//	wamux migrate                    apply pending database migrations
//	wamux createadmin --username U [--password P]
//	                                 create (or promote) an admin; prints an API token last
//	wamux token USERNAME             print a new API token for an active user
//	wamux inject --text T            post an inbound customer message to a running wamux (sandbox demos)
//	wamux dev                        a complete local instance (make run): finds or starts
//	                                 PostgreSQL, migrates, ensures an admin, prints its token, serves
//
// Configuration comes from the environment; README.md has the table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "wamux:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage: wamux <command> [flags]

commands:
  serve        serve the HTTP API
  migrate      apply pending database migrations
  createadmin  --username U [--password P]: create or promote an admin, print an API token
  token        USERNAME: print a new API token for an active user
  inject       [--from WA_ID] [--name NAME] --text T: post an inbound message to a running wamux
  dev          run a complete local instance (what make run does)
  seed         [--chats N] [--messages M]: add realistic customers, chats and messages to DATABASE_URL
  bench        [--messages M] [--keep]: measure inbound and read performance on a fresh database (make bench)
  bench-assign [--rate R] [--duration D]: measure the rule engine's assignment latency on a fresh database (make bench)
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if cmd == "dev" {
		return runDev(ctx, rest, stdout, stderr, getenv)
	}
	cfg, err := config.Parse(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return runServe(ctx, cfg, logger)
	case "migrate":
		return runMigrate(ctx, cfg, logger)
	case "createadmin":
		return runCreateAdmin(ctx, cfg, logger, rest, stdout, stderr)
	case "token":
		return runToken(ctx, cfg, logger, rest, stdout, stderr)
	case "inject":
		return runInject(ctx, cfg, rest, stdout, stderr)
	case "bench-fanout":
		return benchFanout(ctx, cfg, rest, stdout, stderr)
	case "bench-assign":
		return benchAssign(ctx, cfg, rest, stdout, stderr)
	case "seed":
		return runSeed(ctx, cfg, logger, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, cfg, rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Development() {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func requireDatabase(cfg config.Config) error {
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set (make run finds or starts a local PostgreSQL for you)")
	}
	return nil
}

func runCreateAdmin(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("createadmin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	username := fs.String("username", "", "the admin's username (letters and digits)")
	password := fs.String("password", "", "the admin's password (optional: without one the admin uses tokens only)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *username == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: wamux createadmin --username U [--password P]")
		return errUsage
	}
	app, err := openApp(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer app.close()
	token, err := app.accounts.CreateAdmin(ctx, *username, *password)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "admin %s is ready; API token:\n%s\n", *username, token)
	return nil
}

func runToken(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: wamux token USERNAME")
		return errUsage
	}
	app, err := openApp(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer app.close()
	token, err := app.accounts.IssueToken(ctx, args[0])
	if err != nil {
		return describe(err)
	}
	fmt.Fprintln(stdout, token)
	return nil
}

// describe turns a field error into a readable line for the terminal.
func describe(err error) error {
	if e, ok := apperr.As(err); ok && e.Fields != nil {
		for k, v := range e.Fields {
			return fmt.Errorf("%s: %v", k, v)
		}
	}
	return err
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/devdb"
)

// runDev is `make run`: a complete local instance with no setup. It uses
// DATABASE_URL when set, else finds or starts a local PostgreSQL, creates a
// `wamux` database in it, migrates, makes sure an admin exists, prints its
// token and the URLs, and serves in development mode.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	username := fs.String("admin", "admin", "username of the local admin")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	env := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		switch k {
		case "WAMUX_ENV":
			return "development"
		case "WAMUX_ADDR":
			return "127.0.0.1:8080"
		}
		return ""
	}
	cfg, err := config.Parse(env)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := newLogger(cfg, stderr)
	if cfg.DatabaseURL == "" {
		base, err := devdb.Ensure(ctx, logger)
		if err != nil {
			return fmt.Errorf("find a PostgreSQL: %w", err)
		}
		if cfg.DatabaseURL, err = createDatabase(ctx, base, "wamux"); err != nil {
			return err
		}
	}
	a, err := openApp(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer a.close()

	password := ""
	token, err := a.accounts.IssueToken(ctx, *username)
	if err != nil {
		// First run: a fresh admin, with a password to log in with.
		password = auth.NewOpaque(12)
		if token, err = a.accounts.CreateAdmin(ctx, *username, password); err != nil {
			return describe(err)
		}
	}
	return a.serve(ctx, func(addr string) {
		fmt.Fprintf(stdout, "\nwamux is running (development mode)\n\n")
		fmt.Fprintf(stdout, "  API        %s/api/v1/\n", cfg.BaseURL)
		fmt.Fprintf(stdout, "  API docs   %s/api/docs/\n", cfg.BaseURL)
		fmt.Fprintf(stdout, "  log in     %s/login/\n", cfg.BaseURL)
		fmt.Fprintf(stdout, "  database   %s\n", cfg.DatabaseURL)
		fmt.Fprintf(stdout, "  admin      %s\n", *username)
		if password != "" {
			fmt.Fprintf(stdout, "  password   %s   (shown once; change it with POST /api/v1/users/password/change/)\n", password)
		}
		fmt.Fprintf(stdout, "\n  try:  curl -H 'Authorization: Token %s' %s/api/v1/users/current/\n\n", token, cfg.BaseURL)
		fmt.Fprintf(stdout, "admin token:\n%s\n", token)
	})
}

// createDatabase creates dbname on the server at baseURL unless it exists,
// and returns its URL.
func createDatabase(ctx context.Context, baseURL, dbname string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, baseURL)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", baseURL, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(cctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", dbname).Scan(&exists); err != nil {
		return "", fmt.Errorf("look for database %s: %w", dbname, err)
	}
	if !exists {
		if _, err := conn.Exec(cctx, "CREATE DATABASE "+pgx.Identifier{dbname}.Sanitize()); err != nil {
			var already interface{ SQLState() string }
			if !errors.As(err, &already) || already.SQLState() != "42P04" {
				return "", fmt.Errorf("create database %s: %w", dbname, err)
			}
		}
	}
	return devdb.WithDatabase(baseURL, dbname)
}

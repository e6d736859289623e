package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/seed"
	"github.com/wamux/wamux/internal/storage"
)

// runSeed is `wamux seed`: it migrates the database at DATABASE_URL and
// adds realistic customers, chats and messages to it, drawing a progress
// bar on stderr.
func runSeed(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	chats := fs.Int("chats", 10_000, "new customers, one chat each")
	messages := fs.Int("messages", 1_000_000, "messages spread over those chats")
	users := fs.Int("users", 5, "agent users (agent01, ...) who reply and have chats assigned")
	span := fs.Duration("span", 180*24*time.Hour, "how far back the history reaches")
	rngSeed := fs.Uint64("seed", 1, "seed of the generated content")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *chats < 1 || *messages < 0 || *users < 0 {
		fmt.Fprintln(stderr, "usage: wamux seed [--chats N] [--messages M] [--users U] [--span 4320h] [--seed S]")
		return errUsage
	}
	if err := requireDatabase(cfg); err != nil {
		return err
	}
	pool, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := storage.Migrate(ctx, pool, logger); err != nil {
		return err
	}
	res, err := seed.Seed(ctx, pool, seed.Options{
		Chats: *chats, Messages: *messages, Users: *users, Span: *span, Seed: *rngSeed, Progress: stderr,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d chats, %d messages, %d agents and %d received marks in %s\n",
		len(res.WaIDs), res.Messages, len(res.AgentIDs), res.Marks, res.Elapsed.Round(100*time.Millisecond))
	return nil
}

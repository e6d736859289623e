package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wamux/wamux/internal/config"
	"github.com/wamux/wamux/internal/waba"
)

// runInject posts an inbound text message to a running wamux's provider
// webhook, as the provider would (signed with WAMUX_APP_SECRET and carrying
// WAMUX_INBOUND_TOKEN when they are set). With the sandbox provider this is
// how a customer "writes" to the local instance.
func runInject(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "15550001234", "the customer's wa_id")
	name := fs.String("name", "Test Customer", "the customer's profile name")
	text := fs.String("text", "", "the message text")
	if err := fs.Parse(args); err != nil || *text == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, `usage: wamux inject [--from WA_ID] [--name NAME] --text "hello"`)
		return errUsage
	}
	b := waba.DefaultBusiness()
	if cfg.PhoneNumberID != "" {
		b.PhoneNumberID = cfg.PhoneNumberID
	}
	body, wamid, err := waba.BuildInboundEnvelope(b, *from, *name, map[string]any{"text": map[string]any{"body": *text}}, time.Now())
	if err != nil {
		return fmt.Errorf("build notification: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.BaseURL+"/api/v1/waba/webhook/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if cfg.AppSecret != "" {
		req.Header.Set("X-Hub-Signature-256", waba.Sign(body, cfg.AppSecret))
	}
	if cfg.InboundToken != "" {
		req.Header.Set("X-Wamux-Token", cfg.InboundToken)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", req.URL, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("wamux answered %d: %s", res.StatusCode, answer)
	}
	fmt.Fprintln(stdout, wamid)
	return nil
}

// Command wabasim is a fake WhatsApp Business provider for development and
// end-to-end tests. It speaks the Cloud API wire format that wamux's
// "cloud" provider uses, so wamux runs against it unchanged
// (WAMUX_PROVIDER=cloud, WAMUX_PROVIDER_URL=http://127.0.0.1:9090/v21.0):
//
//	wabasim -addr 127.0.0.1:9090 -webhook http://127.0.0.1:8080/api/v1/waba/webhook/ \
//	        -app-secret S [-token T] [-phone-number-id 110200300400500] [-status-delay 200ms]
//
// It serves:
//
//	POST   /{version}/{phone_number_id}/messages      send (or mark as read)
//	POST   /{version}/{phone_number_id}/media         upload media (multipart)
//	GET    /{version}/{media_id}                      look up media: {"url", "mime_type", ...}
//	GET    /_media/{media_id}                         the media bytes (the url above)
//	GET    /{version}/{waba_id}/message_templates     list templates (?name= filters)
//	POST   /{version}/{waba_id}/message_templates     create a template (approved at once)
//	DELETE /{version}/{waba_id}/message_templates     delete a template (?name=)
//	GET    /{version}/{waba_id}                       the account (?fields=message_template_namespace)
//	GET    /{version}/{phone_number_id}/whatsapp_business_profile   the business profile
//	POST   /{version}/{phone_number_id}/whatsapp_business_profile   change it (profile_picture_handle: the photo)
//	POST   /{version}/app/uploads                     open a Resumable Upload session
//	POST   /{version}/upload:{id}?sig=                upload its data (file_offset: 0) -> {"h": handle}
//	POST   /_control/inbound                          inject a customer's message
//	GET    /_control/sent                             the messages sent so far
//	GET    /healthz                                   liveness
//
// After each accepted send it POSTs the message's sent, delivered and read
// statuses to -webhook, signed with -app-secret as Meta signs them, retrying
// with exponential backoff while wamux does not answer 200. A recipient
// starting with "000" is refused with error 131026 (undeliverable), so tests
// can provoke a provider error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wamux/wamux/internal/waba"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "wabasim:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
}

// run parses args, serves until ctx ends, then shuts down gracefully. If
// ready is not nil it receives the listening address.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("wabasim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defaults := waba.DefaultBusiness()
	var (
		addr          = fs.String("addr", "127.0.0.1:9090", "listen address")
		webhook       = fs.String("webhook", "", "wamux's inbound webhook URL, e.g. http://127.0.0.1:8080/api/v1/waba/webhook/")
		appSecret     = fs.String("app-secret", "", "app secret that signs webhooks (X-Hub-Signature-256); empty sends them unsigned")
		token         = fs.String("token", "", "bearer token the API requires; empty accepts any")
		phoneNumberID = fs.String("phone-number-id", defaults.PhoneNumberID, "the business number's phone number id")
		wabaID        = fs.String("waba-id", defaults.WABAID, "the WhatsApp Business Account id (entry[].id, message_templates)")
		display       = fs.String("display-phone-number", defaults.DisplayPhoneNumber, "the business number as displayed (metadata.display_phone_number)")
		statusDelay   = fs.Duration("status-delay", waba.DefaultSandboxDelay, "wait before each of the sent, delivered and read statuses")
		maxAttempts   = fs.Int("max-attempts", 8, "attempts per status webhook before giving up")
		retryBackoff  = fs.Duration("retry-backoff", 500*time.Millisecond, "wait before the first retry of a webhook; doubles up to 30s")
		logLevel      = fs.String("log-level", "info", "debug, info, warn or error")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *webhook != "" {
		if u, err := url.Parse(*webhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-webhook %q is not an absolute http(s) URL", *webhook)
		}
	}
	if *maxAttempts < 1 {
		return errors.New("-max-attempts must be at least 1")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if *webhook == "" {
		logger.WarnContext(ctx, "no -webhook: statuses are not delivered and /_control/inbound is refused")
	}
	if *appSecret == "" {
		logger.WarnContext(ctx, "no -app-secret: webhooks are sent without X-Hub-Signature-256")
	}

	sim := newSimulator(simConfig{
		Webhook:      *webhook,
		AppSecret:    *appSecret,
		Token:        *token,
		Business:     waba.Business{WABAID: *wabaID, PhoneNumberID: *phoneNumberID, DisplayPhoneNumber: *display},
		StatusDelay:  *statusDelay,
		MaxAttempts:  *maxAttempts,
		RetryBackoff: *retryBackoff,
	}, logger)
	defer sim.Close()

	srv := &http.Server{
		Handler:           sim.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// Long enough for a 100 MiB media upload or download.
		ReadTimeout:  5 * time.Minute,
		WriteTimeout: 5 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.InfoContext(ctx, "wabasim listening", "addr", ln.Addr().String(), "webhook", *webhook,
		"phone_number_id", *phoneNumberID, "waba_id", *wabaID)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Pending status webhooks are dropped: the simulated provider is gone.
	sim.Close()
	logger.Info("stopped")
	return nil
}

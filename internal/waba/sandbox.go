package waba

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Sandbox defaults.
const (
	// DefaultSandboxDelay is the wait before each simulated status.
	DefaultSandboxDelay = 200 * time.Millisecond
	// DefaultSandboxAttempts is how often a status is offered to Deliver.
	DefaultSandboxAttempts = 5
	// DefaultSandboxRetryBackoff is the wait before the first retry of a
	// failed delivery; it doubles with each retry, up to 30s.
	DefaultSandboxRetryBackoff = 500 * time.Millisecond
	// DefaultSandboxMediaBytes bounds the media a sandbox keeps in memory.
	DefaultSandboxMediaBytes = 256 << 20

	maxSandboxRetryBackoff = 30 * time.Second
)

// SandboxConfig configures the in-process sandbox provider.
type SandboxConfig struct {
	// Deliver receives each simulated webhook body, as the provider would
	// POST it. It is wamux's own inbound path, so that simulated statuses
	// travel the real route. A nil Deliver drops them. An error is retried
	// with a growing backoff, MaxAttempts times in all.
	Deliver func(ctx context.Context, body []byte) error
	// Delay is the wait before each of the sent, delivered and read
	// statuses of a message; zero means DefaultSandboxDelay, negative none.
	Delay time.Duration
	// Logger receives delivery failures; nil discards them.
	Logger *slog.Logger
	// Business names the number in the envelopes; zero fields take
	// DefaultBusiness's.
	Business Business
	// MaxAttempts is how often a status is offered to Deliver; zero means
	// DefaultSandboxAttempts.
	MaxAttempts int
	// RetryBackoff is the wait before the first retry; zero means
	// DefaultSandboxRetryBackoff.
	RetryBackoff time.Duration
	// MaxMediaBytes bounds the uploaded media kept in memory; the oldest
	// files are forgotten first. Zero means DefaultSandboxMediaBytes.
	MaxMediaBytes int64
}

// Sandbox is a Provider that sends nothing anywhere. It accepts every
// well-formed send, answers like the Cloud API, and then reports the
// message sent, delivered and read through Deliver, in Cloud API
// envelopes. It keeps uploaded media in memory. It is safe for concurrent
// use; Close stops the pending deliveries.
type Sandbox struct {
	cfg    SandboxConfig
	logger *slog.Logger
	// ctx is cancelled by Close; every delivery runs under it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	media      map[string]sandboxMedia
	mediaOrder []string
	mediaBytes int64

	// account is the in-memory business account (sandbox_account.go).
	account *sandboxAccount
}

type sandboxMedia struct {
	data     []byte
	mimeType string
	filename string
}

var _ Provider = (*Sandbox)(nil)

// NewSandbox returns a sandbox provider. Close it to stop its deliveries.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	if cfg.Delay == 0 {
		cfg.Delay = DefaultSandboxDelay
	}
	cfg.Delay = max(cfg.Delay, 0)
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultSandboxAttempts
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = DefaultSandboxRetryBackoff
	}
	if cfg.MaxMediaBytes <= 0 {
		cfg.MaxMediaBytes = DefaultSandboxMediaBytes
	}
	cfg.Business = cfg.Business.withDefaults()
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Sandbox{
		cfg:     cfg,
		logger:  logger.With("provider", "sandbox"),
		ctx:     ctx,
		cancel:  cancel,
		media:   map[string]sandboxMedia{},
		account: newSandboxAccount(),
	}
}

// Name implements Provider.
func (s *Sandbox) Name() string { return "sandbox" }

// Business returns the business number the sandbox's envelopes name.
func (s *Sandbox) Business() Business { return s.cfg.Business }

// Send implements Provider. A malformed message (no recipient, type or
// body) is refused with the Cloud API's error 100; anything else is
// accepted and later reported sent, delivered and read.
func (s *Sandbox) Send(ctx context.Context, msg OutgoingMessage) (SendResult, error) {
	if err := ctx.Err(); err != nil {
		return SendResult{}, fmt.Errorf("sandbox: send: %w", err)
	}
	request, err := sendRequestBody(msg)
	if err != nil {
		return SendResult{}, invalidParameter(err.Error())
	}
	id := NewOutboundMessageID(msg.To)
	category := "service"
	answer := sendAnswerJSON{
		MessagingProduct: "whatsapp",
		Contacts:         []sendContactJSON{{Input: msg.To, WaID: msg.To}},
		Messages:         []sendMessageJSON{{ID: id}},
	}
	if msg.Type == "template" || msg.Type == "hsm" {
		// Which category a template bills as depends on its approval;
		// utility is the common case for what a shared inbox sends.
		category = "utility"
		answer.Messages[0].MessageStatus = "accepted"
	}
	response, err := json.Marshal(answer)
	if err != nil {
		return SendResult{}, fmt.Errorf("sandbox: send: %w", err)
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return SendResult{}, errors.New("sandbox: send: the sandbox is closed")
	}
	if s.cfg.Deliver != nil {
		s.wg.Add(1)
		go s.reportStatuses(id, msg.To, category)
	}
	s.mu.Unlock()
	return SendResult{MessageID: id, Response: response, Request: request}, nil
}

// reportStatuses delivers the sent, delivered and read statuses of one
// message, in that order, each after the configured delay.
func (s *Sandbox) reportStatuses(id, to, category string) {
	defer s.wg.Done()
	conversation := NewConversationID()
	for _, status := range []string{"sent", "delivered", "read"} {
		if !s.sleep(s.cfg.Delay) {
			return
		}
		body, err := BuildStatusEnvelope(s.cfg.Business, StatusUpdate{
			MessageID:      id,
			RecipientID:    to,
			Status:         status,
			Time:           time.Now(),
			Category:       category,
			ConversationID: conversation,
		})
		if err != nil {
			s.logger.ErrorContext(s.ctx, "build status envelope", "message_id", id, "error", err)
			return
		}
		if !s.deliver(body, "message_id", id, "status", status) {
			return
		}
	}
}

// deliver offers body to Deliver until it is taken or the attempts run
// out. It reports false when the sandbox is closing.
func (s *Sandbox) deliver(body []byte, logArgs ...any) bool {
	backoff := s.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := s.cfg.Deliver(s.ctx, body)
		if err == nil {
			return true
		}
		if s.ctx.Err() != nil {
			return false
		}
		args := append([]any{"attempt", attempt, "error", err}, logArgs...)
		if attempt >= s.cfg.MaxAttempts {
			s.logger.ErrorContext(s.ctx, "sandbox delivery failed; giving up", args...)
			// The next status is still offered: a real provider does not
			// hold later statuses back either.
			return true
		}
		s.logger.WarnContext(s.ctx, "sandbox delivery failed; retrying", append(args, "retry_in", backoff)...)
		if !s.sleep(backoff) {
			return false
		}
		backoff = min(2*backoff, maxSandboxRetryBackoff)
	}
}

// sleep waits d, or reports false as soon as the sandbox is closed.
func (s *Sandbox) sleep(d time.Duration) bool {
	if d <= 0 {
		return s.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// UploadMedia implements Provider: the bytes are kept in memory under a
// new Cloud-style media id.
func (s *Sandbox) UploadMedia(ctx context.Context, data []byte, mimeType, filename string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("sandbox: upload media: %w", err)
	}
	if len(data) == 0 {
		return "", errors.New("sandbox: upload media: no data")
	}
	if int64(len(data)) > min(MaxMediaBytes, s.cfg.MaxMediaBytes) {
		return "", fmt.Errorf("sandbox: upload media: %d bytes exceed the limit", len(data))
	}
	if mimeType == "" {
		mimeType = http.DetectContentType(data)
	}
	id := NewMediaID()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = sandboxMedia{data: append([]byte(nil), data...), mimeType: mimeType, filename: filename}
	s.mediaOrder = append(s.mediaOrder, id)
	s.mediaBytes += int64(len(data))
	for s.mediaBytes > s.cfg.MaxMediaBytes && len(s.mediaOrder) > 1 {
		oldest := s.mediaOrder[0]
		s.mediaOrder = s.mediaOrder[1:]
		s.mediaBytes -= int64(len(s.media[oldest].data))
		delete(s.media, oldest)
	}
	return id, nil
}

// DownloadMedia implements Provider. An unknown id is refused as the
// Cloud API refuses it.
func (s *Sandbox) DownloadMedia(ctx context.Context, mediaID string) ([]byte, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("sandbox: download media: %w", err)
	}
	s.mu.Lock()
	m, ok := s.media[mediaID]
	s.mu.Unlock()
	if !ok {
		return nil, "", unknownObject(mediaID)
	}
	return append([]byte(nil), m.data...), m.mimeType, nil
}

// InboundText returns a Cloud API webhook body carrying a text message
// from the customer from (wa_id) with the profile name name, as if the
// customer had just written it; feed it to wamux's inbound path to
// simulate a customer. It returns nil if from is empty.
func (s *Sandbox) InboundText(from, name, text string) []byte {
	return s.InboundMessage(from, name, map[string]any{"type": "text", "text": map[string]any{"body": text}})
}

// InboundMessage is InboundText for any message type: msg is a Cloud API
// message object without "from", "id" and "timestamp" (see
// BuildInboundEnvelope). It returns nil, and logs why, if the message
// cannot be built (no from, no type, a value that is not JSON).
func (s *Sandbox) InboundMessage(from, name string, msg map[string]any) []byte {
	body, _, err := BuildInboundEnvelope(s.cfg.Business, from, name, msg, time.Now())
	if err != nil {
		s.logger.ErrorContext(s.ctx, "build inbound message", "from", from, "error", err)
		return nil
	}
	return body
}

// Close stops the pending deliveries and waits until none runs; later
// sends fail. It always returns nil.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// sendAnswerJSON is the Cloud API's answer to a send, fields in its order.
type (
	sendAnswerJSON struct {
		MessagingProduct string            `json:"messaging_product"`
		Contacts         []sendContactJSON `json:"contacts"`
		Messages         []sendMessageJSON `json:"messages"`
	}
	sendContactJSON struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	}
	sendMessageJSON struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status,omitempty"`
	}
)

// invalidParameter is the Cloud API's refusal of a malformed send.
func invalidParameter(details string) *ProviderError {
	return NewGraphError(http.StatusBadRequest, 100, "(#100) Invalid parameter", details)
}

// unknownObject is the Cloud API's refusal of an id it does not know.
func unknownObject(id string) *ProviderError {
	return NewGraphError(http.StatusBadRequest, 100, fmt.Sprintf(
		"Unsupported get request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation", id), "")
}

// NewGraphError returns the *ProviderError the Cloud API's answer with
// this HTTP status, code, message and error_data.details would parse to,
// with Raw set to that answer. Fakes of the provider (the sandbox,
// cmd/wabasim, tests) use it to refuse requests as Meta does.
func NewGraphError(status, code int, message, details string) *ProviderError {
	e := graphErrorJSON{Message: message, Type: "OAuthException", Code: code, FBTraceID: "A" + randomHex(11, true)}
	if details != "" {
		e.ErrorData = &graphErrorDataJSON{MessagingProduct: "whatsapp", Details: details}
	}
	raw, _ := json.Marshal(struct {
		Error graphErrorJSON `json:"error"`
	}{e}) // cannot fail: strings and ints only
	return &ProviderError{HTTPStatus: status, Code: code, Message: joinDetails(message, details), Raw: raw}
}

type (
	graphErrorJSON struct {
		Message   string              `json:"message"`
		Type      string              `json:"type"`
		Code      int                 `json:"code"`
		ErrorData *graphErrorDataJSON `json:"error_data,omitempty"`
		FBTraceID string              `json:"fbtrace_id"`
	}
	graphErrorDataJSON struct {
		MessagingProduct string `json:"messaging_product"`
		Details          string `json:"details"`
	}
)

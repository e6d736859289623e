package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wamux/wamux/internal/waba"
)

const (
	// maxSent bounds the sent messages kept for GET /_control/sent.
	maxSent = 10000
	// maxWebhookAnswer bounds how much of wamux's answer is read.
	maxWebhookAnswer = 64 << 10
)

// simConfig configures a simulator.
type simConfig struct {
	// Webhook is wamux's inbound URL; empty delivers nothing.
	Webhook string
	// AppSecret signs the webhooks; empty sends them unsigned.
	AppSecret string
	// Token is the bearer token the API wants; empty accepts any.
	Token string
	// Business is the number the simulator plays.
	Business waba.Business
	// StatusDelay, MaxAttempts and RetryBackoff shape the status webhooks
	// (see waba.SandboxConfig).
	StatusDelay  time.Duration
	MaxAttempts  int
	RetryBackoff time.Duration
	// Client posts the webhooks; nil means one with a 10s timeout.
	Client *http.Client
}

// simulator is the fake provider: the Cloud API's HTTP surface in front of
// a waba.Sandbox, whose deliveries it POSTs, signed, to wamux.
type simulator struct {
	cfg     simConfig
	logger  *slog.Logger
	client  *http.Client
	sandbox *waba.Sandbox

	mu        sync.Mutex
	sent      []sentMessage
	templates []template
}

// sentMessage is one accepted send, as GET /_control/sent lists it.
type sentMessage struct {
	ID         string          `json:"id"`
	To         string          `json:"to"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	ReceivedAt time.Time       `json:"received_at"`
}

// template is a message template as the Graph API lists it.
type template struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Language   string          `json:"language"`
	Status     string          `json:"status"`
	Category   string          `json:"category"`
	Components json.RawMessage `json:"components,omitempty"`
}

func newSimulator(cfg simConfig, logger *slog.Logger) *simulator {
	s := &simulator{cfg: cfg, logger: logger, client: cfg.Client}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	var deliver func(context.Context, []byte) error
	if cfg.Webhook != "" {
		deliver = s.deliverStatus
	}
	s.sandbox = waba.NewSandbox(waba.SandboxConfig{
		Deliver:      deliver,
		Delay:        cfg.StatusDelay,
		Logger:       logger,
		Business:     cfg.Business,
		MaxAttempts:  cfg.MaxAttempts,
		RetryBackoff: cfg.RetryBackoff,
	})
	// The sandbox fills in the defaults of an incomplete business number.
	s.cfg.Business = s.sandbox.Business()
	return s
}

// Close stops the pending status webhooks.
func (s *simulator) Close() { _ = s.sandbox.Close() }

// Handler returns the simulator's routes.
func (s *simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{version}/{phone}/messages", s.authorized(s.handleSend))
	mux.HandleFunc("POST /{version}/{phone}/media", s.authorized(s.handleUpload))
	mux.HandleFunc("GET /{version}/{media}", s.authorized(s.handleMediaInfo))
	mux.HandleFunc("GET /_media/{media}", s.authorized(s.handleMediaBytes))
	mux.HandleFunc("GET /{version}/{waba}/message_templates", s.authorized(s.handleListTemplates))
	mux.HandleFunc("POST /{version}/{waba}/message_templates", s.authorized(s.handleCreateTemplate))
	mux.HandleFunc("DELETE /{version}/{waba}/message_templates", s.authorized(s.handleDeleteTemplate))
	mux.HandleFunc("POST /_control/inbound", s.handleInbound)
	mux.HandleFunc("GET /_control/sent", s.handleSent)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// authorized checks the bearer token the way the Graph API does, when one
// is configured.
func (s *simulator) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
				writeGraphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token", "")
				return
			}
		}
		next(w, r)
	}
}

// handleSend accepts a send the way the Cloud API validates it, then lets
// the sandbox answer and report its statuses.
func (s *simulator) handleSend(w http.ResponseWriter, r *http.Request) {
	if !s.ownNumber(w, r) {
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, waba.MaxJSONBytes))
	if err != nil {
		writeInvalidParameter(w, "Request body too large or unreadable.")
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		writeInvalidParameter(w, "The request body is not a JSON object.")
		return
	}
	if str(body, "messaging_product") != "whatsapp" {
		writeInvalidParameter(w, "Parameter messaging_product is required and must be \"whatsapp\".")
		return
	}
	// Marking a received message as read shares the endpoint.
	if str(body, "status") == "read" {
		if str(body, "message_id") == "" {
			writeInvalidParameter(w, "Parameter message_id is required.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return
	}
	to, typ := str(body, "to"), str(body, "type")
	switch {
	case to == "":
		writeInvalidParameter(w, "Parameter 'to' is required.")
		return
	case typ == "":
		writeInvalidParameter(w, "Parameter 'type' is required.")
		return
	case len(bytes.TrimSpace(body[typ])) == 0 || string(bytes.TrimSpace(body[typ])) == "null":
		writeInvalidParameter(w, fmt.Sprintf("Parameter '%s' is required for messages of type '%s'.", typ, typ))
		return
	}
	if strings.HasPrefix(to, "000") {
		writeGraphError(w, http.StatusBadRequest, 131026, "(#131026) Message Undeliverable", "Message Undeliverable.")
		return
	}
	msg := waba.OutgoingMessage{To: to, Type: typ, Body: body[typ], Context: body["context"]}
	res, err := s.sandbox.Send(r.Context(), msg)
	if err != nil {
		var pe *waba.ProviderError
		if errors.As(err, &pe) {
			writeRaw(w, pe.HTTPStatus, pe.Raw)
			return
		}
		s.logger.ErrorContext(r.Context(), "send", "error", err)
		writeGraphError(w, http.StatusInternalServerError, 1, "An unknown error occurred", "")
		return
	}
	s.mu.Lock()
	s.sent = append(s.sent, sentMessage{ID: res.MessageID, To: to, Type: typ, Payload: raw, ReceivedAt: time.Now().UTC()})
	if len(s.sent) > maxSent {
		s.sent = slices.Clone(s.sent[len(s.sent)-maxSent:])
	}
	s.mu.Unlock()
	s.logger.InfoContext(r.Context(), "message accepted", "message_id", res.MessageID, "to", to, "type", typ)
	writeRaw(w, http.StatusOK, res.Response)
}

// ownNumber refuses requests for another phone number id, as the Graph API
// refuses ids it does not know.
func (s *simulator) ownNumber(w http.ResponseWriter, r *http.Request) bool {
	if id := r.PathValue("phone"); id != s.cfg.Business.PhoneNumberID {
		writeGraphError(w, http.StatusBadRequest, 100, fmt.Sprintf(
			"Unsupported post request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation", id), "")
		return false
	}
	return true
}

func (s *simulator) handleUpload(w http.ResponseWriter, r *http.Request) {
	if !s.ownNumber(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, waba.MaxMediaBytes+1<<20)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeInvalidParameter(w, "The request is not a multipart form within the size limit.")
		return
	}
	defer r.MultipartForm.RemoveAll()
	if r.FormValue("messaging_product") != "whatsapp" {
		writeInvalidParameter(w, "Parameter messaging_product is required and must be \"whatsapp\".")
		return
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		writeInvalidParameter(w, "Parameter file is required.")
		return
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		writeInvalidParameter(w, "The file could not be read.")
		return
	}
	mimeType := r.FormValue("type")
	if mimeType == "" {
		mimeType = header.Header.Get("Content-Type")
	}
	id, err := s.sandbox.UploadMedia(r.Context(), data, mimeType, header.Filename)
	if err != nil {
		writeInvalidParameter(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

func (s *simulator) handleMediaInfo(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("media")
	data, mimeType, err := s.sandbox.DownloadMedia(r.Context(), id)
	if err != nil {
		writeProviderError(w, err)
		return
	}
	sum := sha256.Sum256(data)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		// Meta's URL is on its media host and needs the same token; this
		// one is on the simulator itself.
		"url":       scheme + "://" + r.Host + "/_media/" + id,
		"mime_type": mimeType,
		"sha256":    base64.StdEncoding.EncodeToString(sum[:]),
		"file_size": len(data),
		"id":        id,
	})
}

func (s *simulator) handleMediaBytes(w http.ResponseWriter, r *http.Request) {
	data, mimeType, err := s.sandbox.DownloadMedia(r.Context(), r.PathValue("media"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// ownAccount refuses template requests for another business account.
func (s *simulator) ownAccount(w http.ResponseWriter, r *http.Request) bool {
	if id := r.PathValue("waba"); id != s.cfg.Business.WABAID {
		writeGraphError(w, http.StatusBadRequest, 100, fmt.Sprintf(
			"Unsupported request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation", id), "")
		return false
	}
	return true
}

func (s *simulator) handleListTemplates(w http.ResponseWriter, r *http.Request) {
	if !s.ownAccount(w, r) {
		return
	}
	name := r.URL.Query().Get("name")
	s.mu.Lock()
	data := make([]template, 0, len(s.templates))
	for _, t := range s.templates {
		if name == "" || t.Name == name {
			data = append(data, t)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"data":   data,
		"paging": map[string]any{"cursors": map[string]string{"before": "MAZDZD", "after": "MjQZD"}},
	})
}

// validTemplateName reports whether the Graph API accepts name: lowercase
// letters, digits and underscores, at most 512 of them.
func validTemplateName(name string) bool {
	if name == "" || len(name) > 512 {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

func (s *simulator) handleCreateTemplate(w http.ResponseWriter, r *http.Request) {
	if !s.ownAccount(w, r) {
		return
	}
	var in struct {
		Name       string          `json:"name"`
		Language   string          `json:"language"`
		Category   string          `json:"category"`
		Components json.RawMessage `json:"components"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, waba.MaxJSONBytes)).Decode(&in); err != nil {
		writeInvalidParameter(w, "The request body is not a template object.")
		return
	}
	switch {
	case !validTemplateName(in.Name):
		writeInvalidParameter(w, "Parameter name is required and may only contain lowercase letters, digits and underscores.")
		return
	case in.Language == "":
		writeInvalidParameter(w, "Parameter language is required.")
		return
	}
	category := strings.ToUpper(in.Category)
	if category != "AUTHENTICATION" && category != "MARKETING" && category != "UTILITY" {
		writeInvalidParameter(w, "Parameter category must be AUTHENTICATION, MARKETING or UTILITY.")
		return
	}
	t := template{ID: randomDigits(15), Name: in.Name, Language: in.Language, Status: "APPROVED", Category: category, Components: in.Components}
	s.mu.Lock()
	exists := slices.ContainsFunc(s.templates, func(o template) bool { return o.Name == t.Name && o.Language == t.Language })
	if !exists {
		s.templates = append(s.templates, t)
	}
	s.mu.Unlock()
	if exists {
		writeGraphError(w, http.StatusBadRequest, 100, "Invalid parameter",
			fmt.Sprintf("Content in this language already exists: there is already %s content for %s.", t.Language, t.Name))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": t.ID, "status": t.Status, "category": t.Category})
}

func (s *simulator) handleDeleteTemplate(w http.ResponseWriter, r *http.Request) {
	if !s.ownAccount(w, r) {
		return
	}
	name, hsmID := r.URL.Query().Get("name"), r.URL.Query().Get("hsm_id")
	if name == "" {
		writeInvalidParameter(w, "Parameter name is required.")
		return
	}
	s.mu.Lock()
	before := len(s.templates)
	// Like the Graph API: by name, every language; with hsm_id, that one.
	s.templates = slices.DeleteFunc(s.templates, func(t template) bool {
		return t.Name == name && (hsmID == "" || t.ID == hsmID)
	})
	deleted := before - len(s.templates)
	s.mu.Unlock()
	if deleted == 0 {
		writeGraphError(w, http.StatusBadRequest, 100, "Invalid parameter", fmt.Sprintf("Message template %q not found.", name))
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// handleInbound injects a customer's message: it builds the envelope Meta
// would send and POSTs it, signed, to wamux, once, answering wamux's
// status code.
func (s *simulator) handleInbound(w http.ResponseWriter, r *http.Request) {
	var in struct {
		From    string         `json:"from"`
		Name    string         `json:"name"`
		Text    *string        `json:"text"`
		Message map[string]any `json:"message"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, waba.MaxJSONBytes)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be {\"from\", \"name\", \"text\"} or {\"from\", \"name\", \"message\"}: " + err.Error()})
		return
	}
	if s.cfg.Webhook == "" {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "wabasim runs without -webhook"})
		return
	}
	msg := in.Message
	switch {
	case in.Text != nil && msg != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `give "text" or "message", not both`})
		return
	case in.Text != nil:
		msg = map[string]any{"type": "text", "text": map[string]any{"body": *in.Text}}
	case msg == nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `"text" or "message" is required`})
		return
	}
	body, id, err := waba.BuildInboundEnvelope(s.cfg.Business, in.From, in.Name, msg, time.Now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	status, err := s.post(r.Context(), body)
	if err != nil {
		s.logger.WarnContext(r.Context(), "inbound webhook failed", "message_id", id, "error", err)
		writeJSON(w, http.StatusBadGateway, map[string]any{"id": id, "error": err.Error()})
		return
	}
	s.logger.InfoContext(r.Context(), "inbound message posted", "message_id", id, "from", in.From, "status", status)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": status})
}

func (s *simulator) handleSent(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	sent := slices.Clone(s.sent)
	s.mu.Unlock()
	if sent == nil {
		sent = []sentMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": sent})
}

// deliverStatus is the sandbox's Deliver: a status webhook counts as
// delivered only when wamux answers 200, as with Meta; anything else is
// retried by the sandbox.
func (s *simulator) deliverStatus(ctx context.Context, body []byte) error {
	status, err := s.post(ctx, body)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("webhook answered %d", status)
	}
	s.logger.DebugContext(ctx, "status webhook delivered")
	return nil
}

// post sends one webhook body to wamux, signed, and returns its status.
func (s *simulator) post(ctx context.Context, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Webhook, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	if s.cfg.AppSecret != "" {
		req.Header.Set(waba.SignatureHeader, waba.Sign(body, s.cfg.AppSecret))
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("webhook: %w", err)
	}
	defer res.Body.Close()
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxWebhookAnswer))
	return res.StatusCode, nil
}

func str(body map[string]json.RawMessage, key string) string {
	var s string
	if err := json.Unmarshal(body[key], &s); err != nil {
		return ""
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "marshal: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeInvalidParameter(w http.ResponseWriter, details string) {
	writeGraphError(w, http.StatusBadRequest, 100, "(#100) Invalid parameter", details)
}

func writeProviderError(w http.ResponseWriter, err error) {
	var pe *waba.ProviderError
	if errors.As(err, &pe) && pe.Raw != nil {
		writeRaw(w, pe.HTTPStatus, pe.Raw)
		return
	}
	writeGraphError(w, http.StatusInternalServerError, 1, "An unknown error occurred", "")
}

// writeGraphError answers in the Graph API's error format.
func writeGraphError(w http.ResponseWriter, status, code int, message, details string) {
	pe := waba.NewGraphError(status, code, message, details)
	writeRaw(w, pe.HTTPStatus, pe.Raw)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead.
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

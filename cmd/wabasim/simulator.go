package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
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

	// namespace is the account's message template namespace.
	namespace string

	mu        sync.Mutex
	sent      []sentMessage
	templates []template
	// uploads are the open Resumable Upload sessions by id, handles the
	// finished uploads by handle; photoID is the media id under which the
	// profile photo is served (GET /_media/{id}), "" without a photo.
	uploads map[string]uploadSession
	handles map[string]upload
	photoID string
}

// uploadSession is an upload announced by POST /{version}/app/uploads.
type uploadSession struct {
	length   int
	fileType string
}

// upload is the data of a finished upload.
type upload struct {
	data     []byte
	fileType string
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
	s := &simulator{cfg: cfg, logger: logger, client: cfg.Client, namespace: randomHex(4) + "_" + randomHex(2) + "_" + randomHex(2) + "_" + randomHex(2) + "_" + randomHex(6),
		uploads: map[string]uploadSession{}, handles: map[string]upload{}}
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
	mux.HandleFunc("GET /{version}/{phone}/whatsapp_business_profile", s.authorized(s.handleGetProfile))
	mux.HandleFunc("POST /{version}/{phone}/whatsapp_business_profile", s.authorized(s.handleUpdateProfile))
	mux.HandleFunc("POST /{version}/app/uploads", s.authorized(s.handleStartUpload))
	mux.HandleFunc("POST /{version}/{session}", s.authorized(s.handleUploadData))
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
			if !ok && strings.HasPrefix(r.URL.Path, "/"+r.PathValue("version")+"/upload:") {
				// The Resumable Upload API's data request takes "OAuth <token>".
				got, ok = strings.CutPrefix(r.Header.Get("Authorization"), "OAuth ")
			}
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
	if id == s.cfg.Business.WABAID {
		// The account node itself: GET /{waba_id}?fields=message_template_namespace.
		writeJSON(w, http.StatusOK, map[string]string{"message_template_namespace": s.namespace, "id": id})
		return
	}
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
	q := r.URL.Query()
	name := q.Get("name")
	limit, err := strconv.Atoi(q.Get("limit"))
	if q.Get("limit") == "" {
		limit, err = 25, nil // the Graph API's default page size
	}
	if err != nil || limit < 1 {
		writeInvalidParameter(w, "Parameter limit must be a positive integer.")
		return
	}
	// Cursors are opaque to clients; here they are the base64 of an index.
	start := 0
	if after := q.Get("after"); after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		if start, _ = strconv.Atoi(string(b)); err != nil || start < 1 {
			writeInvalidParameter(w, "Parameter after is not a valid cursor.")
			return
		}
	}
	s.mu.Lock()
	var matching []template
	for _, t := range s.templates {
		if name == "" || t.Name == name {
			matching = append(matching, t)
		}
	}
	s.mu.Unlock()
	data := []template{}
	if start < len(matching) {
		data = matching[start:min(start+limit, len(matching))]
	}
	cursor := func(i int) string { return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(i))) }
	paging := map[string]any{"cursors": map[string]string{"before": cursor(start), "after": cursor(start + len(data))}}
	if start+len(data) < len(matching) {
		next := *r.URL
		nq := next.Query()
		nq.Set("after", cursor(start+len(data)))
		next.RawQuery = nq.Encode()
		paging["next"] = "http://" + r.Host + next.RequestURI()
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "paging": paging})
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

// handleGetProfile answers the business profile as the Graph API does:
// {"data": [{...}]}, with the fields asked for (all when none are named).
func (s *simulator) handleGetProfile(w http.ResponseWriter, r *http.Request) {
	if !s.ownNumber(w, r) {
		return
	}
	p, err := s.sandbox.BusinessProfile(r.Context())
	if err != nil {
		writeProviderError(w, err)
		return
	}
	s.mu.Lock()
	photoID := s.photoID
	s.mu.Unlock()
	all := map[string]any{
		"about": p.About, "address": p.Address, "description": p.Description, "email": p.Email,
		"vertical": p.Vertical, "websites": p.Websites,
	}
	if photoID != "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		all["profile_picture_url"] = scheme + "://" + r.Host + "/_media/" + photoID
	}
	out := map[string]any{"messaging_product": "whatsapp"}
	fields := strings.Split(r.URL.Query().Get("fields"), ",")
	for k, v := range all {
		if r.URL.Query().Get("fields") == "" || slices.Contains(fields, k) {
			out[k] = v
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{out}})
}

// handleUpdateProfile changes the fields sent, checked as the Graph API
// checks them; profile_picture_handle sets the photo of a finished upload.
func (s *simulator) handleUpdateProfile(w http.ResponseWriter, r *http.Request) {
	if !s.ownNumber(w, r) {
		return
	}
	var in struct {
		MessagingProduct     string    `json:"messaging_product"`
		About                *string   `json:"about"`
		Address              *string   `json:"address"`
		Description          *string   `json:"description"`
		Email                *string   `json:"email"`
		Vertical             *string   `json:"vertical"`
		Websites             *[]string `json:"websites"`
		ProfilePictureHandle string    `json:"profile_picture_handle"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, waba.MaxJSONBytes)).Decode(&in); err != nil {
		writeInvalidParameter(w, "The request body is not a business profile object.")
		return
	}
	if in.MessagingProduct != "whatsapp" {
		writeInvalidParameter(w, "Parameter messaging_product is required and must be \"whatsapp\".")
		return
	}
	var photo upload
	if in.ProfilePictureHandle != "" {
		s.mu.Lock()
		var ok bool
		photo, ok = s.handles[in.ProfilePictureHandle]
		s.mu.Unlock()
		if !ok {
			writeInvalidParameter(w, "Parameter profile_picture_handle is not the handle of an upload.")
			return
		}
		if err := s.sandbox.SetProfilePhoto(r.Context(), photo.data, photo.fileType); err != nil {
			writeProviderError(w, err)
			return
		}
	}
	update := waba.ProfileUpdate{About: in.About, Address: in.Address, Description: in.Description, Email: in.Email, Vertical: in.Vertical, Websites: in.Websites}
	if err := s.sandbox.UpdateBusinessProfile(r.Context(), update); err != nil {
		writeProviderError(w, err)
		return
	}
	if in.ProfilePictureHandle != "" {
		id, err := s.sandbox.UploadMedia(r.Context(), photo.data, photo.fileType, "profile")
		if err != nil {
			writeProviderError(w, err)
			return
		}
		s.mu.Lock()
		s.photoID = id
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// handleStartUpload opens a Resumable Upload session:
// ?file_length=&file_type=&file_name= -> {"id": "upload:<id>?sig=<sig>"}.
func (s *simulator) handleStartUpload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	length, err := strconv.Atoi(q.Get("file_length"))
	if err != nil || length < 1 || length > waba.MaxMediaBytes {
		writeInvalidParameter(w, "Parameter file_length must be a positive integer within the size limit.")
		return
	}
	fileType := q.Get("file_type")
	if fileType != "image/jpeg" && fileType != "image/png" && fileType != "video/mp4" && fileType != "application/pdf" {
		writeInvalidParameter(w, "Parameter file_type must be image/jpeg, image/png, video/mp4 or application/pdf.")
		return
	}
	id := "upload:" + randomHex(16) + "?sig=" + randomHex(8)
	s.mu.Lock()
	s.uploads[id] = uploadSession{length: length, fileType: fileType}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

// handleUploadData takes the data of an upload session (POST /{version}/upload:<id>?sig=)
// in one piece and answers its handle: {"h": "<handle>"}.
func (s *simulator) handleUploadData(w http.ResponseWriter, r *http.Request) {
	session := r.PathValue("session")
	if !strings.HasPrefix(session, "upload:") {
		writeGraphError(w, http.StatusBadRequest, 100, fmt.Sprintf(
			"Unsupported post request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation", session), "")
		return
	}
	id := session + "?sig=" + r.URL.Query().Get("sig")
	s.mu.Lock()
	up, ok := s.uploads[id]
	s.mu.Unlock()
	switch {
	case !ok:
		writeInvalidParameter(w, "No upload session has this id and signature.")
		return
	case r.Header.Get("file_offset") != "0":
		writeInvalidParameter(w, "Header file_offset must be 0: wabasim takes an upload in one piece.")
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(up.length)+1))
	if err != nil || len(data) != up.length {
		writeInvalidParameter(w, fmt.Sprintf("The upload must have exactly file_length (%d) bytes.", up.length))
		return
	}
	handle := "4::" + base64.StdEncoding.EncodeToString([]byte(up.fileType)) + ":" + randomHex(24)
	s.mu.Lock()
	delete(s.uploads, id)
	s.handles[handle] = upload{data: data, fileType: up.fileType}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"h": handle})
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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead.
	return hex.EncodeToString(b)
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

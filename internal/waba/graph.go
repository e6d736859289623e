package waba

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Limits and defaults of the HTTP providers.
const (
	// DefaultTimeout bounds each JSON request to a provider.
	DefaultTimeout = 15 * time.Second
	// DefaultMediaTimeout bounds each media upload or download, which may
	// move up to MaxMediaBytes.
	DefaultMediaTimeout = 2 * time.Minute
	// MaxJSONBytes bounds a provider's JSON answer.
	MaxJSONBytes = 1 << 20
	// MaxMediaBytes bounds a media file, the Cloud API's own limit.
	MaxMediaBytes = 100 << 20

	userAgent = "wamux"
)

// graphAPI is what Meta's Cloud API and 360dialog's Cloud API flavour have
// in common: the same bodies, answers and errors at different URLs with
// different credentials.
type graphAPI struct {
	name         string
	client       *http.Client
	timeout      time.Duration
	mediaTimeout time.Duration
	// base is the parsed base URL; baseErr is why it could not be parsed,
	// returned by every call since the constructors return no error.
	base    *url.URL
	baseErr error
	// authorize sets the credentials on a request.
	authorize func(http.Header)
	// messagesURL and mediaURL are the send and upload endpoints;
	// mediaInfoURL is where a media id's download URL is looked up.
	messagesURL  string
	mediaURL     string
	mediaInfoURL func(mediaID string) string
	// downloadURL turns the URL of a media lookup into the one to GET.
	downloadURL func(raw string) (string, error)
	// profileURL is the number's whatsapp_business_profile edge.
	profileURL string
	// uploadSessionURL starts a Resumable Upload session (profile photos);
	// uploadAuthorize sets the credentials of the upload's data request.
	uploadSessionURL string
	uploadAuthorize  func(http.Header)
}

func newGraphAPI(name, baseURL, defaultBase string, client *http.Client, timeout, mediaTimeout time.Duration) *graphAPI {
	g := &graphAPI{name: name, client: redirectSafeClient(client), timeout: timeout, mediaTimeout: mediaTimeout}
	if g.timeout <= 0 {
		g.timeout = DefaultTimeout
		if client != nil && client.Timeout > 0 {
			g.timeout = client.Timeout
		}
	}
	if g.mediaTimeout <= 0 {
		g.mediaTimeout = max(DefaultMediaTimeout, g.timeout)
	}
	if baseURL == "" {
		baseURL = defaultBase
	}
	g.base, g.baseErr = parseBaseURL(baseURL)
	return g
}

// parseBaseURL accepts an absolute http(s) URL and drops a trailing slash.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute http(s) URL", raw)
	}
	return u, nil
}

// endpoint joins path segments to the base URL, escaping each.
func (g *graphAPI) endpoint(segments ...string) string {
	if g.base == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(g.base.String())
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// redirectSafeClient returns a copy of c (or of a zero client) that follows
// redirects only within one host and never from https to http: the
// requests carry a bearer token or an API key, and Go forwards custom
// headers such as D360-API-KEY to any host a redirect names.
func redirectSafeClient(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		first := via[0].URL
		if req.URL.Host != first.Host {
			return fmt.Errorf("refusing a redirect from %s to another host (%s)", first.Host, req.URL.Host)
		}
		if first.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("refusing a redirect from https to http")
		}
		return nil
	}
	return &cp
}

// Send implements Provider.
func (g *graphAPI) Send(ctx context.Context, msg OutgoingMessage) (SendResult, error) {
	if g.baseErr != nil {
		return SendResult{}, fmt.Errorf("%s: send: %w", g.name, g.baseErr)
	}
	body, err := sendRequestBody(msg)
	if err != nil {
		return SendResult{}, fmt.Errorf("%s: send: %w", g.name, err)
	}
	resp, err := g.do(ctx, g.timeout, http.MethodPost, g.messagesURL, "application/json", body, MaxJSONBytes)
	if err != nil {
		return SendResult{}, g.wrap("send", err)
	}
	var answer struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(resp.body, &answer); err != nil {
		return SendResult{}, fmt.Errorf("%s: send: the answer is not the expected JSON: %w", g.name, err)
	}
	if len(answer.Messages) == 0 || answer.Messages[0].ID == "" {
		return SendResult{}, fmt.Errorf("%s: send: the answer has no messages[0].id: %s", g.name, truncate(string(resp.body), 200))
	}
	return SendResult{MessageID: answer.Messages[0].ID, Response: resp.body, Request: body}, nil
}

// UploadMedia implements Provider with the multipart upload both APIs take.
func (g *graphAPI) UploadMedia(ctx context.Context, data []byte, mimeType, filename string) (string, error) {
	if g.baseErr != nil {
		return "", fmt.Errorf("%s: upload media: %w", g.name, g.baseErr)
	}
	if len(data) == 0 {
		return "", fmt.Errorf("%s: upload media: no data", g.name)
	}
	if len(data) > MaxMediaBytes {
		return "", fmt.Errorf("%s: upload media: %d bytes exceed the limit of %d", g.name, len(data), MaxMediaBytes)
	}
	body, contentType, err := mediaForm(data, mimeType, filename)
	if err != nil {
		return "", fmt.Errorf("%s: upload media: %w", g.name, err)
	}
	resp, err := g.do(ctx, g.mediaTimeout, http.MethodPost, g.mediaURL, contentType, body, MaxJSONBytes)
	if err != nil {
		return "", g.wrap("upload media", err)
	}
	var answer struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.body, &answer); err != nil || answer.ID == "" {
		return "", fmt.Errorf("%s: upload media: the answer has no id: %s", g.name, truncate(string(resp.body), 200))
	}
	return answer.ID, nil
}

// mediaForm builds the multipart body of a media upload.
func mediaForm(data []byte, mimeType, filename string) ([]byte, string, error) {
	if mimeType == "" {
		mimeType = http.DetectContentType(data)
	}
	if filename == "" {
		filename = "file"
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("messaging_product", "whatsapp"); err != nil {
		return nil, "", err
	}
	if err := w.WriteField("type", mimeType); err != nil {
		return nil, "", err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": filename}))
	h.Set("Content-Type", mimeType)
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// DownloadMedia implements Provider: it looks up the media id's URL, then
// fetches that URL with the same credentials.
func (g *graphAPI) DownloadMedia(ctx context.Context, mediaID string) ([]byte, string, error) {
	if g.baseErr != nil {
		return nil, "", fmt.Errorf("%s: download media: %w", g.name, g.baseErr)
	}
	if mediaID == "" {
		return nil, "", fmt.Errorf("%s: download media: empty media id", g.name)
	}
	resp, err := g.do(ctx, g.timeout, http.MethodGet, g.mediaInfoURL(mediaID), "", nil, MaxJSONBytes)
	if err != nil {
		return nil, "", g.wrap("look up media "+mediaID, err)
	}
	var info struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	}
	if err := json.Unmarshal(resp.body, &info); err != nil || info.URL == "" {
		return nil, "", fmt.Errorf("%s: look up media %s: the answer has no url: %s", g.name, mediaID, truncate(string(resp.body), 200))
	}
	target, err := g.downloadURL(info.URL)
	if err != nil {
		return nil, "", fmt.Errorf("%s: download media %s: %w", g.name, mediaID, err)
	}
	data, err := g.do(ctx, g.mediaTimeout, http.MethodGet, target, "", nil, MaxMediaBytes)
	if err != nil {
		return nil, "", g.wrap("download media "+mediaID, err)
	}
	mimeType := info.MimeType
	if mimeType == "" {
		mimeType = data.header.Get("Content-Type")
	}
	return data.body, mimeType, nil
}

// checkDownloadURL accepts the media URL a lookup answered if it is an
// absolute http(s) URL, and only https when the base URL is: the request
// to it carries the credentials.
func (g *graphAPI) checkDownloadURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("media url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("media url %q is not an absolute http(s) URL", truncate(raw, 100))
	}
	if g.base.Scheme == "https" && u.Scheme != "https" {
		return nil, fmt.Errorf("media url %q is not https", truncate(raw, 100))
	}
	return u, nil
}

// wrap adds the operation to err, except that a *ProviderError is returned
// as it is: it is the provider's answer, and callers look for it.
func (g *graphAPI) wrap(op string, err error) error {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	return fmt.Errorf("%s: %s: %w", g.name, op, err)
}

type response struct {
	header http.Header
	body   []byte
}

// do sends one request within timeout and reads at most limit bytes of
// the answer. A non-2xx answer is a *ProviderError.
func (g *graphAPI) do(ctx context.Context, timeout time.Duration, method, target, contentType string, body []byte, limit int64) (response, error) {
	return g.doWith(ctx, timeout, method, target, contentType, body, limit, g.authorize)
}

// doWith is do with the credentials (and any other headers) set by
// headers instead of g.authorize.
func (g *graphAPI) doWith(ctx context.Context, timeout time.Duration, method, target, contentType string, body []byte, limit int64, headers func(http.Header)) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, r)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("User-Agent", userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if headers != nil {
		headers(req.Header)
	}
	res, err := g.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return response{}, fmt.Errorf("read the answer (HTTP %d): %w", res.StatusCode, err)
	}
	if int64(len(data)) > limit {
		return response{}, fmt.Errorf("the answer (HTTP %d) exceeds %d bytes", res.StatusCode, limit)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return response{}, parseProviderError(res.StatusCode, data)
	}
	return response{header: res.Header, body: data}, nil
}

// parseProviderError reads an error answer. The Cloud API answers
// {"error":{"message","type","code","error_data":{"details"},"fbtrace_id"}};
// 360dialog's own gateway errors use {"errors":[{"code","title","details"}]}
// or {"meta":{"developer_message"}}; anything else keeps its text.
func parseProviderError(status int, body []byte) *ProviderError {
	pe := &ProviderError{HTTPStatus: status}
	if json.Valid(body) {
		pe.Raw = json.RawMessage(body)
	}
	var graph struct {
		Error *struct {
			Message   string `json:"message"`
			Code      int    `json:"code"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
			// The Graph API explains refusals of account management
			// (templates, profile) to people here rather than in details.
			UserMessage string `json:"error_user_msg"`
		} `json:"error"`
		Errors []struct {
			Code    int    `json:"code"`
			Title   string `json:"title"`
			Details string `json:"details"`
		} `json:"errors"`
		Meta *struct {
			DeveloperMessage string `json:"developer_message"`
		} `json:"meta"`
	}
	// A field of an unexpected type fails the decoding of that field only;
	// what was read is still used.
	_ = json.Unmarshal(body, &graph)
	switch {
	case graph.Error != nil && (graph.Error.Message != "" || graph.Error.Code != 0):
		pe.Code = graph.Error.Code
		details := graph.Error.ErrorData.Details
		if details == "" {
			details = graph.Error.UserMessage
		}
		pe.Message = joinDetails(graph.Error.Message, details)
	case len(graph.Errors) > 0:
		pe.Code = graph.Errors[0].Code
		pe.Message = joinDetails(graph.Errors[0].Title, graph.Errors[0].Details)
	case graph.Meta != nil && graph.Meta.DeveloperMessage != "":
		pe.Message = graph.Meta.DeveloperMessage
	}
	if pe.Message == "" {
		pe.Message = http.StatusText(status)
		if text := strings.TrimSpace(string(body)); text != "" {
			pe.Message += ": " + truncate(text, 200)
		}
	}
	return pe
}

func joinDetails(message, details string) string {
	switch {
	case details == "" || details == message:
		return message
	case message == "":
		return details
	default:
		return message + ": " + details
	}
}

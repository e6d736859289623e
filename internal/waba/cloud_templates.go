package waba

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Message templates on the Cloud API belong to the business account, not
// to the number:
//
//	GET    {base}/{waba_id}/message_templates?fields=...&limit=&after=
//	       -> {"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}
//	POST   {base}/{waba_id}/message_templates {name, category, language, components}
//	       -> {"id", "status", "category"}
//	DELETE {base}/{waba_id}/message_templates?name= -> {"success": true}
//	GET    {base}/{waba_id}?fields=message_template_namespace

const (
	// templateFields are the fields of a template wamux reads.
	templateFields = "name,status,category,language,components,rejected_reason"
	// templatePageSize is how many templates one list request asks for.
	templatePageSize = 250
	// maxTemplatePages bounds the pages one listing follows.
	maxTemplatePages = 100
)

// cloudTemplates is the Cloud API's template state: the account id, and
// the account's template namespace once it has been read.
type cloudTemplates struct {
	wabaID string

	mu        sync.Mutex
	namespace string
}

// templateJSON is a template as both APIs list it.
type templateJSON struct {
	ID             string          `json:"id,omitempty"`
	Name           string          `json:"name"`
	Category       string          `json:"category"`
	Language       string          `json:"language"`
	Components     json.RawMessage `json:"components,omitempty"`
	Namespace      string          `json:"namespace,omitempty"`
	Status         string          `json:"status,omitempty"`
	RejectedReason string          `json:"rejected_reason,omitempty"`
}

func (t templateJSON) template() Template {
	return Template{
		ID: t.ID, Name: t.Name, Category: t.Category, Language: t.Language, Components: componentsOrEmpty(t.Components),
		Namespace: t.Namespace, Status: strings.ToUpper(t.Status), RejectedReason: t.RejectedReason,
	}
}

// componentsOrEmpty is a template's components, [] when it has none.
func componentsOrEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("[]")
	}
	return raw
}

// createBody is the body that creates t at either API.
func createBody(t Template) ([]byte, error) {
	return json.Marshal(templateJSON{Name: t.Name, Category: t.Category, Language: t.Language, Components: componentsOrEmpty(t.Components)})
}

func (c cloud) templatesURL() (string, error) {
	if c.baseErr != nil {
		return "", c.baseErr
	}
	if c.templates.wabaID == "" {
		return "", fmt.Errorf("%w: message templates belong to the WhatsApp Business Account: set its id (WAMUX_WABA_ID)", ErrNotConfigured)
	}
	return c.endpoint(c.templates.wabaID, "message_templates"), nil
}

// ListTemplates implements Account. The Graph API pages with cursors, so
// every page is read and the one asked for is cut out of them; accounts
// have at most a few hundred templates.
func (c cloud) ListTemplates(ctx context.Context, limit, offset int) (TemplateList, error) {
	all, err := c.allTemplates(ctx, "")
	if err != nil {
		return TemplateList{}, err
	}
	namespace := c.namespace(ctx)
	out := TemplateList{Total: len(all), Templates: []Template{}}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		t := all[i]
		t.Namespace = namespace
		out.Templates = append(out.Templates, t)
	}
	return out, nil
}

// allTemplates reads every page of the account's templates, only those
// called name when name is set. It follows the `after` cursor itself rather
// than the `next` URL, so the token goes to the base URL's host only.
func (c cloud) allTemplates(ctx context.Context, name string) ([]Template, error) {
	base, err := c.templatesURL()
	if err != nil {
		return nil, fmt.Errorf("%s: list templates: %w", c.name, err)
	}
	q := url.Values{}
	q.Set("fields", templateFields)
	q.Set("limit", strconv.Itoa(templatePageSize))
	if name != "" {
		q.Set("name", name)
	}
	var out []Template
	for range maxTemplatePages {
		resp, err := c.do(ctx, c.timeout, http.MethodGet, base+"?"+q.Encode(), "", nil, MaxJSONBytes)
		if err != nil {
			return nil, c.wrap("list templates", err)
		}
		var page struct {
			Data   []templateJSON `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := json.Unmarshal(resp.body, &page); err != nil {
			return nil, fmt.Errorf("%s: list templates: the answer is not the expected JSON: %w", c.name, err)
		}
		for _, t := range page.Data {
			out = append(out, t.template())
		}
		// The Graph API sends `next` only when there is a further page.
		if page.Paging.Next == "" || page.Paging.Cursors.After == "" || len(page.Data) == 0 {
			return out, nil
		}
		q.Set("after", page.Paging.Cursors.After)
	}
	return nil, fmt.Errorf("%s: list templates: more than %d pages", c.name, maxTemplatePages)
}

// namespace returns the account's template namespace, read once; "" while
// it cannot be read (it is informative only: the Cloud API sends templates
// by name and language).
func (c cloud) namespace(ctx context.Context) string {
	c.templates.mu.Lock()
	ns := c.templates.namespace
	c.templates.mu.Unlock()
	if ns != "" {
		return ns
	}
	resp, err := c.do(ctx, c.timeout, http.MethodGet, c.endpoint(c.templates.wabaID)+"?fields=message_template_namespace", "", nil, MaxJSONBytes)
	if err != nil {
		return ""
	}
	var answer struct {
		Namespace string `json:"message_template_namespace"`
	}
	if json.Unmarshal(resp.body, &answer) != nil {
		return ""
	}
	c.templates.mu.Lock()
	c.templates.namespace = answer.Namespace
	c.templates.mu.Unlock()
	return answer.Namespace
}

// CreateTemplate implements Account.
func (c cloud) CreateTemplate(ctx context.Context, t Template) (Template, error) {
	target, err := c.templatesURL()
	if err != nil {
		return Template{}, fmt.Errorf("%s: create template: %w", c.name, err)
	}
	body, err := createBody(t)
	if err != nil {
		return Template{}, fmt.Errorf("%s: create template: %w", c.name, err)
	}
	resp, err := c.do(ctx, c.timeout, http.MethodPost, target, "application/json", body, MaxJSONBytes)
	if err != nil {
		return Template{}, c.wrap("create template", err)
	}
	var answer struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Category string `json:"category"`
	}
	if err := json.Unmarshal(resp.body, &answer); err != nil || answer.ID == "" {
		return Template{}, fmt.Errorf("%s: create template: the answer has no id: %s", c.name, truncate(string(resp.body), 200))
	}
	out := Template{
		ID: answer.ID, Name: t.Name, Category: t.Category, Language: t.Language, Components: componentsOrEmpty(t.Components),
		Status: strings.ToUpper(answer.Status), RejectedReason: "NONE", Namespace: c.namespace(ctx),
	}
	// Meta may file the template under another category than asked.
	if answer.Category != "" {
		out.Category = answer.Category
	}
	if out.Status == "" {
		out.Status = "PENDING"
	}
	return out, nil
}

// DeleteTemplate implements Account. The Graph API refuses an unknown name
// with the same error as a malformed one, so the name is looked up first.
func (c cloud) DeleteTemplate(ctx context.Context, name string) error {
	target, err := c.templatesURL()
	if err != nil {
		return fmt.Errorf("%s: delete template: %w", c.name, err)
	}
	found, err := c.allTemplates(ctx, name)
	if err != nil {
		return err
	}
	exists := false
	for _, t := range found {
		exists = exists || t.Name == name
	}
	if !exists {
		return fmt.Errorf("%s: delete template %q: %w", c.name, name, ErrTemplateNotFound)
	}
	resp, err := c.do(ctx, c.timeout, http.MethodDelete, target+"?name="+url.QueryEscape(name), "", nil, MaxJSONBytes)
	if err != nil {
		return c.wrap("delete template", err)
	}
	return checkSuccess(c.name, "delete template", resp.body)
}

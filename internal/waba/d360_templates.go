package waba

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// 360dialog manages templates with its own API, on the same host and key:
//
//	GET    {base}/v1/configs/templates?limit=&offset=
//	       -> {"count", "limit", "offset", "total", "waba_templates": [...]}
//	POST   {base}/v1/configs/templates {name, category, language, components}
//	       -> the template, with namespace, status and rejected_reason
//	DELETE {base}/v1/configs/templates/{name}
//
// Statuses come in lower case ("approved"); wamux reports them in capitals
// as the Cloud API does.

func (d d360) templatesURL(segments ...string) string {
	return d.endpoint(append([]string{"v1", "configs", "templates"}, segments...)...)
}

// ListTemplates implements Account; 360dialog pages by limit and offset
// itself.
func (d d360) ListTemplates(ctx context.Context, limit, offset int) (TemplateList, error) {
	if d.baseErr != nil {
		return TemplateList{}, fmt.Errorf("%s: list templates: %w", d.name, d.baseErr)
	}
	q := url.Values{}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("offset", strconv.Itoa(offset))
	resp, err := d.do(ctx, d.timeout, http.MethodGet, d.templatesURL()+"?"+q.Encode(), "", nil, MaxJSONBytes)
	if err != nil {
		return TemplateList{}, d.wrap("list templates", err)
	}
	var answer struct {
		Total     *int           `json:"total"`
		Templates []templateJSON `json:"waba_templates"`
	}
	if err := json.Unmarshal(resp.body, &answer); err != nil {
		return TemplateList{}, fmt.Errorf("%s: list templates: the answer is not the expected JSON: %w", d.name, err)
	}
	out := TemplateList{Templates: make([]Template, 0, len(answer.Templates))}
	for _, t := range answer.Templates {
		out.Templates = append(out.Templates, t.template())
	}
	out.Total = offset + len(out.Templates)
	if answer.Total != nil {
		out.Total = *answer.Total
	}
	return out, nil
}

// CreateTemplate implements Account.
func (d d360) CreateTemplate(ctx context.Context, t Template) (Template, error) {
	if d.baseErr != nil {
		return Template{}, fmt.Errorf("%s: create template: %w", d.name, d.baseErr)
	}
	body, err := createBody(t)
	if err != nil {
		return Template{}, fmt.Errorf("%s: create template: %w", d.name, err)
	}
	resp, err := d.do(ctx, d.timeout, http.MethodPost, d.templatesURL(), "application/json", body, MaxJSONBytes)
	if err != nil {
		return Template{}, d.wrap("create template", err)
	}
	var answer templateJSON
	if err := json.Unmarshal(resp.body, &answer); err != nil {
		return Template{}, fmt.Errorf("%s: create template: the answer is not the expected JSON: %w", d.name, err)
	}
	out := answer.template()
	// Whatever the answer leaves out is what was asked for.
	if out.Name == "" {
		out.Name = t.Name
	}
	if out.Language == "" {
		out.Language = t.Language
	}
	if out.Category == "" {
		out.Category = t.Category
	}
	if len(answer.Components) == 0 {
		out.Components = componentsOrEmpty(t.Components)
	}
	if out.Status == "" {
		out.Status = "PENDING"
	}
	if out.RejectedReason == "" {
		out.RejectedReason = "NONE"
	}
	return out, nil
}

// DeleteTemplate implements Account.
func (d d360) DeleteTemplate(ctx context.Context, name string) error {
	if d.baseErr != nil {
		return fmt.Errorf("%s: delete template: %w", d.name, d.baseErr)
	}
	_, err := d.do(ctx, d.timeout, http.MethodDelete, d.templatesURL(name), "", nil, MaxJSONBytes)
	var pe *ProviderError
	if errors.As(err, &pe) && pe.HTTPStatus == http.StatusNotFound {
		return fmt.Errorf("%s: delete template %q: %w", d.name, name, ErrTemplateNotFound)
	}
	if err != nil {
		return d.wrap("delete template", err)
	}
	return nil
}

package httpapi

import (
	"context"
	"encoding/json"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/waba"
)

// Message templates, kept by the WhatsApp provider (internal/business).
// Anyone authenticated lists them; only admins create and delete them.

func apiTemplate(t waba.Template) (api.Template, error) {
	comps := []map[string]any{}
	if len(t.Components) > 0 {
		if err := json.Unmarshal(t.Components, &comps); err != nil {
			return api.Template{}, apperr.Upstream("The WhatsApp provider answered a template whose components are not a list of objects.")
		}
	}
	out := api.Template{Name: t.Name, Category: t.Category, Language: t.Language, Components: comps}
	if t.Namespace != "" {
		out.Namespace = ptr(t.Namespace)
	}
	if t.Status != "" {
		out.Status = ptr(t.Status)
	}
	if t.RejectedReason != "" {
		out.RejectedReason = ptr(t.RejectedReason)
	}
	return out, nil
}

// ListTemplates lists the account's message templates.
func (s *Server) ListTemplates(ctx context.Context, req api.ListTemplatesRequestObject) (api.ListTemplatesResponseObject, error) {
	p := newPage(req.Params.Limit, req.Params.Offset)
	list, err := s.business.ListTemplates(ctx, p.limit, p.offset)
	if err != nil {
		return nil, err
	}
	results := make([]api.Template, len(list.Templates))
	for i, t := range list.Templates {
		if results[i], err = apiTemplate(t); err != nil {
			return nil, err
		}
	}
	next, prev := s.links(ctx, p, int64(list.Total))
	return api.ListTemplates200JSONResponse{Count: list.Total, Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// CreateTemplate submits a new message template for review (admins).
func (s *Server) CreateTemplate(ctx context.Context, req api.CreateTemplateRequestObject) (api.CreateTemplateResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	comps, err := json.Marshal(body.Components)
	if err != nil {
		return nil, apperr.Field("components", "Must be a list of objects.")
	}
	t, err := s.business.CreateTemplate(ctx, waba.Template{Name: body.Name, Category: body.Category, Language: body.Language, Components: comps})
	if err != nil {
		return nil, err
	}
	out, err := apiTemplate(t)
	if err != nil {
		return nil, err
	}
	return api.CreateTemplate201JSONResponse(out), nil
}

// DeleteTemplate deletes a message template in all its languages (admins).
func (s *Server) DeleteTemplate(ctx context.Context, req api.DeleteTemplateRequestObject) (api.DeleteTemplateResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := s.business.DeleteTemplate(ctx, req.Name); err != nil {
		return nil, err
	}
	return api.DeleteTemplate204Response{}, nil
}

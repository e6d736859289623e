package httpapi

import (
	"context"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/rules"
)

// The rule engine: the default engine's rules, the engine's configuration
// and the dry run. Admins only; internal/rules does the work.

func apiRule(r rules.Rule) api.Rule {
	out := api.Rule{
		Id: ptr(int(r.ID)), Order: ptr(r.Position), Description: ptr(r.Description),
		TaggedWith: nullableInt(r.TaggedWith), AssignToUser: nullableInt(r.AssignToUser), AssignToGroup: nullableInt(r.AssignToGroup),
		GroupAssignMethod: nullable.NewNullNullable[api.GroupAssignMethod](),
	}
	if r.GroupAssignMethod != nil {
		out.GroupAssignMethod = nullable.NewNullableWithValue(api.GroupAssignMethod(*r.GroupAssignMethod))
	}
	return out
}

func nullableInt(p *int64) nullable.Nullable[int] {
	if p == nil {
		return nullable.NewNullNullable[int]()
	}
	return nullable.NewNullableWithValue(int(*p))
}

// optionalID is a nullable id field of a request.
func optionalID(n nullable.Nullable[int]) rules.Optional[int64] {
	o := rules.Optional[int64]{Set: n.IsSpecified()}
	if v, err := n.Get(); err == nil {
		id := int64(v)
		o.Value = &id
	}
	return o
}

func ruleChanges(b *api.Rule) rules.RuleChanges {
	c := rules.RuleChanges{
		Position:      rules.Optional[int]{Set: b.Order != nil, Value: b.Order},
		Description:   rules.Optional[string]{Set: b.Description != nil, Value: b.Description},
		TaggedWith:    optionalID(b.TaggedWith),
		AssignToUser:  optionalID(b.AssignToUser),
		AssignToGroup: optionalID(b.AssignToGroup),
	}
	c.GroupAssignMethod.Set = b.GroupAssignMethod.IsSpecified()
	if v, err := b.GroupAssignMethod.Get(); err == nil {
		m := string(v)
		c.GroupAssignMethod.Value = &m
	}
	return c
}

// ListRules lists the rules in the order they are tried.
func (s *Server) ListRules(ctx context.Context, req api.ListRulesRequestObject) (api.ListRulesResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	p := newPage(req.Params.Limit, req.Params.Offset)
	list, count, err := s.rules.ListRules(ctx, p.inbox())
	if err != nil {
		return nil, err
	}
	results := make([]api.Rule, len(list))
	for i, r := range list {
		results[i] = apiRule(r)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListRules200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// CreateRule creates a rule.
func (s *Server) CreateRule(ctx context.Context, req api.CreateRuleRequestObject) (api.CreateRuleResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	r, err := s.rules.CreateRule(ctx, ruleChanges(body))
	if err != nil {
		return nil, err
	}
	return api.CreateRule201JSONResponse(apiRule(r)), nil
}

// GetRule returns one rule.
func (s *Server) GetRule(ctx context.Context, req api.GetRuleRequestObject) (api.GetRuleResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	r, err := s.rules.GetRule(ctx, int64(req.Id))
	if err != nil {
		return nil, err
	}
	return api.GetRule200JSONResponse(apiRule(r)), nil
}

// UpdateRule replaces a rule's fields.
func (s *Server) UpdateRule(ctx context.Context, req api.UpdateRuleRequestObject) (api.UpdateRuleResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	r, err := s.rules.UpdateRule(ctx, int64(req.Id), ruleChanges(body), false)
	if err != nil {
		return nil, err
	}
	return api.UpdateRule200JSONResponse(apiRule(r)), nil
}

// PartialUpdateRule changes the fields of a rule the request carries.
func (s *Server) PartialUpdateRule(ctx context.Context, req api.PartialUpdateRuleRequestObject) (api.PartialUpdateRuleResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	r, err := s.rules.UpdateRule(ctx, int64(req.Id), ruleChanges(body), true)
	if err != nil {
		return nil, err
	}
	return api.PartialUpdateRule200JSONResponse(apiRule(r)), nil
}

// DeleteRule deletes a rule.
func (s *Server) DeleteRule(ctx context.Context, req api.DeleteRuleRequestObject) (api.DeleteRuleResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := s.rules.DeleteRule(ctx, int64(req.Id)); err != nil {
		return nil, err
	}
	return api.DeleteRule204Response{}, nil
}

// TestRules is the dry run of the default engine.
func (s *Server) TestRules(ctx context.Context, req api.TestRulesRequestObject) (api.TestRulesResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	in := rules.TestInput{Wamid: deref(body.MessageId), Chat: deref(body.Chat)}
	if body.Tag != nil {
		t := int64(*body.Tag)
		in.Tag = &t
	}
	res, err := s.rules.Test(ctx, in)
	if err != nil {
		return nil, err
	}
	out := api.RuleTestResult{
		Matched: res.Rule != nil, Reason: res.Reason, Rule: nullable.NewNullNullable[api.Rule](),
		Assignment: api.RuleTestAssignment{
			User: nullableInt(res.Target.User), Group: nullableInt(res.Target.Group),
			GroupAssignMethod: nullable.NewNullNullable[api.GroupAssignMethod](),
		},
	}
	if res.Rule != nil {
		out.Rule = nullable.NewNullableWithValue(apiRule(*res.Rule))
	}
	if res.Target.Method != "" {
		out.Assignment.GroupAssignMethod = nullable.NewNullableWithValue(api.GroupAssignMethod(res.Target.Method))
	}
	return api.TestRules200JSONResponse(out), nil
}

func apiRuleEngine(c rules.Settings) api.RuleEngineConfig {
	out := api.RuleEngineConfig{
		Mode: api.RuleEngineMode(c.Mode), Url: nullableOf(c.URL), Headers: &c.Headers,
		Timeout: ptr(c.Timeout.Seconds()), LastError: nullableOf(c.LastError), LastErrorAt: nullable.NewNullNullable[int](),
	}
	if c.LastErrorAt != nil {
		out.LastErrorAt = nullable.NewNullableWithValue(int(c.LastErrorAt.Unix()))
	}
	return out
}

// GetRuleEngine returns the rule engine's configuration, header values
// masked.
func (s *Server) GetRuleEngine(ctx context.Context, _ api.GetRuleEngineRequestObject) (api.GetRuleEngineResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	c, err := s.rules.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetRuleEngine200JSONResponse(apiRuleEngine(c)), nil
}

// UpdateRuleEngine replaces the rule engine's configuration.
func (s *Server) UpdateRuleEngine(ctx context.Context, req api.UpdateRuleEngineRequestObject) (api.UpdateRuleEngineResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	in := rules.SettingsInput{Mode: string(body.Mode), URL: nullablePtr(body.Url), Timeout: body.Timeout}
	if body.Headers != nil {
		in.Headers = *body.Headers
	}
	c, err := s.rules.Configure(ctx, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateRuleEngine200JSONResponse(apiRuleEngine(c)), nil
}

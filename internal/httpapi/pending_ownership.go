package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// The operations below arrive with the ownership issue (#6: tags, assignment, rules).
// Until then each answers 501; as the feature lands its operations move to
// their resource file and this file shrinks. TestNotImplementedOperations
// prints how many remain.

// GetRuleEngine is not implemented yet.
func (s *Server) GetRuleEngine(context.Context, api.GetRuleEngineRequestObject) (api.GetRuleEngineResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// UpdateRuleEngine is not implemented yet.
func (s *Server) UpdateRuleEngine(context.Context, api.UpdateRuleEngineRequestObject) (api.UpdateRuleEngineResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListRules is not implemented yet.
func (s *Server) ListRules(context.Context, api.ListRulesRequestObject) (api.ListRulesResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// CreateRule is not implemented yet.
func (s *Server) CreateRule(context.Context, api.CreateRuleRequestObject) (api.CreateRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// TestRules is not implemented yet.
func (s *Server) TestRules(context.Context, api.TestRulesRequestObject) (api.TestRulesResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// DeleteRule is not implemented yet.
func (s *Server) DeleteRule(context.Context, api.DeleteRuleRequestObject) (api.DeleteRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// GetRule is not implemented yet.
func (s *Server) GetRule(context.Context, api.GetRuleRequestObject) (api.GetRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// PartialUpdateRule is not implemented yet.
func (s *Server) PartialUpdateRule(context.Context, api.PartialUpdateRuleRequestObject) (api.PartialUpdateRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// UpdateRule is not implemented yet.
func (s *Server) UpdateRule(context.Context, api.UpdateRuleRequestObject) (api.UpdateRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// The operations below arrive with the ownership issue (#6: tags, assignment, rules).
// Until then each answers 501; as the feature lands its operations move to
// their resource file and this file shrinks. TestNotImplementedOperations
// prints how many remain.

// ListChatAssignmentEvents is not implemented yet.
func (s *Server) ListChatAssignmentEvents(context.Context, api.ListChatAssignmentEventsRequestObject) (api.ListChatAssignmentEventsResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListChatTaggingEvents is not implemented yet.
func (s *Server) ListChatTaggingEvents(context.Context, api.ListChatTaggingEventsRequestObject) (api.ListChatTaggingEventsResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// CreateChatTagging is not implemented yet.
func (s *Server) CreateChatTagging(context.Context, api.CreateChatTaggingRequestObject) (api.CreateChatTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// DeleteChatTagging is not implemented yet.
func (s *Server) DeleteChatTagging(context.Context, api.DeleteChatTaggingRequestObject) (api.DeleteChatTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// GetChatTagging is not implemented yet.
func (s *Server) GetChatTagging(context.Context, api.GetChatTaggingRequestObject) (api.GetChatTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// PartialUpdateChat is not implemented yet.
func (s *Server) PartialUpdateChat(context.Context, api.PartialUpdateChatRequestObject) (api.PartialUpdateChatResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// UpdateChat is not implemented yet.
func (s *Server) UpdateChat(context.Context, api.UpdateChatRequestObject) (api.UpdateChatResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListMessageTaggingEvents is not implemented yet.
func (s *Server) ListMessageTaggingEvents(context.Context, api.ListMessageTaggingEventsRequestObject) (api.ListMessageTaggingEventsResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// CreateMessageTagging is not implemented yet.
func (s *Server) CreateMessageTagging(context.Context, api.CreateMessageTaggingRequestObject) (api.CreateMessageTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// DeleteMessageTagging is not implemented yet.
func (s *Server) DeleteMessageTagging(context.Context, api.DeleteMessageTaggingRequestObject) (api.DeleteMessageTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// GetMessageTagging is not implemented yet.
func (s *Server) GetMessageTagging(context.Context, api.GetMessageTaggingRequestObject) (api.GetMessageTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

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

// ListTags is not implemented yet.
func (s *Server) ListTags(context.Context, api.ListTagsRequestObject) (api.ListTagsResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// CreateTag is not implemented yet.
func (s *Server) CreateTag(context.Context, api.CreateTagRequestObject) (api.CreateTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// DeleteTag is not implemented yet.
func (s *Server) DeleteTag(context.Context, api.DeleteTagRequestObject) (api.DeleteTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// GetTag is not implemented yet.
func (s *Server) GetTag(context.Context, api.GetTagRequestObject) (api.GetTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// PartialUpdateTag is not implemented yet.
func (s *Server) PartialUpdateTag(context.Context, api.PartialUpdateTagRequestObject) (api.PartialUpdateTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// UpdateTag is not implemented yet.
func (s *Server) UpdateTag(context.Context, api.UpdateTagRequestObject) (api.UpdateTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

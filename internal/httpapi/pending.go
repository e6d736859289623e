package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// The operations below belong to features that have not landed yet. Each
// answers 501 with a detail naming the feature; as a feature lands, its
// operations move to their resource file. TestNotImplementedOperations
// prints how many remain.

// ListChatAssignmentEvents is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) ListChatAssignmentEvents(context.Context, api.ListChatAssignmentEventsRequestObject) (api.ListChatAssignmentEventsResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListChatTaggingEvents is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) ListChatTaggingEvents(context.Context, api.ListChatTaggingEventsRequestObject) (api.ListChatTaggingEventsResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// CreateChatTagging is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) CreateChatTagging(context.Context, api.CreateChatTaggingRequestObject) (api.CreateChatTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// DeleteChatTagging is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) DeleteChatTagging(context.Context, api.DeleteChatTaggingRequestObject) (api.DeleteChatTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// GetChatTagging is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) GetChatTagging(context.Context, api.GetChatTaggingRequestObject) (api.GetChatTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListChats is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) ListChats(context.Context, api.ListChatsRequestObject) (api.ListChatsResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetChat is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetChat(context.Context, api.GetChatRequestObject) (api.GetChatResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// PartialUpdateChat is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) PartialUpdateChat(context.Context, api.PartialUpdateChatRequestObject) (api.PartialUpdateChatResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// UpdateChat is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) UpdateChat(context.Context, api.UpdateChatRequestObject) (api.UpdateChatResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListContacts is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) ListContacts(context.Context, api.ListContactsRequestObject) (api.ListContactsResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetContact is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetContact(context.Context, api.GetContactRequestObject) (api.GetContactResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// MarkAsReceived is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) MarkAsReceived(context.Context, api.MarkAsReceivedRequestObject) (api.MarkAsReceivedResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// CreateMedia is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) CreateMedia(context.Context, api.CreateMediaRequestObject) (api.CreateMediaResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetMedia is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetMedia(context.Context, api.GetMediaRequestObject) (api.GetMediaResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// ListMessageTaggingEvents is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) ListMessageTaggingEvents(context.Context, api.ListMessageTaggingEventsRequestObject) (api.ListMessageTaggingEventsResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// CreateMessageTagging is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) CreateMessageTagging(context.Context, api.CreateMessageTaggingRequestObject) (api.CreateMessageTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// DeleteMessageTagging is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) DeleteMessageTagging(context.Context, api.DeleteMessageTaggingRequestObject) (api.DeleteMessageTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// GetMessageTagging is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) GetMessageTagging(context.Context, api.GetMessageTaggingRequestObject) (api.GetMessageTaggingResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListMessages is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) ListMessages(context.Context, api.ListMessagesRequestObject) (api.ListMessagesResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// CreateMessage is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) CreateMessage(context.Context, api.CreateMessageRequestObject) (api.CreateMessageResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// ListChatMessages is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) ListChatMessages(context.Context, api.ListChatMessagesRequestObject) (api.ListChatMessagesResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// ListPersons is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) ListPersons(context.Context, api.ListPersonsRequestObject) (api.ListPersonsResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetPerson is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetPerson(context.Context, api.GetPersonRequestObject) (api.GetPersonResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetPluginPublicData is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetPluginPublicData(context.Context, api.GetPluginPublicDataRequestObject) (api.GetPluginPublicDataResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetRuleEngine is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) GetRuleEngine(context.Context, api.GetRuleEngineRequestObject) (api.GetRuleEngineResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// UpdateRuleEngine is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) UpdateRuleEngine(context.Context, api.UpdateRuleEngineRequestObject) (api.UpdateRuleEngineResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListRules is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) ListRules(context.Context, api.ListRulesRequestObject) (api.ListRulesResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// CreateRule is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) CreateRule(context.Context, api.CreateRuleRequestObject) (api.CreateRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// TestRules is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) TestRules(context.Context, api.TestRulesRequestObject) (api.TestRulesResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// DeleteRule is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) DeleteRule(context.Context, api.DeleteRuleRequestObject) (api.DeleteRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// GetRule is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) GetRule(context.Context, api.GetRuleRequestObject) (api.GetRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// PartialUpdateRule is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) PartialUpdateRule(context.Context, api.PartialUpdateRuleRequestObject) (api.PartialUpdateRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// UpdateRule is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) UpdateRule(context.Context, api.UpdateRuleRequestObject) (api.UpdateRuleResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListSavedResponses is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) ListSavedResponses(context.Context, api.ListSavedResponsesRequestObject) (api.ListSavedResponsesResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// CreateSavedResponse is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) CreateSavedResponse(context.Context, api.CreateSavedResponseRequestObject) (api.CreateSavedResponseResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// DeleteSavedResponse is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) DeleteSavedResponse(context.Context, api.DeleteSavedResponseRequestObject) (api.DeleteSavedResponseResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetSavedResponse is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetSavedResponse(context.Context, api.GetSavedResponseRequestObject) (api.GetSavedResponseResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// PartialUpdateSavedResponse is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) PartialUpdateSavedResponse(context.Context, api.PartialUpdateSavedResponseRequestObject) (api.PartialUpdateSavedResponseResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// UpdateSavedResponse is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) UpdateSavedResponse(context.Context, api.UpdateSavedResponseRequestObject) (api.UpdateSavedResponseResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetBusinessProfile is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetBusinessProfile(context.Context, api.GetBusinessProfileRequestObject) (api.GetBusinessProfileResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// PartialUpdateBusinessProfile is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) PartialUpdateBusinessProfile(context.Context, api.PartialUpdateBusinessProfileRequestObject) (api.PartialUpdateBusinessProfileResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// UpdateBusinessProfile is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) UpdateBusinessProfile(context.Context, api.UpdateBusinessProfileRequestObject) (api.UpdateBusinessProfileResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetProfileAbout is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetProfileAbout(context.Context, api.GetProfileAboutRequestObject) (api.GetProfileAboutResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// UpdateProfileAbout is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) UpdateProfileAbout(context.Context, api.UpdateProfileAboutRequestObject) (api.UpdateProfileAboutResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// GetProfilePhoto is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) GetProfilePhoto(context.Context, api.GetProfilePhotoRequestObject) (api.GetProfilePhotoResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// UpdateProfilePhoto is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) UpdateProfilePhoto(context.Context, api.UpdateProfilePhotoRequestObject) (api.UpdateProfilePhotoResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// ListTags is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) ListTags(context.Context, api.ListTagsRequestObject) (api.ListTagsResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// CreateTag is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) CreateTag(context.Context, api.CreateTagRequestObject) (api.CreateTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// DeleteTag is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) DeleteTag(context.Context, api.DeleteTagRequestObject) (api.DeleteTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// GetTag is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) GetTag(context.Context, api.GetTagRequestObject) (api.GetTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// PartialUpdateTag is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) PartialUpdateTag(context.Context, api.PartialUpdateTagRequestObject) (api.PartialUpdateTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// UpdateTag is not implemented yet: the ownership issue (#6: tags, assignment, rules).
func (s *Server) UpdateTag(context.Context, api.UpdateTagRequestObject) (api.UpdateTagResponseObject, error) {
	return nil, notImplemented("the ownership issue (#6: tags, assignment, rules)")
}

// ListTemplates is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) ListTemplates(context.Context, api.ListTemplatesRequestObject) (api.ListTemplatesResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// CreateTemplate is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) CreateTemplate(context.Context, api.CreateTemplateRequestObject) (api.CreateTemplateResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// DeleteTemplate is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) DeleteTemplate(context.Context, api.DeleteTemplateRequestObject) (api.DeleteTemplateResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// CheckWabaContacts is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) CheckWabaContacts(context.Context, api.CheckWabaContactsRequestObject) (api.CheckWabaContactsResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// VerifyWabaWebhook is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) VerifyWabaWebhook(context.Context, api.VerifyWabaWebhookRequestObject) (api.VerifyWabaWebhookResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// ReceiveWabaWebhook is not implemented yet: the messaging issue (#3: inbound, chats, messages, media, provider).
func (s *Server) ReceiveWabaWebhook(context.Context, api.ReceiveWabaWebhookRequestObject) (api.ReceiveWabaWebhookResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, media, provider)")
}

// ListWabaWebhooks is not implemented yet: the multiplexer issue (#4: per-user webhooks).
func (s *Server) ListWabaWebhooks(context.Context, api.ListWabaWebhooksRequestObject) (api.ListWabaWebhooksResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// CreateWabaWebhook is not implemented yet: the multiplexer issue (#4: per-user webhooks).
func (s *Server) CreateWabaWebhook(context.Context, api.CreateWabaWebhookRequestObject) (api.CreateWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// DeleteWabaWebhook is not implemented yet: the multiplexer issue (#4: per-user webhooks).
func (s *Server) DeleteWabaWebhook(context.Context, api.DeleteWabaWebhookRequestObject) (api.DeleteWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// GetWabaWebhook is not implemented yet: the multiplexer issue (#4: per-user webhooks).
func (s *Server) GetWabaWebhook(context.Context, api.GetWabaWebhookRequestObject) (api.GetWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// PartialUpdateWabaWebhook is not implemented yet: the multiplexer issue (#4: per-user webhooks).
func (s *Server) PartialUpdateWabaWebhook(context.Context, api.PartialUpdateWabaWebhookRequestObject) (api.PartialUpdateWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// UpdateWabaWebhook is not implemented yet: the multiplexer issue (#4: per-user webhooks).
func (s *Server) UpdateWabaWebhook(context.Context, api.UpdateWabaWebhookRequestObject) (api.UpdateWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// ListWabaWebhookDeliveries is not implemented yet: the multiplexer issue (#4: per-user webhooks).
func (s *Server) ListWabaWebhookDeliveries(context.Context, api.ListWabaWebhookDeliveriesRequestObject) (api.ListWabaWebhookDeliveriesResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// ReplayWabaWebhook is not implemented yet: the multiplexer issue (#4: per-user webhooks).
func (s *Server) ReplayWabaWebhook(context.Context, api.ReplayWabaWebhookRequestObject) (api.ReplayWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// ConnectWebsocket is not implemented yet: the websocket feed.
func (s *Server) ConnectWebsocket(context.Context, api.ConnectWebsocketRequestObject) (api.ConnectWebsocketResponseObject, error) {
	return nil, notImplemented("the websocket feed")
}

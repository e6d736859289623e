package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// The operations below arrive with the messaging issue (#3: inbound, chats, messages, persons).
// Until then each answers 501; as the feature lands its operations move to
// their resource file and this file shrinks. TestNotImplementedOperations
// prints how many remain.

// ListChats is not implemented yet.
func (s *Server) ListChats(context.Context, api.ListChatsRequestObject) (api.ListChatsResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// GetChat is not implemented yet.
func (s *Server) GetChat(context.Context, api.GetChatRequestObject) (api.GetChatResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// MarkAsReceived is not implemented yet.
func (s *Server) MarkAsReceived(context.Context, api.MarkAsReceivedRequestObject) (api.MarkAsReceivedResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// ListMessages is not implemented yet.
func (s *Server) ListMessages(context.Context, api.ListMessagesRequestObject) (api.ListMessagesResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// CreateMessage is not implemented yet.
func (s *Server) CreateMessage(context.Context, api.CreateMessageRequestObject) (api.CreateMessageResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// ListChatMessages is not implemented yet.
func (s *Server) ListChatMessages(context.Context, api.ListChatMessagesRequestObject) (api.ListChatMessagesResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// ListPersons is not implemented yet.
func (s *Server) ListPersons(context.Context, api.ListPersonsRequestObject) (api.ListPersonsResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// GetPerson is not implemented yet.
func (s *Server) GetPerson(context.Context, api.GetPersonRequestObject) (api.GetPersonResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// VerifyWabaWebhook is not implemented yet.
func (s *Server) VerifyWabaWebhook(context.Context, api.VerifyWabaWebhookRequestObject) (api.VerifyWabaWebhookResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

// ReceiveWabaWebhook is not implemented yet.
func (s *Server) ReceiveWabaWebhook(context.Context, api.ReceiveWabaWebhookRequestObject) (api.ReceiveWabaWebhookResponseObject, error) {
	return nil, notImplemented("the messaging issue (#3: inbound, chats, messages, persons)")
}

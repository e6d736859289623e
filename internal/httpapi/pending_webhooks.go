package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// The operations below arrive with the multiplexer issue (#4: per-user webhooks).
// Until then each answers 501; as the feature lands its operations move to
// their resource file and this file shrinks. TestNotImplementedOperations
// prints how many remain.

// ListWabaWebhooks is not implemented yet.
func (s *Server) ListWabaWebhooks(context.Context, api.ListWabaWebhooksRequestObject) (api.ListWabaWebhooksResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// CreateWabaWebhook is not implemented yet.
func (s *Server) CreateWabaWebhook(context.Context, api.CreateWabaWebhookRequestObject) (api.CreateWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// DeleteWabaWebhook is not implemented yet.
func (s *Server) DeleteWabaWebhook(context.Context, api.DeleteWabaWebhookRequestObject) (api.DeleteWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// GetWabaWebhook is not implemented yet.
func (s *Server) GetWabaWebhook(context.Context, api.GetWabaWebhookRequestObject) (api.GetWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// PartialUpdateWabaWebhook is not implemented yet.
func (s *Server) PartialUpdateWabaWebhook(context.Context, api.PartialUpdateWabaWebhookRequestObject) (api.PartialUpdateWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// UpdateWabaWebhook is not implemented yet.
func (s *Server) UpdateWabaWebhook(context.Context, api.UpdateWabaWebhookRequestObject) (api.UpdateWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// ListWabaWebhookDeliveries is not implemented yet.
func (s *Server) ListWabaWebhookDeliveries(context.Context, api.ListWabaWebhookDeliveriesRequestObject) (api.ListWabaWebhookDeliveriesResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

// ReplayWabaWebhook is not implemented yet.
func (s *Server) ReplayWabaWebhook(context.Context, api.ReplayWabaWebhookRequestObject) (api.ReplayWabaWebhookResponseObject, error) {
	return nil, notImplemented("the multiplexer issue (#4: per-user webhooks)")
}

package httpapi

import (
	"context"
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/webhooks"
)

// The per-user WABA Webhooks (the multiplexer's configuration). Delivery
// itself runs in internal/fanout, driven by the event log.

func webhookInput(url *string, incoming, outgoing, assigned, chatAssignment, tagging *bool) webhooks.Input {
	return webhooks.Input{URL: url, IncomingMessages: incoming, OutgoingMessages: outgoing, AssignedMessages: assigned,
		ChatAssignment: chatAssignment, Tagging: tagging}
}

func posixOrNull(t *time.Time) nullable.Nullable[int] {
	if t == nil {
		return nullable.NewNullNullable[int]()
	}
	return nullable.NewNullableWithValue(int(t.Unix()))
}

// apiWabaWebhook maps a webhook to the API. The signing secret appears only
// in the answer to its creation.
func (s *Server) apiWabaWebhook(w webhooks.Webhook) api.WabaWebhook {
	secret := nullable.NewNullNullable[string]()
	if w.SigningSecret != "" {
		secret = nullable.NewNullableWithValue(w.SigningSecret)
	}
	return api.WabaWebhook{
		Id:                  ptr(int(w.ID)),
		User:                &api.WabaWebhookUser{Id: int(w.UserID), Username: w.Username, Url: s.userURL(w.UserID)},
		Url:                 w.URL,
		OnIncomingMessages:  ptr(w.Events.IncomingMessages),
		OnOutgoingMessages:  ptr(w.Events.OutgoingMessages),
		OnAssignedMessages:  ptr(w.Events.AssignedMessages),
		OnChatAssignment:    ptr(w.Events.ChatAssignment),
		OnTagging:           ptr(w.Events.Tagging),
		SigningSecret:       secret,
		LastSuccessAt:       posixOrNull(w.LastSuccessAt),
		LastErrorAt:         posixOrNull(w.LastErrorAt),
		LastError:           nullableOf(w.LastError),
		ConsecutiveFailures: ptr(w.ConsecutiveFailures),
		EventsPending:       ptr(int(w.EventsPending)),
	}
}

// ListWabaWebhooks lists every webhook to admins, and their own to others.
func (s *Server) ListWabaWebhooks(ctx context.Context, req api.ListWabaWebhooksRequestObject) (api.ListWabaWebhooksResponseObject, error) {
	p := newPage(req.Params.Limit, req.Params.Offset)
	list, count, err := s.webhooks.List(ctx, principal(ctx), int32(p.limit), int32(p.offset))
	if err != nil {
		return nil, err
	}
	results := make([]api.WabaWebhook, len(list))
	for i, w := range list {
		results[i] = s.apiWabaWebhook(w)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListWabaWebhooks200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// CreateWabaWebhook creates the caller's webhook; the answer carries the
// signing secret, once.
func (s *Server) CreateWabaWebhook(ctx context.Context, req api.CreateWabaWebhookRequestObject) (api.CreateWabaWebhookResponseObject, error) {
	b, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	w, err := s.webhooks.Create(ctx, principal(ctx), webhookInput(&b.Url, b.OnIncomingMessages, b.OnOutgoingMessages,
		b.OnAssignedMessages, b.OnChatAssignment, b.OnTagging))
	if err != nil {
		return nil, err
	}
	return api.CreateWabaWebhook201JSONResponse(s.apiWabaWebhook(w)), nil
}

// GetWabaWebhook returns one webhook with its health.
func (s *Server) GetWabaWebhook(ctx context.Context, req api.GetWabaWebhookRequestObject) (api.GetWabaWebhookResponseObject, error) {
	w, err := s.webhooks.Get(ctx, principal(ctx), int64(req.Id))
	if err != nil {
		return nil, err
	}
	return api.GetWabaWebhook200JSONResponse(s.apiWabaWebhook(w)), nil
}

// UpdateWabaWebhook changes a webhook (PUT); events left out keep their
// value, as in the reference.
func (s *Server) UpdateWabaWebhook(ctx context.Context, req api.UpdateWabaWebhookRequestObject) (api.UpdateWabaWebhookResponseObject, error) {
	b, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	w, err := s.webhooks.Update(ctx, principal(ctx), int64(req.Id), webhookInput(&b.Url, b.OnIncomingMessages, b.OnOutgoingMessages,
		b.OnAssignedMessages, b.OnChatAssignment, b.OnTagging))
	if err != nil {
		return nil, err
	}
	return api.UpdateWabaWebhook200JSONResponse(s.apiWabaWebhook(w)), nil
}

// PartialUpdateWabaWebhook changes the fields the request carries (PATCH).
func (s *Server) PartialUpdateWabaWebhook(ctx context.Context, req api.PartialUpdateWabaWebhookRequestObject) (api.PartialUpdateWabaWebhookResponseObject, error) {
	b, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	w, err := s.webhooks.Update(ctx, principal(ctx), int64(req.Id), webhookInput(b.Url, b.OnIncomingMessages, b.OnOutgoingMessages,
		b.OnAssignedMessages, b.OnChatAssignment, b.OnTagging))
	if err != nil {
		return nil, err
	}
	return api.PartialUpdateWabaWebhook200JSONResponse(s.apiWabaWebhook(w)), nil
}

// DeleteWabaWebhook deletes a webhook; its deliveries stop at once.
func (s *Server) DeleteWabaWebhook(ctx context.Context, req api.DeleteWabaWebhookRequestObject) (api.DeleteWabaWebhookResponseObject, error) {
	if err := s.webhooks.Delete(ctx, principal(ctx), int64(req.Id)); err != nil {
		return nil, err
	}
	return api.DeleteWabaWebhook204Response{}, nil
}

// ListWabaWebhookDeliveries lists a webhook's recent delivery attempts.
func (s *Server) ListWabaWebhookDeliveries(ctx context.Context, req api.ListWabaWebhookDeliveriesRequestObject) (api.ListWabaWebhookDeliveriesResponseObject, error) {
	p := newPage(req.Params.Limit, req.Params.Offset)
	list, count, err := s.webhooks.Deliveries(ctx, principal(ctx), int64(req.Id), int32(p.limit), int32(p.offset))
	if err != nil {
		return nil, err
	}
	results := make([]api.WabaWebhookDelivery, len(list))
	for i, d := range list {
		status := nullable.NewNullNullable[int]()
		if d.StatusCode != nil {
			status = nullable.NewNullableWithValue(int(*d.StatusCode))
		}
		results[i] = api.WabaWebhookDelivery{
			Id: d.ID, AttemptedAt: int(d.AttemptedAt.Unix()), StatusCode: status, LatencyMs: int(d.LatencyMS),
			Error: nullableOf(d.Error), FirstEventId: d.FirstEventID, LastEventId: d.LastEventID, EventCount: int(d.EventCount),
		}
	}
	next, prev := s.links(ctx, p, count)
	return api.ListWabaWebhookDeliveries200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// ReplayWabaWebhook queues a webhook's events from since_time on again.
func (s *Server) ReplayWabaWebhook(ctx context.Context, req api.ReplayWabaWebhookRequestObject) (api.ReplayWabaWebhookResponseObject, error) {
	b, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	res, err := s.webhooks.Replay(ctx, principal(ctx), int64(req.Id), time.Unix(int64(b.SinceTime), 0).UTC())
	if err != nil {
		return nil, err
	}
	return api.ReplayWabaWebhook202JSONResponse{ReplayedFrom: int(res.From.Unix()), Events: int(res.Events)}, nil
}

package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/storage"
	"github.com/wamux/wamux/internal/waba"
)

// CustomerCareWindow is how long after a customer's last message a
// non-template message may be sent (WhatsApp's rule).
const CustomerCareWindow = 24 * time.Hour

// SendInput is a message an inbox user sends.
type SendInput struct {
	To   string
	Type string
	// Body is the object of the field named by Type.
	Body       json.RawMessage
	Context    json.RawMessage
	PreviewURL bool
}

// SendResult is what a send returns.
type SendResult struct {
	Wamid    string
	Response json.RawMessage
}

var mediaTypes = map[string]bool{"image": true, "audio": true, "video": true, "document": true, "sticker": true}

// templateTypes may be sent outside the customer-care window.
var templateTypes = map[string]bool{"template": true, "hsm": true}

// MayWrite reports whether v may write to a chat with this assignment.
func MayWrite(v Viewer, assignedUser, assignedGroup *int64) bool {
	return v.Permissions.CanWriteToChats.Covers(v.UserID, v.GroupIDs, assignedUser, assignedGroup)
}

// Send sends a message on behalf of v and stores it. Nothing is stored when
// the provider refuses it.
func (s *Service) Send(ctx context.Context, v Viewer, in SendInput) (SendResult, error) {
	if s.provider == nil {
		return SendResult{}, apperr.Upstream("No WhatsApp provider is configured.")
	}
	row, err := s.q.ChatForWrite(ctx, in.To)
	isNew := errors.Is(err, pgx.ErrNoRows)
	if err != nil && !isNew {
		return SendResult{}, fmt.Errorf("load chat %s: %w", in.To, err)
	}
	if isNew {
		if v.Permissions.CanWriteToChats != authz.All {
			return SendResult{}, apperr.Forbidden("You may not start a new chat: that needs can_write_to_chats \"all\".")
		}
		if !templateTypes[in.Type] {
			return SendResult{}, apperr.Invalid("This customer has never written to you: only a template message may start the conversation.")
		}
	} else {
		if !MayWrite(v, row.AssignedUserID, row.AssignedGroupID) {
			return SendResult{}, apperr.Forbidden("You may not write to this chat: it is not assigned to you.")
		}
		if !templateTypes[in.Type] && (row.LastMessageAt == nil || time.Since(*row.LastMessageAt) > CustomerCareWindow) {
			return SendResult{}, apperr.Invalid("The customer's last message is more than 24 hours old: outside the customer-care window only a template message may be sent.")
		}
	}

	body := in.Body
	if mediaTypes[in.Type] {
		if body, err = s.resolveMedia(ctx, in.Type, in.Body); err != nil {
			return SendResult{}, err
		}
	}
	res, err := s.provider.Send(ctx, waba.OutgoingMessage{To: in.To, Type: in.Type, Body: body, Context: in.Context, PreviewURL: in.PreviewURL})
	var pe *waba.ProviderError
	if errors.As(err, &pe) {
		if pe.HTTPStatus >= 400 && pe.HTTPStatus < 500 {
			return SendResult{}, apperr.Invalid(fmt.Sprintf("The WhatsApp provider refused the message: %s (code %d).", pe.Message, pe.Code))
		}
		return SendResult{}, apperr.Upstream(fmt.Sprintf("The WhatsApp provider failed: %s.", pe.Message))
	}
	if err != nil {
		s.logger.ErrorContext(ctx, "send failed", "error", err, "to", in.To)
		return SendResult{}, apperr.Upstream("The WhatsApp provider could not be reached; the message was not sent.")
	}

	// Whole seconds: the API's timestamps, marks and before_time are seconds.
	now := time.Now().Truncate(time.Second).UTC()
	payload, err := storedPayload(res.Request, in.Type, in.Body, res.MessageID, now)
	if err != nil {
		return SendResult{}, err
	}
	err = storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		if err := q.PersonEnsure(ctx, in.To); err != nil {
			return fmt.Errorf("ensure person: %w", err)
		}
		if err := q.ChatsEnsure(ctx, []string{in.To}); err != nil {
			return fmt.Errorf("ensure chat: %w", err)
		}
		rows, err := q.MessagesInsert(ctx, db.MessagesInsertParams{
			Wamids: []string{res.MessageID}, ChatWaIds: []string{in.To}, FromUs: []bool{true}, SenderIds: []int64{v.UserID},
			Types: []string{in.Type}, Payloads: []json.RawMessage{payload}, Contexts: []json.RawMessage{orNull(in.Context)},
			BodyTexts: []string{SearchText(bodyText(in.Type, in.Body))}, Tss: []time.Time{now},
		})
		if err != nil {
			return fmt.Errorf("store sent message: %w", err)
		}
		// A status of this message may be arriving right now: see
		// applyStatuses. With the lock, it either committed before (and
		// afterInsert takes it) or waits for this commit and finds the
		// message.
		if err := q.StatusWamidsLock(ctx, []string{res.MessageID}); err != nil {
			return fmt.Errorf("lock the message's statuses: %w", err)
		}
		if err := afterInsert(ctx, q, inserted2(rows)); err != nil {
			return err
		}
		ev := &eventBatch{}
		for _, r := range rows {
			ev.add(EventOutgoingMessage, r.ChatWaID, r.ID, map[string]json.RawMessage{"message": payload})
		}
		return ev.flush(ctx, q)
	})
	if err != nil {
		// The provider has the message; losing our copy is the worst case
		// left, so say so loudly.
		s.logger.ErrorContext(ctx, "message sent but not stored", "error", err, "wamid", res.MessageID)
		return SendResult{}, err
	}
	return SendResult{Wamid: res.MessageID, Response: res.Response}, nil
}

// resolveMedia replaces a wamux media id by the provider's id.
func (s *Service) resolveMedia(ctx context.Context, typ string, body json.RawMessage) (json.RawMessage, error) {
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, apperr.Field(typ, "Must be an object.")
	}
	id, _ := obj["id"].(string)
	link, _ := obj["link"].(string)
	switch {
	case id == "" && link == "":
		return nil, apperr.Field(typ, `Give the media by "id" (a wamux media id from POST /api/v1/media/) or by "link".`)
	case id != "" && link != "":
		return nil, apperr.Field(typ, `Give either "id" or "link", not both.`)
	case link != "":
		if !strings.HasPrefix(link, "https://") && !strings.HasPrefix(link, "http://") {
			return nil, apperr.Field(typ, `"link" must be an http(s) URL.`)
		}
		return body, nil
	}
	mid, err := uuid.Parse(id)
	if err != nil {
		return nil, apperr.Field(typ, `"id" must be a wamux media id (a UUID from POST /api/v1/media/).`)
	}
	if s.media == nil {
		return nil, apperr.Upstream("Media storage is not configured.")
	}
	pid, err := s.media.ProviderID(ctx, mid)
	if err != nil {
		return nil, err
	}
	obj["id"] = pid
	return json.Marshal(obj)
}

// storedPayload is the message as the reference stores a sent one: the
// request sent to the provider plus its `id` and `timestamp`; media sent by
// wamux id keep wamux's id.
func storedPayload(request json.RawMessage, typ string, original json.RawMessage, wamid string, at time.Time) (json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if len(request) > 0 {
		if err := json.Unmarshal(request, &obj); err != nil {
			return nil, fmt.Errorf("decode provider request: %w", err)
		}
	}
	delete(obj, "messaging_product")
	if mediaTypes[typ] {
		obj[typ] = original
	}
	obj["id"], _ = json.Marshal(wamid)
	obj["timestamp"], _ = json.Marshal(at.Unix())
	return json.Marshal(obj)
}

// bodyText is the searchable text of an outgoing message.
func bodyText(typ string, body json.RawMessage) string {
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"body", "caption", "filename", "name", "address", "emoji"} {
		if v, ok := obj[k].(string); ok && v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

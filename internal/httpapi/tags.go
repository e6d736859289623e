package httpapi

import (
	"context"
	"encoding/json"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/ownership"
)

// Tags, message taggings, chat taggings and their history. Permissions
// (can_use_tags, reading the chat) are the ownership service's to check.

func apiTag(t ownership.Tag) api.Tag {
	return api.Tag{Id: ptr(int(t.ID)), Name: t.Name, WebInboxColor: nullableOf(t.Color)}
}

// nullableObject is a stored JSON object (or its absence) as a nullable
// API field; always present in the answer, null when absent.
func nullableObject(raw json.RawMessage) nullable.Nullable[map[string]any] {
	if len(raw) == 0 || string(raw) == "null" {
		return nullable.NewNullNullable[map[string]any]()
	}
	return nullable.NewNullableWithValue(rawObject(raw))
}

// requestObject is a nullable object of a request as JSON; nil when absent
// or null.
func requestObject(n nullable.Nullable[map[string]any]) (json.RawMessage, error) {
	if !n.IsSpecified() || n.IsNull() {
		return nil, nil
	}
	return json.Marshal(n.MustGet())
}

// eventFilter is the query of the three events lists.
func eventFilter(waID, wamid *string, since, before *int) ownership.EventFilter {
	return ownership.EventFilter{WaID: deref(waID), Wamid: deref(wamid), Since: timePtr(since), Before: timePtr(before)}
}

var _ ownership.Presenter = (*Presenter)(nil)

// eventRenderer renders history events from users and groups loaded
// beforehand (ownership.Renderer): it never touches the database, so the
// ownership service can use it inside its transactions.
type eventRenderer struct {
	users  map[int64]api.User
	groups map[int64]string
}

// EventRenderer loads the users and groups that events may name and
// returns a renderer of events exactly as the events endpoints list them
// (ownership.Presenter).
func (s *Presenter) EventRenderer(ctx context.Context, userIDs, groupIDs []int64) (ownership.Renderer, error) {
	return s.eventRenderer(ctx, userIDs, groupIDs)
}

func (s *Presenter) eventRenderer(ctx context.Context, userIDs, groupIDs []int64) (eventRenderer, error) {
	users, err := s.accounts.ByIDs(ctx, userIDs)
	if err != nil {
		return eventRenderer{}, err
	}
	groups, err := s.accounts.GroupNames(ctx, groupIDs)
	if err != nil {
		return eventRenderer{}, err
	}
	r := eventRenderer{users: make(map[int64]api.User, len(users)), groups: groups}
	for id, u := range users {
		r.users[id] = s.apiUser(u)
	}
	return r, nil
}

// user is the user with id as a nullable field: null when id is nil or
// names a user that no longer exists.
func (r eventRenderer) user(id *int64) nullable.Nullable[api.User] {
	if id != nil {
		if u, ok := r.users[*id]; ok {
			return nullable.NewNullableWithValue(u)
		}
	}
	return nullable.NewNullNullable[api.User]()
}

// MessageTaggingEvent returns e as an api.MessageTaggingEvent.
func (r eventRenderer) MessageTaggingEvent(e ownership.MessageTaggingEvent) any {
	return r.messageTaggingEvent(e)
}

func (r eventRenderer) messageTaggingEvent(e ownership.MessageTaggingEvent) api.MessageTaggingEvent {
	return api.MessageTaggingEvent{
		Timestamp: int(e.At.Unix()), Action: api.TaggingAction(e.Action), Tag: apiTag(e.Tag), Message: e.Wamid,
		Extra: nullableObject(e.Extra), DoneBy: r.user(e.DoneBy),
	}
}

// ChatTaggingEvent returns e as an api.ChatTaggingEvent.
func (r eventRenderer) ChatTaggingEvent(e ownership.ChatTaggingEvent) any {
	return r.chatTaggingEvent(e)
}

func (r eventRenderer) chatTaggingEvent(e ownership.ChatTaggingEvent) api.ChatTaggingEvent {
	return api.ChatTaggingEvent{
		Timestamp: int(e.At.Unix()), Action: api.TaggingAction(e.Action), Tag: apiTag(e.Tag), Chat: e.ChatWaID,
		Extra: nullableObject(e.Extra), DoneBy: r.user(e.DoneBy),
	}
}

// ids lists the non-nil ids.
func ids(ps ...*int64) []int64 {
	var out []int64
	for _, p := range ps {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

func apiMessageTagging(t ownership.MessageTagging) api.MessageTagging {
	return api.MessageTagging{Id: ptr(int(t.ID)), Tag: int(t.TagID), Message: t.Wamid, Extra: nullableObject(t.Extra)}
}

func apiChatTagging(t ownership.ChatTagging) api.ChatTagging {
	return api.ChatTagging{Id: ptr(int(t.ID)), Tag: int(t.TagID), Chat: t.ChatWaID, Extra: nullableObject(t.Extra)}
}

// ListTags lists every tag to any authenticated caller, by name.
func (s *Server) ListTags(ctx context.Context, req api.ListTagsRequestObject) (api.ListTagsResponseObject, error) {
	p := newPage(req.Params.Limit, req.Params.Offset)
	tags, count, err := s.ownership.ListTags(ctx, p.inbox())
	if err != nil {
		return nil, err
	}
	results := make([]api.Tag, len(tags))
	for i, t := range tags {
		results[i] = apiTag(t)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListTags200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// CreateTag creates a tag (callers with can_use_tags).
func (s *Server) CreateTag(ctx context.Context, req api.CreateTagRequestObject) (api.CreateTagResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.ownership.CreateTag(ctx, v, body.Name, nullablePtr(body.WebInboxColor))
	if err != nil {
		return nil, err
	}
	return api.CreateTag201JSONResponse(apiTag(t)), nil
}

// nullablePtr is a nullable request field as a pointer: nil when absent
// or null.
func nullablePtr[T any](n nullable.Nullable[T]) *T {
	if v, err := n.Get(); err == nil {
		return &v
	}
	return nil
}

// GetTag returns one tag.
func (s *Server) GetTag(ctx context.Context, req api.GetTagRequestObject) (api.GetTagResponseObject, error) {
	t, err := s.ownership.GetTag(ctx, int64(req.Id))
	if err != nil {
		return nil, err
	}
	return api.GetTag200JSONResponse(apiTag(t)), nil
}

// UpdateTag replaces a tag's fields (admins only); an absent color clears it.
func (s *Server) UpdateTag(ctx context.Context, req api.UpdateTagRequestObject) (api.UpdateTagResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.ownership.UpdateTag(ctx, v, int64(req.Id), ownership.TagChanges{
		Name: &body.Name, SetColor: true, Color: nullablePtr(body.WebInboxColor),
	})
	if err != nil {
		return nil, err
	}
	return api.UpdateTag200JSONResponse(apiTag(t)), nil
}

// PartialUpdateTag changes the fields of a tag the request carries (admins
// only).
func (s *Server) PartialUpdateTag(ctx context.Context, req api.PartialUpdateTagRequestObject) (api.PartialUpdateTagResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.ownership.UpdateTag(ctx, v, int64(req.Id), ownership.TagChanges{
		Name: body.Name, SetColor: body.WebInboxColor.IsSpecified(), Color: nullablePtr(body.WebInboxColor),
	})
	if err != nil {
		return nil, err
	}
	return api.PartialUpdateTag200JSONResponse(apiTag(t)), nil
}

// DeleteTag deletes a tag and its taggings (admins only).
func (s *Server) DeleteTag(ctx context.Context, req api.DeleteTagRequestObject) (api.DeleteTagResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.ownership.DeleteTag(ctx, v, int64(req.Id)); err != nil {
		return nil, err
	}
	return api.DeleteTag204Response{}, nil
}

// messageTaggingBody is the body in whichever content type it came; forms
// cannot carry extra.
func messageTaggingBody(req api.CreateMessageTaggingRequestObject) (*api.MessageTagging, error) {
	if req.JSONBody != nil {
		return req.JSONBody, nil
	}
	form, err := requestBody(nil, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	return &api.MessageTagging{Tag: form.Tag, Message: form.Message}, nil
}

// chatTaggingBody is the body in whichever content type it came; forms
// cannot carry extra.
func chatTaggingBody(req api.CreateChatTaggingRequestObject) (*api.ChatTagging, error) {
	if req.JSONBody != nil {
		return req.JSONBody, nil
	}
	form, err := requestBody(nil, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	return &api.ChatTagging{Tag: form.Tag, Chat: form.Chat}, nil
}

// CreateMessageTagging tags a message, and its chat.
func (s *Server) CreateMessageTagging(ctx context.Context, req api.CreateMessageTaggingRequestObject) (api.CreateMessageTaggingResponseObject, error) {
	body, err := messageTaggingBody(req)
	if err != nil {
		return nil, err
	}
	extra, err := requestObject(body.Extra)
	if err != nil {
		return nil, err
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.ownership.TagMessage(ctx, v, int64(body.Tag), body.Message, extra)
	if err != nil {
		return nil, err
	}
	return api.CreateMessageTagging201JSONResponse(apiMessageTagging(t)), nil
}

// GetMessageTagging returns a message tagging of a chat the caller may read.
func (s *Server) GetMessageTagging(ctx context.Context, req api.GetMessageTaggingRequestObject) (api.GetMessageTaggingResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.ownership.GetMessageTagging(ctx, v, int64(req.Id))
	if err != nil {
		return nil, err
	}
	return api.GetMessageTagging200JSONResponse(apiMessageTagging(t)), nil
}

// DeleteMessageTagging untags a message.
func (s *Server) DeleteMessageTagging(ctx context.Context, req api.DeleteMessageTaggingRequestObject) (api.DeleteMessageTaggingResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.ownership.UntagMessage(ctx, v, int64(req.Id)); err != nil {
		return nil, err
	}
	return api.DeleteMessageTagging204Response{}, nil
}

// ListMessageTaggingEvents lists the message tagging history of the chats
// the caller may read, newest first.
func (s *Server) ListMessageTaggingEvents(ctx context.Context, req api.ListMessageTaggingEventsRequestObject) (api.ListMessageTaggingEventsResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	pr := req.Params
	p := newPage(pr.Limit, pr.Offset)
	es, count, err := s.ownership.ListMessageTaggingEvents(ctx, v, eventFilter(pr.WaId, pr.MessageId, pr.SinceTime, pr.BeforeTime), p.inbox())
	if err != nil {
		return nil, err
	}
	var by []*int64
	for _, e := range es {
		by = append(by, e.DoneBy)
	}
	render, err := s.eventRenderer(ctx, ids(by...), nil)
	if err != nil {
		return nil, err
	}
	results := make([]api.MessageTaggingEvent, len(es))
	for i, e := range es {
		results[i] = render.messageTaggingEvent(e)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListMessageTaggingEvents200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// CreateChatTagging tags a chat.
func (s *Server) CreateChatTagging(ctx context.Context, req api.CreateChatTaggingRequestObject) (api.CreateChatTaggingResponseObject, error) {
	body, err := chatTaggingBody(req)
	if err != nil {
		return nil, err
	}
	extra, err := requestObject(body.Extra)
	if err != nil {
		return nil, err
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.ownership.TagChat(ctx, v, int64(body.Tag), body.Chat, extra)
	if err != nil {
		return nil, err
	}
	return api.CreateChatTagging201JSONResponse(apiChatTagging(t)), nil
}

// GetChatTagging returns a chat tagging of a chat the caller may read.
func (s *Server) GetChatTagging(ctx context.Context, req api.GetChatTaggingRequestObject) (api.GetChatTaggingResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.ownership.GetChatTagging(ctx, v, int64(req.Id))
	if err != nil {
		return nil, err
	}
	return api.GetChatTagging200JSONResponse(apiChatTagging(t)), nil
}

// DeleteChatTagging untags a chat.
func (s *Server) DeleteChatTagging(ctx context.Context, req api.DeleteChatTaggingRequestObject) (api.DeleteChatTaggingResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.ownership.UntagChat(ctx, v, int64(req.Id)); err != nil {
		return nil, err
	}
	return api.DeleteChatTagging204Response{}, nil
}

// ListChatTaggingEvents lists the chat tagging history of the chats the
// caller may read, newest first.
func (s *Server) ListChatTaggingEvents(ctx context.Context, req api.ListChatTaggingEventsRequestObject) (api.ListChatTaggingEventsResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	pr := req.Params
	p := newPage(pr.Limit, pr.Offset)
	es, count, err := s.ownership.ListChatTaggingEvents(ctx, v, eventFilter(pr.WaId, nil, pr.SinceTime, pr.BeforeTime), p.inbox())
	if err != nil {
		return nil, err
	}
	var by []*int64
	for _, e := range es {
		by = append(by, e.DoneBy)
	}
	render, err := s.eventRenderer(ctx, ids(by...), nil)
	if err != nil {
		return nil, err
	}
	results := make([]api.ChatTaggingEvent, len(es))
	for i, e := range es {
		results[i] = render.chatTaggingEvent(e)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListChatTaggingEvents200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/inbox"
)

// viewer is the caller as the inbox sees it: its id, effective permissions
// and groups, with which every read is filtered.
func (s *Server) viewer(ctx context.Context) (inbox.Viewer, error) {
	p := principal(ctx)
	u, err := s.accounts.Hydrate(ctx, p.User)
	if err != nil {
		return inbox.Viewer{}, err
	}
	groups := make([]int64, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = g.ID
	}
	return inbox.Viewer{UserID: u.ID, IsAdmin: p.IsAdmin(), Permissions: u.Permissions, GroupIDs: groups}, nil
}

func (p page) inbox() inbox.Page { return inbox.Page{Limit: int32(p.limit), Offset: int32(p.offset)} }

func int64Ptr(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

func timePtr(sec *int) *time.Time {
	if sec == nil {
		return nil
	}
	t := time.Unix(int64(*sec), 0).UTC()
	return &t
}

// ListChats lists the chats the caller may read, newest first.
func (s *Server) ListChats(ctx context.Context, req api.ListChatsRequestObject) (api.ListChatsResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	p := newPage(req.Params.Limit, req.Params.Offset)
	chats, count, err := s.inbox.ListChats(ctx, v, inbox.ChatFilter{
		Search: deref(req.Params.Search), AssignedToMe: deref(req.Params.AssignedToMe), AssignedGroup: int64Ptr(req.Params.AssignedGroup),
	}, p.inbox())
	if err != nil {
		return nil, err
	}
	results, err := s.apiChats(ctx, chats)
	if err != nil {
		return nil, err
	}
	next, prev := s.links(ctx, p, count)
	return chatListJSON{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// GetChat returns one chat the caller may read.
func (s *Server) GetChat(ctx context.Context, req api.GetChatRequestObject) (api.GetChatResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.inbox.GetChat(ctx, v, req.WaId)
	if err != nil {
		return nil, err
	}
	out, err := s.apiChats(ctx, []inbox.Chat{c})
	if err != nil {
		return nil, err
	}
	return api.GetChat200JSONResponse(out[0]), nil
}

// messageQuery is the query of both message lists.
type messageQuery struct {
	waID          string
	limit, offset *int
	since, before *int
	mark          *int
	search        *string
	assignedToMe  *bool
	assignedGroup *int
}

func (s *Server) listMessages(ctx context.Context, q messageQuery) (api.PaginatedMessageList, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return api.PaginatedMessageList{}, err
	}
	p := newPage(q.limit, q.offset)
	msgs, count, err := s.inbox.ListMessages(ctx, v, inbox.MessageFilter{
		WaID: q.waID, Since: timePtr(q.since), Before: timePtr(q.before), Search: deref(q.search),
		AssignedToMe: deref(q.assignedToMe), AssignedGroup: int64Ptr(q.assignedGroup), MarkAsReceived: deref(q.mark) != 0,
	}, p.inbox())
	if err != nil {
		return api.PaginatedMessageList{}, err
	}
	next, prev := s.links(ctx, p, count)
	return api.PaginatedMessageList{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: s.apiMessages(msgs)}, nil
}

// ListMessages lists the messages the caller may read, newest first.
func (s *Server) ListMessages(ctx context.Context, req api.ListMessagesRequestObject) (api.ListMessagesResponseObject, error) {
	pr := req.Params
	out, err := s.listMessages(ctx, messageQuery{waID: deref(pr.WaId), limit: pr.Limit, offset: pr.Offset, since: pr.SinceTime, before: pr.BeforeTime,
		mark: pr.MarkAsReceived, search: pr.Search, assignedToMe: pr.AssignedToMe, assignedGroup: pr.AssignedGroup})
	if err != nil {
		return nil, err
	}
	return messageListJSON(out), nil
}

// ListChatMessages is ListMessages with the chat in the path.
func (s *Server) ListChatMessages(ctx context.Context, req api.ListChatMessagesRequestObject) (api.ListChatMessagesResponseObject, error) {
	pr := req.Params
	out, err := s.listMessages(ctx, messageQuery{waID: req.WaId, limit: pr.Limit, offset: pr.Offset, since: pr.SinceTime, before: pr.BeforeTime,
		mark: pr.MarkAsReceived, search: pr.Search, assignedToMe: pr.AssignedToMe, assignedGroup: pr.AssignedGroup})
	if err != nil {
		return nil, err
	}
	return messageListJSON(out), nil
}

// MarkAsReceived sets the caller's received mark for a chat.
func (s *Server) MarkAsReceived(ctx context.Context, req api.MarkAsReceivedRequestObject) (api.MarkAsReceivedResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.inbox.MarkReceived(ctx, v, body.CustomerWaId, int64(body.Timestamp)); err != nil {
		return nil, err
	}
	return api.MarkAsReceived200JSONResponse(*body), nil
}

// ListPersons lists the contacts of the chats the caller may read.
func (s *Server) ListPersons(ctx context.Context, req api.ListPersonsRequestObject) (api.ListPersonsResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	p := newPage(req.Params.Limit, req.Params.Offset)
	persons, count, err := s.inbox.ListPersons(ctx, v, deref(req.Params.Search), p.inbox())
	if err != nil {
		return nil, err
	}
	results := make([]api.Person, len(persons))
	for i, pe := range persons {
		results[i] = apiPerson(pe)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListPersons200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// GetPerson returns the contact of a chat the caller may read.
func (s *Server) GetPerson(ctx context.Context, req api.GetPersonRequestObject) (api.GetPersonResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	pe, err := s.inbox.GetPerson(ctx, v, req.WaId)
	if err != nil {
		return nil, err
	}
	return api.GetPerson200JSONResponse(apiPerson(pe)), nil
}

// CreateMessage sends a message.
func (s *Server) CreateMessage(ctx context.Context, req api.CreateMessageRequestObject) (api.CreateMessageResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	typ := "text"
	if body.Type != nil {
		typ = string(*body.Type)
	}
	objects := map[string]any{
		"text": body.Text, "image": body.Image, "audio": body.Audio, "video": body.Video, "document": body.Document,
		"sticker": body.Sticker, "location": body.Location, "contacts": body.Contacts, "template": body.Template,
		"hsm": body.Hsm, "interactive": body.Interactive, "reaction": body.Reaction,
	}
	obj, known := objects[typ]
	if !known {
		return nil, apperr.Field("type", "Unsupported message type.")
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if string(raw) == "null" {
		return nil, apperr.Field(typ, `This field is required when "type" is "`+typ+`".`)
	}
	in := inbox.SendInput{To: body.WaId, Type: typ, Body: raw}
	if body.Text != nil && typ == "text" {
		in.PreviewURL = deref(body.Text.PreviewUrl)
		if body.Text.Body == "" {
			return nil, apperr.Field("text.body", "This field may not be blank.")
		}
	}
	if body.Context != nil {
		if in.Context, err = json.Marshal(body.Context); err != nil {
			return nil, err
		}
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.inbox.Send(ctx, v, in)
	if err != nil {
		return nil, err
	}
	var resp map[string]any
	if err := json.Unmarshal(res.Response, &resp); err != nil || resp == nil {
		resp = map[string]any{"messages": []any{map[string]any{"id": res.Wamid}}}
	}
	return api.CreateMessage201JSONResponse{WabaResponse: resp}, nil
}

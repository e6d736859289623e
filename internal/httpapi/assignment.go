package httpapi

import (
	"context"
	"encoding/json"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/ownership"
)

// Chat assignment (PUT/PATCH /api/v1/chats/{wa_id}/) and its history. The
// rules (who may set or clear what) are the ownership service's.

// assignee turns a request field into an assignment field: a value sets,
// null clears, and absence keeps (PATCH) or clears (PUT, absentClears).
func assignee(n nullable.Nullable[int], absentClears bool) ownership.Assignee {
	switch {
	case !n.IsSpecified() && absentClears:
		return ownership.Clear()
	case !n.IsSpecified():
		return ownership.Keep()
	case n.IsNull():
		return ownership.Clear()
	}
	return ownership.SetTo(int64(n.MustGet()))
}

func int64ToNullable(p *int64) nullable.Nullable[int] {
	if p == nil {
		return nullable.NewNullNullable[int]()
	}
	return nullable.NewNullableWithValue(int(*p))
}

func apiAssignment(a ownership.Assignment) api.ChatAssignment {
	return api.ChatAssignment{WaId: ptr(a.WaID), AssignedToUser: int64ToNullable(a.UserID), AssignedGroup: int64ToNullable(a.GroupID)}
}

func (s *Server) assign(ctx context.Context, waID string, body *api.ChatAssignment, absentClears bool) (api.ChatAssignment, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return api.ChatAssignment{}, err
	}
	a, err := s.ownership.Assign(ctx, &v, waID, ownership.AssignmentChange{
		User:  assignee(body.AssignedToUser, absentClears),
		Group: assignee(body.AssignedGroup, absentClears),
	}, nil)
	if err != nil {
		return api.ChatAssignment{}, err
	}
	return apiAssignment(a), nil
}

// UpdateChat sets a chat's assignment (PUT): an absent field counts as null.
func (s *Server) UpdateChat(ctx context.Context, req api.UpdateChatRequestObject) (api.UpdateChatResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	out, err := s.assign(ctx, req.WaId, body, true)
	if err != nil {
		return nil, err
	}
	return api.UpdateChat200JSONResponse(out), nil
}

// PartialUpdateChat changes the assignment fields the request carries (PATCH).
func (s *Server) PartialUpdateChat(ctx context.Context, req api.PartialUpdateChatRequestObject) (api.PartialUpdateChatResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	out, err := s.assign(ctx, req.WaId, body, false)
	if err != nil {
		return nil, err
	}
	return api.PartialUpdateChat200JSONResponse(out), nil
}

// ListChatAssignmentEvents lists the assignment history of the chats the
// caller may read, newest first.
func (s *Server) ListChatAssignmentEvents(ctx context.Context, req api.ListChatAssignmentEventsRequestObject) (api.ListChatAssignmentEventsResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	pr := req.Params
	p := newPage(pr.Limit, pr.Offset)
	es, count, err := s.ownership.ListAssignmentEvents(ctx, v, eventFilter(pr.WaId, nil, pr.SinceTime, pr.BeforeTime), p.inbox())
	if err != nil {
		return nil, err
	}
	var users, groups []*int64
	for _, e := range es {
		users = append(users, e.UserSet, e.DoneBy)
		groups = append(groups, e.GroupSet)
	}
	render, err := s.eventRenderer(ctx, ids(users...), ids(groups...))
	if err != nil {
		return nil, err
	}
	results := make([]api.ChatAssignmentEvent, len(es))
	for i, e := range es {
		results[i] = render.chatAssignmentEvent(e)
	}
	next, prev := s.links(ctx, p, count)
	return api.ListChatAssignmentEvents200JSONResponse{Count: int(count), Next: nullableOf(next), Previous: nullableOf(prev), Results: results}, nil
}

// ChatAssignmentEvent returns e as an api.ChatAssignmentEvent.
func (r eventRenderer) ChatAssignmentEvent(e ownership.AssignmentEvent) any {
	return r.chatAssignmentEvent(e)
}

func (r eventRenderer) chatAssignmentEvent(e ownership.AssignmentEvent) api.ChatAssignmentEvent {
	ae := api.ChatAssignmentEvent{
		Timestamp: int(e.At.Unix()), WaId: e.ChatWaID,
		AssignedToUserSet: r.user(e.UserSet), AssignedToUserWasCleared: e.UserCleared,
		AssignedGroupSet: nullable.NewNullNullable[api.GroupRef](), AssignedGroupWasCleared: e.GroupCleared,
		DoneBy: r.user(e.DoneBy), Reason: nullable.NewNullNullable[api.AssignmentReason](),
	}
	if e.GroupSet != nil {
		if name, ok := r.groups[*e.GroupSet]; ok {
			ae.AssignedGroupSet = nullable.NewNullableWithValue(api.GroupRef{Id: int(*e.GroupSet), Name: ptr(name)})
		}
	}
	if len(e.Reason) > 0 {
		var reason api.AssignmentReason
		if json.Unmarshal(e.Reason, &reason) == nil {
			ae.Reason = nullable.NewNullableWithValue(reason)
		}
	}
	return ae
}

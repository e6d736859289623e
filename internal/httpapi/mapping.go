package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/accounts"
	"github.com/wamux/wamux/internal/inbox"
)

// This file is the one place where domain values become API types.

// Presenter turns domain values into the API's types. The handlers use it
// through Server, and everything else that must send exactly what the list
// endpoints answer (webhook payloads, websocket frames, the rule engine's
// requests) uses it directly.
type Presenter struct {
	baseURL  string
	accounts *accounts.Service
}

// NewPresenter returns a Presenter building absolute URLs from baseURL.
func NewPresenter(baseURL string, a *accounts.Service) *Presenter {
	return &Presenter{baseURL: baseURL, accounts: a}
}

// Messages returns msgs as entries of the messages list.
func (s *Presenter) Messages(msgs []inbox.Message) []api.Message { return s.apiMessages(msgs) }

// Chats returns chats as entries of the chats list.
func (s *Presenter) Chats(ctx context.Context, chats []inbox.Chat) ([]api.Chat, error) {
	return s.apiChats(ctx, chats)
}

// User returns u as the API's User.
func (s *Presenter) User(u accounts.User) api.User { return s.apiUser(u) }

func nullableOf[T any](p *T) nullable.Nullable[T] {
	if p == nil {
		return nullable.NewNullNullable[T]()
	}
	return nullable.NewNullableWithValue(*p)
}

func ptr[T any](v T) *T { return &v }

func (s *Presenter) userURL(id int64) string {
	return fmt.Sprintf("%s/api/v1/users/%d/", s.baseURL, id)
}

func (s *Presenter) apiUser(u accounts.User) api.User {
	groups := make([]api.GroupRef, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = api.GroupRef{Id: int(g.ID), Name: ptr(g.Name)}
	}
	return api.User{
		Url:       ptr(s.userURL(u.ID)),
		Id:        ptr(int(u.ID)),
		Username:  u.Username,
		FirstName: u.FirstName,
		LastName:  u.LastName,
		Email:     u.Email,
		Profile:   api.UserProfile{Role: api.Role(u.Role)},
		Groups:    groups,
		Permissions: api.Permissions{
			CanUseTags:      u.Permissions.CanUseTags,
			CanReadChats:    api.PermissionLevel(u.Permissions.CanReadChats),
			CanWriteToChats: api.PermissionLevel(u.Permissions.CanWriteToChats),
		},
	}
}

func (s *Presenter) apiUsers(us []accounts.User) []api.User {
	out := make([]api.User, len(us))
	for i, u := range us {
		out[i] = s.apiUser(u)
	}
	return out
}

func apiGroup(g accounts.Group) api.Group {
	members := make([]int, len(g.Members))
	for i, m := range g.Members {
		members[i] = int(m)
	}
	return api.Group{
		Id:      ptr(int(g.ID)),
		Name:    g.Name,
		Members: members,
		Permissions: api.Permissions{
			CanUseTags:      g.CanUseTags,
			CanReadChats:    api.PermissionLevel(g.CanReadChats),
			CanWriteToChats: api.PermissionLevel(g.CanWriteToChats),
		},
	}
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// set is a field an update request carries.
func set[T any](v T) accounts.Optional[T] { return accounts.Optional[T]{Set: true, Value: v} }

// setIf is a field an update request may carry.
func setIf[T any](p *T) accounts.Optional[T] {
	if p == nil {
		return accounts.Optional[T]{}
	}
	return set(*p)
}

// fromNullable turns a nullable request field into an update field: absent,
// null or a value.
func fromNullable[T, U any](n nullable.Nullable[T], conv func(T) U) accounts.Optional[U] {
	switch {
	case !n.IsSpecified():
		return accounts.Optional[U]{}
	case n.IsNull():
		return accounts.Optional[U]{Set: true, Null: true}
	}
	return set(conv(n.MustGet()))
}

func rawObject(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m) // stored jsonb objects: always valid
	}
	return m
}

// objectOrEmpty is a stored jsonb object, passed through as it is, or {}.
func objectOrEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}")
	}
	return raw
}

func posixOrZero(t *time.Time) int {
	if t == nil {
		return 0
	}
	return int(t.Unix())
}

func apiPerson(p inbox.Person) api.Person {
	payload := decodeContact(p.Payload)
	if payload.WaId == nil && payload.Profile == nil {
		payload.WaId = ptr(p.WaID)
		if p.ProfileName != "" {
			payload.Profile = &api.PersonWabaPayload_Profile{Name: ptr(p.ProfileName)}
		}
	}
	out := api.Person{WaId: p.WaID, Initials: p.Initials, WabaPayload: payload}
	if p.LastMessageAt != nil {
		out.LastMessageTimestamp = nullable.NewNullableWithValue(int(p.LastMessageAt.Unix()))
	} else {
		out.LastMessageTimestamp = nullable.NewNullNullable[int]()
	}
	return out
}

// commonContact is the contact object as the providers send it.
type commonContact struct {
	Profile *struct {
		Name *string `json:"name"`
	} `json:"profile"`
	WaID *string `json:"wa_id"`
}

// decodeContact decodes a stored contact object. The generated type keeps
// members it does not know, at the price of a map and a decode per member
// (five decodes of a common contact, a quarter of the mapping of a chats
// page); a contact with no other members is decoded in one pass instead.
func decodeContact(raw json.RawMessage) api.PersonWabaPayload {
	var out api.PersonWabaPayload
	if len(raw) == 0 {
		return out
	}
	var c commonContact
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil || d.More() {
		_ = json.Unmarshal(raw, &out) // stored jsonb objects: always valid
		return out
	}
	out.WaId = c.WaID
	if c.Profile != nil {
		out.Profile = &api.PersonWabaPayload_Profile{Name: c.Profile.Name}
	}
	return out
}

func apiTags(tags []inbox.Tag) []api.ObjectTag {
	out := make([]api.ObjectTag, len(tags))
	for i, t := range tags {
		extra := nullable.NewNullNullable[map[string]any]()
		if len(t.Extra) > 0 && string(t.Extra) != "null" {
			extra = nullable.NewNullableWithValue(rawObject(t.Extra))
		}
		out[i] = api.ObjectTag{Id: int(t.ID), Name: t.Name, WebInboxColor: nullableOf(t.Color), TaggingId: int(t.TaggingID), Extra: extra}
	}
	return out
}

func (s *Presenter) apiMessage(m inbox.Message) api.Message {
	st := api.MessageStatuses{Sent: posixOrZero(m.SentAt), Delivered: posixOrZero(m.DeliveredAt), Read: posixOrZero(m.ReadAt)}
	if m.FailedAt != nil {
		st.Failed = nullable.NewNullableWithValue(int(m.FailedAt.Unix()))
	}
	if len(m.Errors) > 0 && string(m.Errors) != "null" {
		var errs []map[string]any
		if json.Unmarshal(m.Errors, &errs) == nil {
			st.Errors = &errs
		}
	}
	out := api.Message{
		Id: m.Wamid, WabaPayload: objectOrEmpty(m.Payload), WabaStatuses: st, FromUs: m.FromUs, Received: m.Received,
		CustomerWaId: m.ChatWaID, Tags: apiTags(m.Tags),
		Contact: nullable.NewNullNullable[api.Person](), Sender: nullable.NewNullNullable[api.UserBrief](),
		Context: nullable.NewNullNullable[map[string]any](),
	}
	if m.Contact != nil {
		out.Contact = nullable.NewNullableWithValue(apiPerson(*m.Contact))
	}
	if m.Sender != nil && m.Sender.Username != "" {
		out.Sender = nullable.NewNullableWithValue(api.UserBrief{
			Url: ptr(s.userURL(m.Sender.ID)), Id: int(m.Sender.ID), Username: m.Sender.Username,
			FirstName: m.Sender.FirstName, LastName: m.Sender.LastName, Email: m.Sender.Email,
			Profile: &api.UserProfile{Role: api.Role(m.Sender.Role)},
		})
	}
	if len(m.Context) > 0 && string(m.Context) != "null" {
		out.Context = nullable.NewNullableWithValue(rawObject(m.Context))
	}
	return out
}

func (s *Presenter) apiMessages(ms []inbox.Message) []api.Message {
	out := make([]api.Message, len(ms))
	for i, m := range ms {
		out[i] = s.apiMessage(m)
	}
	return out
}

// apiChats maps a page of chats, loading their assignees in two queries.
func (s *Presenter) apiChats(ctx context.Context, chats []inbox.Chat) ([]api.Chat, error) {
	var userIDs, groupIDs []int64
	for _, c := range chats {
		if c.AssignedUserID != nil {
			userIDs = append(userIDs, *c.AssignedUserID)
		}
		if c.AssignedGroupID != nil {
			groupIDs = append(groupIDs, *c.AssignedGroupID)
		}
	}
	users, err := s.accounts.ByIDs(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	groups, err := s.accounts.GroupNames(ctx, groupIDs)
	if err != nil {
		return nil, err
	}
	out := make([]api.Chat, len(chats))
	for i, c := range chats {
		ac := api.Chat{
			WaId: c.WaID, Contact: apiPerson(c.Contact), NewMessages: int(c.NewMessages), Tags: apiTags(c.Tags),
			LastMessage: nullable.NewNullNullable[api.Message](), AssignedToUser: nullable.NewNullNullable[api.User](),
			AssignedGroup: nullable.NewNullNullable[api.GroupRef](),
		}
		if c.LastMessage != nil {
			ac.LastMessage = nullable.NewNullableWithValue(s.apiMessage(*c.LastMessage))
		}
		if c.AssignedUserID != nil {
			if u, ok := users[*c.AssignedUserID]; ok {
				ac.AssignedToUser = nullable.NewNullableWithValue(s.apiUser(u))
			}
		}
		if c.AssignedGroupID != nil {
			ac.AssignedGroup = nullable.NewNullableWithValue(api.GroupRef{Id: int(*c.AssignedGroupID), Name: ptr(groups[*c.AssignedGroupID])})
		}
		out[i] = ac
	}
	return out, nil
}

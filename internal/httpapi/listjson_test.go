package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/gen/api"
)

// odd holds what JSON strings must escape, and what encoding/json changes.
const odd = "q\"b\\s/ <a href='x'>&amp; \t\n\r\b\f\x00\x1f \u2028\u2029 é 😀 \xff\xfe end"

func ptrTo[T any](v T) *T { return &v }

// fullChat sets every field of every type the lists write, so that the
// comparison below covers them all (requireEveryField checks that).
func fullChat() api.Chat {
	user := api.User{
		Email: "a@example.com", FirstName: odd, LastName: "Lee", Username: "ann", Id: ptrTo(7), Url: ptrTo("http://x/api/v1/users/7/"),
		Groups:      []api.GroupRef{{Id: 1, Name: ptrTo("Admin")}, {Id: 2}},
		Permissions: api.Permissions{CanReadChats: "all", CanUseTags: true, CanWriteToChats: "assigned"},
		Profile:     api.UserProfile{Role: "admin"},
	}
	person := api.Person{
		Initials: "AL", WaId: "4915550001", LastMessageTimestamp: nullable.NewNullableWithValue(1700000000),
		WabaPayload: api.PersonWabaPayload{
			WaId:                 ptrTo("4915550001"),
			Profile:              &api.PersonWabaPayload_Profile{Name: ptrTo(odd), AdditionalProperties: map[string]any{"about": "hi", "z": []any{1.0, "x"}}},
			AdditionalProperties: map[string]any{"identity_key_hash": "abc", "a": map[string]any{"n": nil}},
		},
	}
	msg := api.Message{
		Contact: nullable.NewNullableWithValue(person), Context: nullable.NewNullableWithValue(map[string]any{"from": "491", "id": "wamid.1", "forwarded": true}),
		CustomerWaId: "4915550001", FromUs: true, Id: "wamid.X" + odd, Received: true,
		Sender: nullable.NewNullableWithValue(api.UserBrief{Email: "b@example.com", FirstName: "B", Id: 9, LastName: "C", Username: "bot",
			Profile: &api.UserProfile{Role: "app"}, Url: ptrTo("http://x/api/v1/users/9/")}),
		Tags: []api.ObjectTag{
			{Id: 1, Name: "vip", TaggingId: 3, WebInboxColor: nullable.NewNullableWithValue("#ff0000"), Extra: nullable.NewNullableWithValue(map[string]any{"k": "v"})},
			{Id: 2, Name: odd, TaggingId: 4, WebInboxColor: nullable.NewNullNullable[string](), Extra: nullable.NewNullNullable[map[string]any]()},
		},
		WabaPayload: json.RawMessage(`{"id": "wamid.X", "text": {"body": "<b>hi</b> \u2028 é"}, "type": "text", "n": [1, 2.5, null]}`),
		WabaStatuses: api.MessageStatuses{Delivered: 2, Read: 3, Sent: 1, Failed: nullable.NewNullableWithValue(4),
			Errors: &[]map[string]any{{"code": 131047.0, "title": "Re-engagement message"}}},
	}
	return api.Chat{
		AssignedGroup: nullable.NewNullableWithValue(api.GroupRef{Id: 5, Name: ptrTo("Sales")}), AssignedToUser: nullable.NewNullableWithValue(user),
		Contact: person, LastMessage: nullable.NewNullableWithValue(msg), NewMessages: 12, Tags: msg.Tags, WaId: "4915550001",
	}
}

// bareChat is a chat as a fresh customer's looks: nulls, empty lists,
// unspecified optional values.
func bareChat() api.Chat {
	return api.Chat{
		AssignedGroup: nullable.NewNullNullable[api.GroupRef](), AssignedToUser: nullable.NewNullNullable[api.User](),
		Contact:     api.Person{WaId: "1", LastMessageTimestamp: nullable.NewNullNullable[int]()},
		LastMessage: nullable.NewNullNullable[api.Message](), Tags: []api.ObjectTag{}, WaId: "1",
	}
}

// sameJSON fails unless got and want are the same JSON value.
func sameJSON(t *testing.T, want, got []byte) {
	t.Helper()
	require.True(t, json.Valid(got), "not JSON: %s", got)
	var w, g any
	dw := json.NewDecoder(bytes.NewReader(want))
	dw.UseNumber()
	require.NoError(t, dw.Decode(&w))
	dg := json.NewDecoder(bytes.NewReader(got))
	dg.UseNumber()
	require.NoError(t, dg.Decode(&g))
	require.Equal(t, w, g, "encoding/json: %s\nlistjson:     %s", want, got)
}

func TestListJSONMatchesEncodingJSON(t *testing.T) {
	full, bare := fullChat(), bareChat()
	requireEveryField(t, reflect.ValueOf(full), "Chat")

	half := full
	half.AssignedToUser = nullable.NewNullableWithValue(api.User{}) // nil groups, no id, no url
	m, _ := half.LastMessage.Get()
	m.Contact, m.Context, m.Sender = nullable.NewNullNullable[api.Person](), nullable.NewNullNullable[map[string]any](), nullable.NewNullableWithValue(api.UserBrief{Id: 1})
	m.Tags, m.WabaPayload, m.WabaStatuses = nil, nil, api.MessageStatuses{Failed: nullable.NewNullNullable[int]()}
	half.LastMessage = nullable.NewNullableWithValue(m)
	half.Contact.LastMessageTimestamp = nullable.Nullable[int]{}
	half.Contact.WabaPayload = api.PersonWabaPayload{}
	half.Tags = nil

	for name, chats := range map[string][]api.Chat{"full": {full}, "bare": {bare}, "mixed": {bare, half, full}, "none": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			page := api.PaginatedChatList{Count: len(chats), Next: nullable.NewNullableWithValue("http://x/?offset=100&limit=100"), Previous: nullable.NewNullNullable[string](), Results: chats}
			want, err := json.Marshal(api.ListChats200JSONResponse(page))
			require.NoError(t, err)
			sameJSON(t, want, appendChatList(nil, page))

			var msgs []api.Message
			for _, c := range chats {
				if m, err := c.LastMessage.Get(); err == nil {
					msgs = append(msgs, m)
				}
			}
			mp := api.PaginatedMessageList{Count: len(msgs), Next: nullable.NewNullNullable[string](), Previous: nullable.NewNullableWithValue("p"), Results: msgs}
			want, err = json.Marshal(api.ListMessages200JSONResponse(mp))
			require.NoError(t, err)
			sameJSON(t, want, appendMessageList(nil, mp))
		})
	}
}

// requireEveryField fails when a field of v, or of a struct inside it, is
// its zero value: a field added to the API's types must be given a value
// in fullChat, and so be compared.
func requireEveryField(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		require.False(t, v.IsNil(), "%s is not set", path)
		requireEveryField(t, v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			requireEveryField(t, v.Field(i), path+"."+f.Name)
		}
	case reflect.Map:
		require.NotZero(t, v.Len(), "%s is empty", path)
		if v.Type().Key().Kind() == reflect.Bool { // nullable.Nullable: its value
			val := v.MapIndex(reflect.ValueOf(true))
			require.True(t, val.IsValid(), "%s has no value", path)
			requireEveryField(t, val, path)
		}
	case reflect.Slice:
		require.NotZero(t, v.Len(), "%s is empty", path)
		requireEveryField(t, v.Index(0), path+"[0]")
	case reflect.Interface:
		require.False(t, v.IsNil(), "%s is not set", path)
	default:
		require.False(t, v.IsZero(), "%s is not set", path)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", odd, "\x00", "\xed\xa0\x80", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		sameJSON(t, want, appendString(nil, s))
	})
}

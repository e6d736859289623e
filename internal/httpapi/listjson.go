package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
)

// The chats and messages lists are the inbox's busiest reads, and their
// JSON was half of wamux's time for a chats page: encoding/json marshals
// every json.Marshaler field (nullable.Nullable, the payloads with
// additional properties) on its own and then scans the result again to
// compact it, so a chat's last message was encoded twice and scanned
// three times. 100 chats took 2.2 ms to encode (BenchmarkListChats,
// docs/performance.md). The functions below append the same JSON values
// straight from the API types, in one pass.
//
// They write what encoding/json writes for these types, as JSON values:
// TestListJSONMatchesEncodingJSON compares both for every field, so a
// field added to these types in openapi.yaml fails it until it is written
// here too. Stored raw JSON (payloads, contexts) is written as stored.

// chatListJSON answers GET /api/v1/chats/.
type chatListJSON api.PaginatedChatList

func (r chatListJSON) VisitListChatsResponse(w http.ResponseWriter) error {
	return writeJSON(w, appendChatList(make([]byte, 0, 1024+1024*len(r.Results)), api.PaginatedChatList(r)))
}

// messageListJSON answers both messages lists.
type messageListJSON api.PaginatedMessageList

func (r messageListJSON) VisitListMessagesResponse(w http.ResponseWriter) error {
	return writeJSON(w, appendMessageList(make([]byte, 0, 1024+768*len(r.Results)), api.PaginatedMessageList(r)))
}

func (r messageListJSON) VisitListChatMessagesResponse(w http.ResponseWriter) error {
	return writeJSON(w, appendMessageList(make([]byte, 0, 1024+768*len(r.Results)), api.PaginatedMessageList(r)))
}

func writeJSON(w http.ResponseWriter, b []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(append(b, '\n'))
	return err
}

func appendChatList(b []byte, p api.PaginatedChatList) []byte {
	b = appendPageHead(b, p.Count, p.Next, p.Previous)
	return append(appendArray(b, p.Results, appendChat), '}')
}

func appendMessageList(b []byte, p api.PaginatedMessageList) []byte {
	b = appendPageHead(b, p.Count, p.Next, p.Previous)
	return append(appendArray(b, p.Results, appendMessage), '}')
}

// appendArray writes a JSON array of vs, or null for a nil slice, as
// encoding/json does.
func appendArray[T any](b []byte, vs []T, appendOne func([]byte, T) []byte) []byte {
	if vs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(b, v)
	}
	return append(b, ']')
}

// appendNullable writes n's value with appendValue, or null.
func appendNullable[T any](b []byte, n nullable.Nullable[T], appendValue func([]byte, T) []byte) []byte {
	if v, null := nullableValue(n); !null {
		return appendValue(b, v)
	}
	return append(b, "null"...)
}

func appendPageHead(b []byte, count int, next, prev nullable.Nullable[string]) []byte {
	b = append(b, `{"count":`...)
	b = strconv.AppendInt(b, int64(count), 10)
	b = append(b, `,"next":`...)
	b = appendNullableString(b, next)
	b = append(b, `,"previous":`...)
	b = appendNullableString(b, prev)
	return append(b, `,"results":`...)
}

func appendChat(b []byte, c api.Chat) []byte {
	b = append(b, `{"assigned_group":`...)
	b = appendNullable(b, c.AssignedGroup, appendGroupRef)
	b = append(b, `,"assigned_to_user":`...)
	b = appendNullable(b, c.AssignedToUser, appendUser)
	b = append(b, `,"contact":`...)
	b = appendPerson(b, c.Contact)
	b = append(b, `,"last_message":`...)
	b = appendNullable(b, c.LastMessage, appendMessage)
	b = append(b, `,"new_messages":`...)
	b = strconv.AppendInt(b, int64(c.NewMessages), 10)
	b = append(b, `,"tags":`...)
	b = appendTags(b, c.Tags)
	b = append(b, `,"wa_id":`...)
	b = appendString(b, c.WaId)
	return append(b, '}')
}

func appendMessage(b []byte, m api.Message) []byte {
	b = append(b, `{"contact":`...)
	b = appendNullable(b, m.Contact, appendPerson)
	b = append(b, `,"context":`...)
	b = appendNullable(b, m.Context, appendAny)
	b = append(b, `,"customer_wa_id":`...)
	b = appendString(b, m.CustomerWaId)
	b = append(b, `,"from_us":`...)
	b = strconv.AppendBool(b, m.FromUs)
	b = append(b, `,"id":`...)
	b = appendString(b, m.Id)
	b = append(b, `,"received":`...)
	b = strconv.AppendBool(b, m.Received)
	b = append(b, `,"sender":`...)
	b = appendNullable(b, m.Sender, appendUserBrief)
	b = append(b, `,"tags":`...)
	b = appendTags(b, m.Tags)
	b = append(b, `,"waba_payload":`...)
	b = appendRaw(b, m.WabaPayload)
	b = append(b, `,"waba_statuses":`...)
	b = appendStatuses(b, m.WabaStatuses)
	return append(b, '}')
}

func appendStatuses(b []byte, s api.MessageStatuses) []byte {
	b = append(b, `{"delivered":`...)
	b = strconv.AppendInt(b, int64(s.Delivered), 10)
	if s.Errors != nil {
		b = append(b, `,"errors":`...)
		b = appendAny(b, *s.Errors)
	}
	if s.Failed.IsSpecified() {
		b = append(b, `,"failed":`...)
		b = appendNullable(b, s.Failed, appendInt)
	}
	b = append(b, `,"read":`...)
	b = strconv.AppendInt(b, int64(s.Read), 10)
	b = append(b, `,"sent":`...)
	b = strconv.AppendInt(b, int64(s.Sent), 10)
	return append(b, '}')
}

func appendPerson(b []byte, p api.Person) []byte {
	b = append(b, `{"initials":`...)
	b = appendString(b, p.Initials)
	if p.LastMessageTimestamp.IsSpecified() {
		b = append(b, `,"last_message_timestamp":`...)
		b = appendNullable(b, p.LastMessageTimestamp, appendInt)
	}
	b = append(b, `,"wa_id":`...)
	b = appendString(b, p.WaId)
	b = append(b, `,"waba_payload":`...)
	b = appendPersonPayload(b, p.WabaPayload)
	return append(b, '}')
}

// appendPersonPayload writes the contact object as its generated
// MarshalJSON does: known and additional members in one object, sorted.
func appendPersonPayload(b []byte, p api.PersonWabaPayload) []byte {
	var known []member
	if p.Profile != nil {
		known = append(known, member{"profile", func(b []byte) []byte { return appendProfile(b, *p.Profile) }})
	}
	if p.WaId != nil {
		known = append(known, member{"wa_id", func(b []byte) []byte { return appendString(b, *p.WaId) }})
	}
	return appendOpenObject(b, known, p.AdditionalProperties)
}

func appendProfile(b []byte, p api.PersonWabaPayload_Profile) []byte {
	var known []member
	if p.Name != nil {
		known = append(known, member{"name", func(b []byte) []byte { return appendString(b, *p.Name) }})
	}
	return appendOpenObject(b, known, p.AdditionalProperties)
}

// member is a known member of an object that also has additional
// properties.
type member struct {
	key   string
	value func([]byte) []byte
}

// appendOpenObject writes known and additional members in one object,
// sorted by key, as the generated MarshalJSON of a type with additional
// properties does (it marshals them as one map).
func appendOpenObject(b []byte, known []member, additional map[string]any) []byte {
	keys := make([]string, 0, len(known)+len(additional))
	for _, m := range known {
		keys = append(keys, m.key)
	}
	for k := range additional {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if j := slices.IndexFunc(known, func(m member) bool { return m.key == k }); j >= 0 {
			b = known[j].value(b)
		} else {
			b = appendAny(b, additional[k])
		}
	}
	return append(b, '}')
}

func appendTags(b []byte, tags []api.ObjectTag) []byte { return appendArray(b, tags, appendTag) }

func appendTag(b []byte, t api.ObjectTag) []byte {
	b = append(b, `{"extra":`...)
	b = appendNullable(b, t.Extra, appendAny)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, int64(t.Id), 10)
	b = append(b, `,"name":`...)
	b = appendString(b, t.Name)
	b = append(b, `,"tagging_id":`...)
	b = strconv.AppendInt(b, int64(t.TaggingId), 10)
	b = append(b, `,"web_inbox_color":`...)
	b = appendNullableString(b, t.WebInboxColor)
	return append(b, '}')
}

func appendGroupRef(b []byte, g api.GroupRef) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(g.Id), 10)
	if g.Name != nil {
		b = append(b, `,"name":`...)
		b = appendString(b, *g.Name)
	}
	return append(b, '}')
}

func appendUser(b []byte, u api.User) []byte {
	b = append(b, `{"email":`...)
	b = appendString(b, u.Email)
	b = append(b, `,"first_name":`...)
	b = appendString(b, u.FirstName)
	b = append(b, `,"groups":`...)
	b = appendArray(b, u.Groups, appendGroupRef)
	if u.Id != nil {
		b = append(b, `,"id":`...)
		b = strconv.AppendInt(b, int64(*u.Id), 10)
	}
	b = append(b, `,"last_name":`...)
	b = appendString(b, u.LastName)
	b = append(b, `,"permissions":{"can_read_chats":`...)
	b = appendString(b, string(u.Permissions.CanReadChats))
	b = append(b, `,"can_use_tags":`...)
	b = strconv.AppendBool(b, u.Permissions.CanUseTags)
	b = append(b, `,"can_write_to_chats":`...)
	b = appendString(b, string(u.Permissions.CanWriteToChats))
	b = append(b, `},"profile":{"role":`...)
	b = appendString(b, string(u.Profile.Role))
	b = append(b, '}')
	if u.Url != nil {
		b = append(b, `,"url":`...)
		b = appendString(b, *u.Url)
	}
	b = append(b, `,"username":`...)
	b = appendString(b, u.Username)
	return append(b, '}')
}

func appendUserBrief(b []byte, u api.UserBrief) []byte {
	b = append(b, `{"email":`...)
	b = appendString(b, u.Email)
	b = append(b, `,"first_name":`...)
	b = appendString(b, u.FirstName)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, int64(u.Id), 10)
	b = append(b, `,"last_name":`...)
	b = appendString(b, u.LastName)
	if u.Profile != nil {
		b = append(b, `,"profile":{"role":`...)
		b = appendString(b, string(u.Profile.Role))
		b = append(b, '}')
	}
	if u.Url != nil {
		b = append(b, `,"url":`...)
		b = appendString(b, *u.Url)
	}
	b = append(b, `,"username":`...)
	b = appendString(b, u.Username)
	return append(b, '}')
}

// nullableValue is n's value, or null; an unspecified n (no value, not
// null) is its zero value, which is what nullable.Nullable's MarshalJSON
// writes for a field without omitempty.
func nullableValue[T any](n nullable.Nullable[T]) (T, bool) {
	if n.IsNull() {
		var zero T
		return zero, true
	}
	return n[true], false
}

func appendNullableString(b []byte, n nullable.Nullable[string]) []byte {
	return appendNullable(b, n, appendString)
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// appendRaw writes stored raw JSON as it is, or null when there is none,
// as encoding/json does for an empty json.RawMessage.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

// appendAny writes the rare free-form values (tag extras, contexts,
// status errors, additional contact fields) with encoding/json.
func appendAny[T any](b []byte, v T) []byte {
	enc, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...) // values decoded from stored JSON always encode
	}
	return append(b, enc...)
}

// appendString writes s as a JSON string, escaped as encoding/json
// escapes it (HTML characters and U+2028/U+2029 included; invalid UTF-8
// becomes U+FFFD).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

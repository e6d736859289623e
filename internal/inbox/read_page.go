package inbox

import (
	"encoding/json"
	"fmt"

	"github.com/wamux/wamux/gen/db"
)

// SearchCountBound is how many matches a list with a search counts at most.
// Counting every match of a frequent word visits each one (a word in a
// quarter of 1,000,000 messages: 266,280 rows, 0.8-2 s); counting up to
// 1,001 of them takes a few milliseconds. A count at the bound is a lower
// bound ("at least"); below it, it is exact.
const SearchCountBound = 1000

// countCap is the count_cap of a list query: nil (count everything) without
// a search, else SearchCountBound, raised to offset+limit+1 so that a count
// at the cap still says whether a next page exists.
func countCap(search *string, p Page) *int64 {
	if search == nil {
		return nil
	}
	c := max(int64(SearchCountBound), int64(p.Offset)+int64(p.Limit)+1)
	return &c
}

// jsonTag is a tag as ChatPage aggregates it (jsonb_build_object).
type jsonTag struct {
	TaggingID int64           `json:"tagging_id"`
	ID        int64           `json:"id"`
	Name      string          `json:"name"`
	Color     *string         `json:"color"`
	Extra     json.RawMessage `json:"extra"`
}

func decodeTags(raw json.RawMessage) ([]Tag, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var ts []jsonTag
	if err := json.Unmarshal(raw, &ts); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	out := make([]Tag, len(ts))
	for i, t := range ts {
		extra := t.Extra
		if string(extra) == "null" {
			extra = nil
		}
		out[i] = Tag{TaggingID: t.TaggingID, ID: t.ID, Name: t.Name, Color: t.Color, Extra: extra}
	}
	return out, nil
}

// chatFromPageRow maps a row of ChatPage: the chat, its person, its tags and
// its last message with that message's sender and tags.
func chatFromPageRow(r db.ChatPageRow) (Chat, error) {
	c := Chat{
		WaID: r.WaID, NewMessages: r.NewMessages, AssignedUserID: r.AssignedUserID, AssignedGroupID: r.AssignedGroupID,
		Contact: Person{WaID: r.WaID, ProfileName: r.ProfileName, Initials: r.Initials, Payload: r.PersonPayload, LastMessageAt: r.PersonLastMessageAt},
	}
	var err error
	if c.Tags, err = decodeTags(r.Tags); err != nil {
		return Chat{}, fmt.Errorf("chat %s: %w", r.WaID, err)
	}
	if r.LastID == nil {
		return c, nil
	}
	m := &Message{
		ID: *r.LastID, Wamid: deref(r.LastWamid), ChatWaID: r.WaID, FromUs: deref(r.LastFromUs), Payload: r.LastPayload,
		Context: r.LastContext, SentAt: r.LastSentAt, DeliveredAt: r.LastDeliveredAt, ReadAt: r.LastReadAt,
		FailedAt: r.LastFailedAt, Errors: r.LastStatusErrors, Ts: deref(r.LastTs), Received: r.LastReceived,
	}
	if r.LastSenderID != nil && r.SenderUsername != nil {
		m.Sender = &db.User{
			ID: *r.LastSenderID, Username: *r.SenderUsername, FirstName: deref(r.SenderFirstName),
			LastName: deref(r.SenderLastName), Email: deref(r.SenderEmail), Role: deref(r.SenderRole),
		}
	}
	if m.Tags, err = decodeTags(r.LastTags); err != nil {
		return Chat{}, fmt.Errorf("last message of chat %s: %w", r.WaID, err)
	}
	c.LastMessage = m
	return c, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

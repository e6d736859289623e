package waba

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// This file builds Cloud API webhook bodies the way Meta does, for the
// sandbox provider and for cmd/wabasim, so that simulated traffic takes the
// same route through wamux as real traffic.

// Business identifies the business number of simulated notifications.
type Business struct {
	// WABAID is the WhatsApp Business Account id (`entry[].id`).
	WABAID string
	// PhoneNumberID is `metadata.phone_number_id`.
	PhoneNumberID string
	// DisplayPhoneNumber is `metadata.display_phone_number`.
	DisplayPhoneNumber string
}

// DefaultBusiness returns the made-up business number of the fixtures, used
// where none is configured.
func DefaultBusiness() Business {
	return Business{WABAID: "109876543210987", PhoneNumberID: "110200300400500", DisplayPhoneNumber: "15550001000"}
}

func (b Business) withDefaults() Business {
	d := DefaultBusiness()
	if b.WABAID == "" {
		b.WABAID = d.WABAID
	}
	if b.PhoneNumberID == "" {
		b.PhoneNumberID = d.PhoneNumberID
	}
	if b.DisplayPhoneNumber == "" {
		b.DisplayPhoneNumber = d.DisplayPhoneNumber
	}
	return b
}

// NewOutboundMessageID returns a new wamid for a message the business sends
// to the wa_id to, shaped like Meta's: "wamid." and the base64 of a small
// record holding the customer's number and a random hex id.
func NewOutboundMessageID(to string) string { return newWamid(to, 0x11, 9) }

// NewInboundMessageID returns a new wamid for a message the customer with
// the wa_id from sends to the business.
func NewInboundMessageID(from string) string { return newWamid(from, 0x12, 10) }

func newWamid(waID string, direction byte, randomBytes int) string {
	id := randomHex(randomBytes, true)
	var b bytes.Buffer
	// Meta's record: 0x1c 0x18 len(wa_id) wa_id 0x15 0x02 0x00 direction
	// 0x18 len(id) id 0x00. The length bytes only hold short values, so an
	// odd wa_id is left out rather than making a malformed record.
	if len(waID) < 0x80 {
		b.Write([]byte{0x1c, 0x18, byte(len(waID))})
		b.WriteString(waID)
	}
	b.Write([]byte{0x15, 0x02, 0x00, direction, 0x18, byte(len(id))})
	b.WriteString(id)
	b.WriteByte(0)
	return "wamid." + base64.StdEncoding.EncodeToString(b.Bytes())
}

// NewMediaID returns a new media id shaped like the Cloud API's: 16 decimal
// digits.
func NewMediaID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead.
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	b[0] = '1' + b[0]%9 // no leading zero
	return string(b)
}

// NewConversationID returns a new conversation id shaped like the Cloud
// API's: 32 lowercase hex digits.
func NewConversationID() string { return randomHex(16, false) }

func randomHex(n int, upper bool) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead.
	s := hex.EncodeToString(b)
	if upper {
		return string(bytes.ToUpper([]byte(s)))
	}
	return s
}

// StatusUpdate is one simulated delivery status of a message the business
// sent.
type StatusUpdate struct {
	MessageID   string
	RecipientID string
	// Status is sent, delivered, read or failed.
	Status string
	// Time is when the status happened; zero means now.
	Time time.Time
	// Category is the pricing category (service, utility, marketing,
	// authentication). As on the Cloud API, sent and delivered statuses
	// carry a conversation and pricing object when it is set; read and
	// failed statuses never do.
	Category string
	// ConversationID identifies the conversation in those objects; empty
	// means a new random one.
	ConversationID string
	// Errors is the `errors` array of a failed status, as JSON.
	Errors json.RawMessage
}

// BuildStatusEnvelope returns a Cloud API webhook body carrying updates in
// one change of one entry, as Meta sends them.
func BuildStatusEnvelope(b Business, updates ...StatusUpdate) ([]byte, error) {
	if len(updates) == 0 {
		return nil, errors.New("build status envelope: no status updates")
	}
	statuses := make([]statusJSON, 0, len(updates))
	for _, u := range updates {
		if u.MessageID == "" || u.Status == "" {
			return nil, errors.New("build status envelope: a status update needs a message id and a status")
		}
		t := u.Time
		if t.IsZero() {
			t = time.Now()
		}
		s := statusJSON{
			ID:          u.MessageID,
			Status:      u.Status,
			Timestamp:   strconv.FormatInt(t.Unix(), 10),
			RecipientID: u.RecipientID,
		}
		if len(u.Errors) > 0 {
			if !json.Valid(u.Errors) {
				return nil, errors.New("build status envelope: errors are not valid JSON")
			}
			s.Errors = u.Errors
		}
		if u.Category != "" && (u.Status == "sent" || u.Status == "delivered") {
			conv := &conversationJSON{ID: u.ConversationID, Origin: originJSON{Type: u.Category}}
			if conv.ID == "" {
				conv.ID = NewConversationID()
			}
			// Only the first status of a conversation tells when it ends.
			if u.Status == "sent" {
				conv.ExpirationTimestamp = strconv.FormatInt(t.Add(24*time.Hour).Unix(), 10)
			}
			s.Conversation = conv
			s.Pricing = &pricingJSON{Billable: true, PricingModel: "CBP", Category: u.Category}
		}
		statuses = append(statuses, s)
	}
	return marshalEnvelope(b, valueJSON{Statuses: statuses})
}

// BuildInboundEnvelope returns a Cloud API webhook body carrying one
// message from the customer with the wa_id from and the profile name name,
// and the message's wamid. msg is the Cloud API message object without its
// envelope; "from" is set from the argument, and "id" (a new wamid),
// "timestamp" (now) and "type" (the one message type key msg holds, e.g.
// "text") are added when msg lacks them.
func BuildInboundEnvelope(b Business, from, name string, msg map[string]any, now time.Time) ([]byte, string, error) {
	if from == "" {
		return nil, "", errors.New(`build inbound envelope: "from" is empty`)
	}
	fixed := map[string]any{"from": from}
	id, _ := msg["id"].(string)
	if id == "" {
		id = NewInboundMessageID(from)
	}
	fixed["id"] = id
	if ts, ok := msg["timestamp"]; ok {
		fixed["timestamp"] = ts
	} else {
		if now.IsZero() {
			now = time.Now()
		}
		fixed["timestamp"] = strconv.FormatInt(now.Unix(), 10)
	}
	typ, _ := msg["type"].(string)
	if typ == "" {
		for _, t := range messageTypeKeys() {
			if _, ok := msg[t]; ok {
				if typ != "" {
					return nil, "", fmt.Errorf("build inbound envelope: message has no \"type\" and both %q and %q", typ, t)
				}
				typ = t
			}
		}
		if typ == "" {
			return nil, "", errors.New(`build inbound envelope: message has no "type" and no message type object (e.g. "text")`)
		}
	}
	fixed["type"] = typ
	raw, err := marshalOrdered([]string{"from", "id", "timestamp", "type"}, fixed, msg)
	if err != nil {
		return nil, "", fmt.Errorf("build inbound envelope: %w", err)
	}
	body, err := marshalEnvelope(b, valueJSON{
		Contacts: []contactJSON{{Profile: profileJSON{Name: name}, WaID: from}},
		Messages: []json.RawMessage{raw},
	})
	if err != nil {
		return nil, "", err
	}
	return body, id, nil
}

// messageTypeKeys returns the message types whose object is named after the
// type, in the order BuildInboundEnvelope looks for them.
func messageTypeKeys() []string {
	return []string{
		"text", "image", "audio", "video", "document", "sticker", "location", "contacts",
		"interactive", "button", "reaction", "order", "system",
	}
}

// marshalOrdered writes a JSON object with the keys of first in their
// order (values from fixed), then the remaining keys of rest, sorted, the
// way Meta orders a message's keys.
func marshalOrdered(first []string, fixed, rest map[string]any) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	write := func(k string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%q: %w", k, err)
		}
		b.Write(vb)
		return nil
	}
	for _, k := range first {
		if err := write(k, fixed[k]); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(rest))
	for k := range rest {
		if !slices.Contains(first, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := write(k, rest[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalEnvelope(b Business, v valueJSON) ([]byte, error) {
	b = b.withDefaults()
	v.MessagingProduct = "whatsapp"
	v.Metadata = metadataJSON{DisplayPhoneNumber: b.DisplayPhoneNumber, PhoneNumberID: b.PhoneNumberID}
	body, err := json.Marshal(envelopeJSON{
		Object: "whatsapp_business_account",
		Entry:  []entryJSON{{ID: b.WABAID, Changes: []changeJSON{{Value: v, Field: "messages"}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("marshal envelope: %w", err)
	}
	return body, nil
}

// The envelope's JSON, field order as Meta sends it.
type (
	envelopeJSON struct {
		Object string      `json:"object"`
		Entry  []entryJSON `json:"entry"`
	}
	entryJSON struct {
		ID      string       `json:"id"`
		Changes []changeJSON `json:"changes"`
	}
	changeJSON struct {
		Value valueJSON `json:"value"`
		Field string    `json:"field"`
	}
	valueJSON struct {
		MessagingProduct string            `json:"messaging_product"`
		Metadata         metadataJSON      `json:"metadata"`
		Contacts         []contactJSON     `json:"contacts,omitempty"`
		Messages         []json.RawMessage `json:"messages,omitempty"`
		Statuses         []statusJSON      `json:"statuses,omitempty"`
	}
	metadataJSON struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	}
	contactJSON struct {
		Profile profileJSON `json:"profile"`
		WaID    string      `json:"wa_id"`
	}
	profileJSON struct {
		Name string `json:"name"`
	}
	statusJSON struct {
		ID           string            `json:"id"`
		Status       string            `json:"status"`
		Timestamp    string            `json:"timestamp"`
		RecipientID  string            `json:"recipient_id"`
		Conversation *conversationJSON `json:"conversation,omitempty"`
		Pricing      *pricingJSON      `json:"pricing,omitempty"`
		Errors       json.RawMessage   `json:"errors,omitempty"`
	}
	conversationJSON struct {
		ID                  string     `json:"id"`
		ExpirationTimestamp string     `json:"expiration_timestamp,omitempty"`
		Origin              originJSON `json:"origin"`
	}
	originJSON struct {
		Type string `json:"type"`
	}
	pricingJSON struct {
		Billable     bool   `json:"billable"`
		PricingModel string `json:"pricing_model"`
		Category     string `json:"category"`
	}
)

package waba

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// sendRequestBody returns the Cloud API body that sends msg:
//
//	{"messaging_product":"whatsapp","recipient_type":"individual","to":..,
//	 "type":..,"context":..,"<type>":<Body>}
//
// Both Meta and 360dialog's Cloud API take it. Body is copied as it is,
// except that PreviewURL adds `preview_url` to a text object; the legacy
// On-Premise template type "hsm" is sent as is under "hsm".
func sendRequestBody(msg OutgoingMessage) ([]byte, error) {
	if msg.To == "" {
		return nil, errors.New(`message has no "to"`)
	}
	if err := checkMessageType(msg.Type); err != nil {
		return nil, err
	}
	body := bytes.TrimSpace(msg.Body)
	if len(body) == 0 || kind(body) == 'n' {
		return nil, fmt.Errorf("message has no %q object", msg.Type)
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("message's %q object is not valid JSON", msg.Type)
	}
	if msg.Type == "text" && msg.PreviewURL {
		var text map[string]json.RawMessage
		if err := json.Unmarshal(body, &text); err != nil {
			return nil, fmt.Errorf(`message's "text" object: %w`, err)
		}
		text["preview_url"] = json.RawMessage("true")
		var err error
		if body, err = json.Marshal(text); err != nil {
			return nil, fmt.Errorf(`message's "text" object: %w`, err)
		}
	}
	ctx := bytes.TrimSpace(msg.Context)
	if len(ctx) > 0 && kind(ctx) != 'n' {
		if !json.Valid(ctx) || kind(ctx) != '{' {
			return nil, errors.New(`message's "context" is not a JSON object`)
		}
	} else {
		ctx = nil
	}

	var b bytes.Buffer
	b.WriteString(`{"messaging_product":"whatsapp","recipient_type":"individual","to":`)
	to, _ := json.Marshal(msg.To)
	b.Write(to)
	b.WriteString(`,"type":"`)
	b.WriteString(msg.Type) // checkMessageType allows only [a-z_].
	b.WriteString(`"`)
	if ctx != nil {
		b.WriteString(`,"context":`)
		b.Write(ctx)
	}
	b.WriteString(`,"`)
	b.WriteString(msg.Type)
	b.WriteString(`":`)
	b.Write(body)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// checkMessageType accepts the names the Cloud API uses for message types
// and refuses any that would clash with the body's own keys.
func checkMessageType(t string) error {
	if t == "" {
		return errors.New(`message has no "type"`)
	}
	for _, r := range t {
		if (r < 'a' || r > 'z') && r != '_' {
			return fmt.Errorf("message type %q is not a Cloud API message type", t)
		}
	}
	switch t {
	case "messaging_product", "recipient_type", "to", "type", "context", "status":
		return fmt.Errorf("message type %q is not a Cloud API message type", t)
	}
	return nil
}

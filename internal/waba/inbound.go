package waba

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ParseNotification parses the body of one inbound webhook request in either
// shape a provider sends: the Cloud API envelope
// (`entry[].changes[].value`, used by Meta and by 360dialog's Cloud API) or
// the On-Premise shape (top-level `contacts`, `messages`, `statuses`,
// `errors`). Entries and changes are flattened in the order they arrive.
//
// Every error describes what is wrong with the input, with the JSON path of
// the offending value (e.g. `messages[0]: missing "id"`), so it can be used
// as the detail of a 400 answer as it is. Fields wamux does not read are not
// validated; fields it reads must have their documented JSON type.
func ParseNotification(body []byte) (*Notification, error) {
	if !json.Valid(body) {
		// Unmarshal gives the position of the first syntax error, which
		// json.Valid does not.
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, fmt.Errorf("body is not valid JSON: %w", err)
		}
		return nil, errors.New("body is not valid JSON")
	}
	// The body is validated once, here; below, objects are split by a
	// scanner that relies on that (see rawjson.go). The raw objects point
	// into this copy, so they stay intact if the caller reuses body.
	body = bytes.TrimSpace(bytes.Clone(body))
	top, err := decodeObject(body, "body")
	if err != nil {
		return nil, err
	}
	n := &Notification{}
	if top.has("entry") {
		if err := n.addCloud(top); err != nil {
			return nil, err
		}
		return n, nil
	}
	if !top.has("contacts") && !top.has("messages") && !top.has("statuses") && !top.has("errors") {
		return nil, errors.New(`body is not a WhatsApp notification: want "entry" (Cloud API) or "contacts", "messages", "statuses" or "errors" (On-Premise)`)
	}
	if err := n.addValue(top, "", ""); err != nil {
		return nil, err
	}
	return n, nil
}

// Empty reports whether the notification carries nothing: no contacts,
// messages, statuses or errors. A Cloud API envelope that only holds changes
// of other fields (e.g. template status updates) parses to an empty
// notification.
func (n *Notification) Empty() bool {
	return n == nil || len(n.Contacts) == 0 && len(n.Messages) == 0 && len(n.Statuses) == 0 && len(n.Errors) == 0
}

// addCloud flattens a Cloud API envelope into n.
func (n *Notification) addCloud(top fields) error {
	entries, err := top.array("", "entry")
	if err != nil {
		return err
	}
	for i, rawEntry := range entries {
		entryPath := fmt.Sprintf("entry[%d]", i)
		entry, err := decodeObject(rawEntry, entryPath)
		if err != nil {
			return err
		}
		changes, err := entry.array(entryPath, "changes")
		if err != nil {
			return err
		}
		for j, rawChange := range changes {
			changePath := fmt.Sprintf("%s.changes[%d]", entryPath, j)
			change, err := decodeObject(rawChange, changePath)
			if err != nil {
				return err
			}
			field, err := change.str(changePath, "field")
			if err != nil {
				return err
			}
			// Other fields (account_update, message_template_status_update,
			// ...) share the envelope but carry no messages or statuses;
			// they are acknowledged and ignored rather than refused, since
			// a refusal only makes the provider retry them.
			if field != "" && field != "messages" {
				continue
			}
			valuePath := changePath + ".value"
			if !change.has("value") {
				return fmt.Errorf("%s: missing %q", changePath, "value")
			}
			value, err := decodeObject(change.get("value"), valuePath)
			if err != nil {
				return err
			}
			phoneNumberID := ""
			if value.has("metadata") {
				md, err := decodeObject(value.get("metadata"), valuePath+".metadata")
				if err != nil {
					return err
				}
				if phoneNumberID, err = md.str(valuePath+".metadata", "phone_number_id"); err != nil {
					return err
				}
			}
			if err := n.addValue(value, valuePath, phoneNumberID); err != nil {
				return err
			}
		}
	}
	return nil
}

// addValue adds the contacts, messages, statuses and errors of one Cloud API
// change value, or of an On-Premise body, found at path.
func (n *Notification) addValue(v fields, path, phoneNumberID string) error {
	contacts, err := v.array(path, "contacts")
	if err != nil {
		return err
	}
	for i, raw := range contacts {
		c, err := parseContact(raw, fmt.Sprintf("%s[%d]", join(path, "contacts"), i))
		if err != nil {
			return err
		}
		n.Contacts = append(n.Contacts, c)
	}
	messages, err := v.array(path, "messages")
	if err != nil {
		return err
	}
	for i, raw := range messages {
		m, err := parseMessage(raw, fmt.Sprintf("%s[%d]", join(path, "messages"), i))
		if err != nil {
			return err
		}
		m.PhoneNumberID = phoneNumberID
		n.Messages = append(n.Messages, m)
	}
	statuses, err := v.array(path, "statuses")
	if err != nil {
		return err
	}
	for i, raw := range statuses {
		s, err := parseStatus(raw, fmt.Sprintf("%s[%d]", join(path, "statuses"), i))
		if err != nil {
			return err
		}
		s.PhoneNumberID = phoneNumberID
		n.Statuses = append(n.Statuses, s)
	}
	errs, err := v.array(path, "errors")
	if err != nil {
		return err
	}
	for i, raw := range errs {
		if kind(raw) != '{' {
			return fmt.Errorf("%s[%d]: want an object, got %s", join(path, "errors"), i, kindName(raw))
		}
		n.Errors = append(n.Errors, raw)
	}
	return nil
}

func parseContact(raw json.RawMessage, path string) (Contact, error) {
	f, err := decodeObject(raw, path)
	if err != nil {
		return Contact{}, err
	}
	waID, err := f.required(path, "wa_id")
	if err != nil {
		return Contact{}, err
	}
	c := Contact{WaID: waID, Raw: raw}
	if f.has("profile") {
		profile, err := decodeObject(f.get("profile"), path+".profile")
		if err != nil {
			return Contact{}, err
		}
		if c.ProfileName, err = profile.str(path+".profile", "name"); err != nil {
			return Contact{}, err
		}
	}
	return c, nil
}

func parseStatus(raw json.RawMessage, path string) (Status, error) {
	f, err := decodeObject(raw, path)
	if err != nil {
		return Status{}, err
	}
	s := Status{Raw: raw}
	if s.ID, err = f.required(path, "id"); err != nil {
		return Status{}, err
	}
	if s.Status, err = f.required(path, "status"); err != nil {
		return Status{}, err
	}
	if s.RecipientID, err = f.str(path, "recipient_id"); err != nil {
		return Status{}, err
	}
	if s.Timestamp, err = f.timestamp(path, "timestamp"); err != nil {
		return Status{}, err
	}
	if f.has("errors") {
		if kind(f.get("errors")) != '[' {
			return Status{}, fmt.Errorf("%s.errors: want an array, got %s", path, kindName(f.get("errors")))
		}
		s.Errors = f.get("errors")
	}
	return s, nil
}

func parseMessage(raw json.RawMessage, path string) (Message, error) {
	f, err := decodeObject(raw, path)
	if err != nil {
		return Message{}, err
	}
	m := Message{Raw: raw}
	if m.ID, err = f.required(path, "id"); err != nil {
		return Message{}, err
	}
	if m.From, err = f.required(path, "from"); err != nil {
		return Message{}, err
	}
	if m.Type, err = f.required(path, "type"); err != nil {
		return Message{}, err
	}
	if m.Timestamp, err = f.timestamp(path, "timestamp"); err != nil {
		return Message{}, err
	}
	if f.has("context") {
		if kind(f.get("context")) != '{' {
			return Message{}, fmt.Errorf("%s.context: want an object, got %s", path, kindName(f.get("context")))
		}
		m.Context = f.get("context")
	}
	if err := m.fillContent(f, path); err != nil {
		return Message{}, err
	}
	return m, nil
}

// fillContent sets Text and Media from the object named by the message's
// type. A missing type object leaves both empty: the message is still
// stored and delivered, only without searchable text. The objects of types
// wamux does not read (order items, unsupported, future types) are not
// looked at.
func (m *Message) fillContent(f fields, path string) error {
	objPath := join(path, m.Type)
	var obj fields
	var err error
	switch m.Type {
	case "contacts":
		m.Text, err = contactsText(f, path)
		return err
	case "text", "image", "audio", "voice", "video", "document", "sticker",
		"location", "interactive", "button", "reaction", "system", "order":
		if obj, err = f.object(path, m.Type); err != nil || obj == nil {
			return err
		}
	default:
		return nil
	}
	switch m.Type {
	case "text":
		m.Text, err = obj.str(objPath, "body")
	case "image", "audio", "voice", "video", "document", "sticker":
		m.Media, err = parseMedia(obj, objPath)
		if err == nil {
			// A document is found by its caption and by its file name.
			m.Text = joinNonEmpty("\n", m.Media.Caption, m.Media.Filename)
		}
	case "location":
		var name, address string
		if name, err = obj.str(objPath, "name"); err != nil {
			return err
		}
		if address, err = obj.str(objPath, "address"); err != nil {
			return err
		}
		m.Text = joinNonEmpty("\n", name, address)
	case "interactive":
		m.Text, err = interactiveText(obj, objPath)
	case "button":
		m.Text, err = obj.str(objPath, "text")
	case "reaction":
		// A removed reaction has no emoji or an empty one: Text stays "".
		m.Text, err = obj.str(objPath, "emoji")
	case "system":
		m.Text, err = obj.str(objPath, "body")
	case "order":
		// The note the customer typed with the cart.
		m.Text, err = obj.str(objPath, "text")
	}
	return err
}

// contactsText is the formatted names of shared contact cards, one a line,
// so that a shared card is found by the name on it.
func contactsText(f fields, path string) (string, error) {
	cards, err := f.array(path, "contacts")
	if err != nil {
		return "", err
	}
	var names []string
	for i, raw := range cards {
		cardPath := fmt.Sprintf("%s[%d]", join(path, "contacts"), i)
		card, err := decodeObject(raw, cardPath)
		if err != nil {
			return "", err
		}
		name, err := card.object(cardPath, "name")
		if err != nil {
			return "", err
		}
		if name == nil {
			continue
		}
		formatted, err := name.str(cardPath+".name", "formatted_name")
		if err != nil {
			return "", err
		}
		names = append(names, formatted)
	}
	return joinNonEmpty("\n", names...), nil
}

func parseMedia(obj fields, path string) (*Media, error) {
	var md Media
	var err error
	for _, p := range []struct {
		key string
		dst *string
	}{
		{"id", &md.ID},
		{"mime_type", &md.MimeType},
		{"sha256", &md.SHA256},
		{"filename", &md.Filename},
		{"caption", &md.Caption},
	} {
		if *p.dst, err = obj.str(path, p.key); err != nil {
			return nil, err
		}
	}
	return &md, nil
}

// interactiveText is the title of a tapped button or list row, or the body
// of a completed flow (what the customer's chat shows).
func interactiveText(obj fields, path string) (string, error) {
	sub, err := obj.str(path, "type")
	if err != nil || sub == "" {
		return "", err
	}
	reply, err := obj.object(path, sub)
	if err != nil || reply == nil {
		return "", err
	}
	if sub == "nfm_reply" {
		return reply.str(path+"."+sub, "body")
	}
	return reply.str(path+"."+sub, "title")
}

// kind classifies a JSON value by its first byte: '{', '[', '"', 't' (true
// or false), 'n' (null) or '0' (number). Values come from a decoder that
// already validated them, so the first byte decides.
func kind(raw json.RawMessage) byte {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[', '"', 'n':
			return b
		case 't', 'f':
			return 't'
		default:
			return '0'
		}
	}
	return 'n'
}

func kindName(raw json.RawMessage) string {
	switch kind(raw) {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinNonEmpty(sep string, parts ...string) string {
	kept := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// truncate shortens s to about n bytes for an error message, keeping it
// valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ToValidUTF8(s[:n], "\uFFFD") + "..."
}

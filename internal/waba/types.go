package waba

import (
	"context"
	"encoding/json"
	"fmt"
)

// Notification is one inbound webhook request, normalised. The raw provider
// objects are kept byte for byte so that subscribers receive exactly what
// the provider sent.
type Notification struct {
	Contacts []Contact
	Messages []Message
	Statuses []Status
	// Errors are notification-level `errors` not tied to a message.
	Errors []json.RawMessage
}

// Contact is a customer's profile as the provider reports it.
type Contact struct {
	WaID        string
	ProfileName string
	// Raw is the provider's contact object, unchanged.
	Raw json.RawMessage
}

// Message is an inbound message from a customer.
type Message struct {
	// ID is the provider's message id (wamid).
	ID string
	// From is the customer's wa_id.
	From string
	// Timestamp is POSIX seconds.
	Timestamp int64
	// Type is the provider's message type (text, image, ..., unsupported).
	Type string
	// Raw is the provider's message object, unchanged (unknown fields kept).
	Raw json.RawMessage
	// Context is the `context` object of a reply or forward, if any.
	Context json.RawMessage
	// Text is the searchable text of the message: a text body, a caption, a
	// document's filename, a location's name and address, a button or list
	// reply's title, a reaction's emoji, a system message's body.
	Text string
	// Media is set for image, audio, voice, video, document and sticker.
	Media *Media
	// PhoneNumberID is the business number the message was sent to
	// (`metadata.phone_number_id` of a Cloud API change), "" for the
	// On-Premise shape. One Cloud API delivery may carry several numbers.
	PhoneNumberID string
}

// Media describes a media object of a message.
type Media struct {
	// ID is the provider's media id.
	ID       string
	MimeType string
	SHA256   string
	Filename string
	Caption  string
}

// Status is a delivery status notification for a message wamux (or another
// system on the same number) sent.
type Status struct {
	// ID is the wamid of the message the status is about.
	ID          string
	RecipientID string
	// Status is sent, delivered, read, failed, deleted or played.
	Status    string
	Timestamp int64
	// Errors are the status's `errors`, as sent (failed statuses).
	Errors json.RawMessage
	// Raw is the provider's status object, unchanged.
	Raw json.RawMessage
	// PhoneNumberID is the business number that sent the message
	// (`metadata.phone_number_id` of a Cloud API change), "" for the
	// On-Premise shape.
	PhoneNumberID string
}

// OutgoingMessage is a message to send, already validated by the caller.
type OutgoingMessage struct {
	// To is the customer's wa_id.
	To string
	// Type is text, image, audio, video, document, sticker, location,
	// contacts, template, hsm, interactive or reaction.
	Type string
	// Body is the type's object (the value of the field named by Type), as
	// JSON. For media types a wamux media id has already been replaced by
	// the provider's media id or a link.
	Body json.RawMessage
	// Context is {"message_id": "..."} for a reply, or nil.
	Context json.RawMessage
	// PreviewURL asks for a link preview of a text message.
	PreviewURL bool
}

// SendResult is the provider's answer to a send.
type SendResult struct {
	// MessageID is the wamid the provider gave the message.
	MessageID string
	// Response is the provider's answer, unchanged (`waba_response`).
	Response json.RawMessage
	// Request is the JSON body wamux sent to the provider; it is stored as
	// the message's waba_payload (plus id and timestamp).
	Request json.RawMessage
}

// ProviderError is an error answer from the provider.
type ProviderError struct {
	// HTTPStatus is the provider's HTTP status.
	HTTPStatus int
	// Code is the provider's error code (e.g. 131047), 0 if none.
	Code int
	// Message is the provider's human-readable message (with details).
	Message string
	// Raw is the provider's error body, unchanged.
	Raw json.RawMessage
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("provider answered %d (code %d): %s", e.HTTPStatus, e.Code, e.Message)
}

// Provider is the WhatsApp Business API as wamux uses it.
type Provider interface {
	// Name is "cloud", "360dialog" or "sandbox".
	Name() string
	// Send sends one message. A provider refusal is a *ProviderError.
	Send(ctx context.Context, msg OutgoingMessage) (SendResult, error)
	// UploadMedia uploads bytes and returns the provider's media id.
	UploadMedia(ctx context.Context, data []byte, mimeType, filename string) (string, error)
	// DownloadMedia fetches the bytes of a provider media id.
	DownloadMedia(ctx context.Context, mediaID string) (data []byte, mimeType string, err error)
}

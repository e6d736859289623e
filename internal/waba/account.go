package waba

import (
	"context"
	"encoding/json"
	"errors"
)

// Account is the management half of the WhatsApp Business API, beside
// Provider's messaging half: the business account's message templates, the
// number's business profile (its "about" text and photo included) and the
// On-Premise contacts check. The cloud, 360dialog and sandbox providers
// implement both interfaces.
//
// A provider refusal is a *ProviderError, as with Send.
type Account interface {
	// ListTemplates returns the templates from offset on, at most limit of
	// them, and how many there are in all.
	ListTemplates(ctx context.Context, limit, offset int) (TemplateList, error)
	// CreateTemplate submits a template for review and returns it as the
	// provider now keeps it (Status is usually PENDING).
	CreateTemplate(ctx context.Context, t Template) (Template, error)
	// DeleteTemplate deletes every language of the template called name.
	// A name the provider does not know is ErrTemplateNotFound.
	DeleteTemplate(ctx context.Context, name string) error
	// BusinessProfile returns the number's business profile.
	BusinessProfile(ctx context.Context) (BusinessProfile, error)
	// UpdateBusinessProfile changes the fields of u that are set.
	UpdateBusinessProfile(ctx context.Context, u ProfileUpdate) error
	// SetProfilePhoto replaces the profile photo with data, a JPEG or PNG.
	SetProfilePhoto(ctx context.Context, data []byte, mimeType string) error
	// CheckContacts tells which phone numbers are WhatsApp users. A
	// provider without a contacts endpoint answers ErrUnsupported.
	CheckContacts(ctx context.Context, c ContactsCheck) ([]ContactStatus, error)
}

// Template is a message template. Components is the template's JSON array
// of components, passed through unchanged.
type Template struct {
	// ID is the provider's id of one language of the template, if known.
	ID         string
	Name       string
	Category   string
	Language   string
	Components json.RawMessage
	// Namespace is the business account's template namespace, if known.
	Namespace string
	// Status is the review status in capitals (APPROVED, PENDING,
	// REJECTED, ...).
	Status string
	// RejectedReason says why a template was rejected; NONE otherwise.
	RejectedReason string
}

// TemplateList is one page of templates.
type TemplateList struct {
	Templates []Template
	// Total is the number of templates on all pages.
	Total int
}

// BusinessProfile is the business profile of the number, with the Cloud
// API's names and values (Vertical is a code such as RETAIL).
type BusinessProfile struct {
	About       string
	Address     string
	Description string
	Email       string
	Vertical    string
	Websites    []string
	// ProfilePictureURL is where the current photo can be downloaded; ""
	// when there is none.
	ProfilePictureURL string
}

// ProfileUpdate changes the business profile: nil fields stay as they are.
type ProfileUpdate struct {
	About       *string
	Address     *string
	Description *string
	Email       *string
	Vertical    *string
	Websites    *[]string
}

// ContactsCheck asks which of Contacts (phone numbers in any format) are
// WhatsApp users.
type ContactsCheck struct {
	Contacts []string
	// Blocking is "wait" or "no_wait" (the default).
	Blocking   string
	ForceCheck bool
}

// ContactStatus is the answer for one number of a ContactsCheck.
type ContactStatus struct {
	// Input is the number as given.
	Input string
	// WaID is the WhatsApp ID of a valid number, "" otherwise.
	WaID string
	// Status is valid, invalid, processing or failed.
	Status string
}

var (
	// ErrTemplateNotFound is DeleteTemplate's answer for a name the
	// provider does not know.
	ErrTemplateNotFound = errors.New("no message template has this name")
	// ErrUnsupported is the answer of a provider that does not offer the
	// operation at all.
	ErrUnsupported = errors.New("the provider does not offer this operation")
	// ErrNotConfigured is the answer of a provider that lacks a setting
	// the operation needs; the error's text names it.
	ErrNotConfigured = errors.New("the provider is not configured for this operation")
)

package waba

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The sandbox's account: templates, business profile and photo live in
// memory and are checked as the Cloud API checks them, so that `make run`
// demos behave like a real number. A new template is PENDING when created
// and APPROVED once the sandbox's Delay has passed (a simulated review).

// Limits of the business profile, the Cloud API's.
const (
	MaxProfileAbout       = 139
	MaxProfileAddress     = 256
	MaxProfileDescription = 512
	MaxProfileEmail       = 128
	MaxProfileWebsites    = 2
	MaxProfileWebsite     = 256
	// MaxProfilePhotoBytes bounds a profile photo.
	MaxProfilePhotoBytes = 5 << 20
)

// Verticals are the Cloud API's business verticals (industries).
var Verticals = []string{
	"UNDEFINED", "OTHER", "AUTO", "BEAUTY", "APPAREL", "EDU", "ENTERTAIN", "EVENT_PLAN", "FINANCE", "GROCERY",
	"GOVT", "HOTEL", "HEALTH", "NONPROFIT", "PROF_SERVICES", "RETAIL", "TRAVEL", "RESTAURANT", "NOT_A_BIZ",
}

// DefaultAbout is the "about" text WhatsApp gives a new number.
const DefaultAbout = "Hey there! I am using WhatsApp."

type sandboxAccount struct {
	mu        sync.Mutex
	namespace string
	templates []sandboxTemplate
	profile   BusinessProfile
	photo     []byte
	photoType string
}

type sandboxTemplate struct {
	Template
	created time.Time
}

func newSandboxAccount() *sandboxAccount {
	ns := randomHex(16, false)
	a := &sandboxAccount{
		namespace: ns[:8] + "_" + ns[8:12] + "_" + ns[12:16] + "_" + ns[16:20] + "_" + ns[20:],
		profile:   BusinessProfile{About: DefaultAbout, Vertical: "UNDEFINED", Websites: []string{}},
	}
	// Every new business account starts with Meta's sample template.
	a.templates = append(a.templates, sandboxTemplate{Template: Template{
		ID: NewMediaID(), Name: "hello_world", Category: "UTILITY", Language: "en_US", Namespace: a.namespace,
		Status: "APPROVED", RejectedReason: "NONE",
		Components: json.RawMessage(`[{"type":"HEADER","format":"TEXT","text":"Hello World"},` +
			`{"type":"BODY","text":"Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us."},` +
			`{"type":"FOOTER","text":"WhatsApp Business Platform sample message"}]`),
	}})
	return a
}

// ListTemplates implements Account.
func (s *Sandbox) ListTemplates(ctx context.Context, limit, offset int) (TemplateList, error) {
	if err := ctx.Err(); err != nil {
		return TemplateList{}, fmt.Errorf("sandbox: list templates: %w", err)
	}
	a := s.account
	a.mu.Lock()
	defer a.mu.Unlock()
	out := TemplateList{Total: len(a.templates), Templates: []Template{}}
	for i := offset; i >= 0 && i < len(a.templates) && i < offset+limit; i++ {
		t := a.templates[i]
		if t.Status == "PENDING" && time.Since(t.created) >= s.cfg.Delay {
			a.templates[i].Status, t.Status = "APPROVED", "APPROVED"
		}
		out.Templates = append(out.Templates, t.Template)
	}
	return out, nil
}

var (
	templateNameRE     = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	templateLanguageRE = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
)

// legacyCategories are the categories of the reference, from before Meta
// kept three; Meta filed them under UTILITY, and so does the sandbox.
var legacyCategories = []string{
	"ACCOUNT_UPDATE", "PAYMENT_UPDATE", "PERSONAL_FINANCE_UPDATE", "SHIPPING_UPDATE", "RESERVATION_UPDATE",
	"ISSUE_RESOLUTION", "APPOINTMENT_UPDATE", "TRANSPORTATION_UPDATE", "TICKET_UPDATE", "ALERT_UPDATE", "AUTO_REPLY",
	"TRANSACTIONAL",
}

// CreateTemplate implements Account, refusing what the Cloud API refuses.
func (s *Sandbox) CreateTemplate(ctx context.Context, t Template) (Template, error) {
	if err := ctx.Err(); err != nil {
		return Template{}, fmt.Errorf("sandbox: create template: %w", err)
	}
	category := strings.ToUpper(t.Category)
	switch {
	case !templateNameRE.MatchString(t.Name):
		return Template{}, invalidParameter("Parameter name may only contain lowercase letters, digits and underscores (at most 512).")
	case !templateLanguageRE.MatchString(t.Language):
		return Template{}, invalidParameter(fmt.Sprintf("Parameter language %q is not a supported language code such as en or en_US.", t.Language))
	case slices.Contains(legacyCategories, category):
		category = "UTILITY"
	case category != "AUTHENTICATION" && category != "MARKETING" && category != "UTILITY":
		return Template{}, invalidParameter("Parameter category must be AUTHENTICATION, MARKETING or UTILITY.")
	}
	if err := checkComponents(t.Components); err != nil {
		return Template{}, err
	}
	a := s.account
	a.mu.Lock()
	defer a.mu.Unlock()
	if slices.ContainsFunc(a.templates, func(o sandboxTemplate) bool { return o.Name == t.Name && o.Language == t.Language }) {
		return Template{}, NewGraphError(http.StatusBadRequest, 100, "Invalid parameter",
			fmt.Sprintf("Content in this language already exists: there is already %s content for %s.", t.Language, t.Name))
	}
	out := Template{
		ID: NewMediaID(), Name: t.Name, Category: category, Language: t.Language, Components: t.Components,
		Namespace: a.namespace, Status: "PENDING", RejectedReason: "NONE",
	}
	a.templates = append(a.templates, sandboxTemplate{Template: out, created: time.Now()})
	return out, nil
}

// checkComponents wants a JSON array of objects with one BODY that has a
// text, as the Cloud API does.
func checkComponents(raw json.RawMessage) error {
	var comps []map[string]any
	if err := json.Unmarshal(raw, &comps); err != nil {
		return invalidParameter("Parameter components must be an array of objects.")
	}
	bodies := 0
	for _, c := range comps {
		typ, _ := c["type"].(string)
		if strings.EqualFold(typ, "BODY") {
			bodies++
			if text, _ := c["text"].(string); strings.TrimSpace(text) == "" {
				return invalidParameter("The BODY component needs a text.")
			}
		}
	}
	if bodies != 1 {
		return invalidParameter("A template needs exactly one component of type BODY.")
	}
	return nil
}

// DeleteTemplate implements Account: every language of the template goes.
func (s *Sandbox) DeleteTemplate(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sandbox: delete template: %w", err)
	}
	a := s.account
	a.mu.Lock()
	defer a.mu.Unlock()
	before := len(a.templates)
	a.templates = slices.DeleteFunc(a.templates, func(t sandboxTemplate) bool { return t.Name == name })
	if len(a.templates) == before {
		return fmt.Errorf("sandbox: delete template %q: %w", name, ErrTemplateNotFound)
	}
	return nil
}

// BusinessProfile implements Account. The photo, kept in memory, is
// reported as a data: URL, which a browser shows as it is.
func (s *Sandbox) BusinessProfile(ctx context.Context) (BusinessProfile, error) {
	if err := ctx.Err(); err != nil {
		return BusinessProfile{}, fmt.Errorf("sandbox: get business profile: %w", err)
	}
	a := s.account
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.profile
	p.Websites = slices.Clone(p.Websites)
	if len(a.photo) > 0 {
		p.ProfilePictureURL = "data:" + a.photoType + ";base64," + base64.StdEncoding.EncodeToString(a.photo)
	}
	return p, nil
}

// UpdateBusinessProfile implements Account, refusing what the Cloud API
// refuses.
func (s *Sandbox) UpdateBusinessProfile(ctx context.Context, u ProfileUpdate) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sandbox: update business profile: %w", err)
	}
	if err := CheckProfileUpdate(u); err != nil {
		return invalidParameter(err.Error())
	}
	a := s.account
	a.mu.Lock()
	defer a.mu.Unlock()
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.profile.About, u.About)
	set(&a.profile.Address, u.Address)
	set(&a.profile.Description, u.Description)
	set(&a.profile.Email, u.Email)
	set(&a.profile.Vertical, u.Vertical)
	if u.Websites != nil {
		a.profile.Websites = slices.Clone(*u.Websites)
	}
	return nil
}

// FieldError is a value the business profile cannot take.
type FieldError struct {
	// Field is the profile field (about, address, email, ...).
	Field string
	// Reason is a sentence saying why.
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// CheckProfileUpdate checks u against the Cloud API's rules for the
// business profile: the first violation is a *FieldError.
func CheckProfileUpdate(u ProfileUpdate) error {
	tooLong := func(field string, v *string, n int) error {
		if v != nil && utf8.RuneCountInString(*v) > n {
			return &FieldError{field, fmt.Sprintf("Ensure this field has no more than %d characters.", n)}
		}
		return nil
	}
	for _, err := range []error{
		tooLong("about", u.About, MaxProfileAbout),
		tooLong("address", u.Address, MaxProfileAddress),
		tooLong("description", u.Description, MaxProfileDescription),
		tooLong("email", u.Email, MaxProfileEmail),
	} {
		if err != nil {
			return err
		}
	}
	if u.About != nil && strings.TrimSpace(*u.About) == "" {
		return &FieldError{"about", "This field may not be blank."}
	}
	if u.Email != nil && *u.Email != "" && !validEmail(*u.Email) {
		return &FieldError{"email", "Enter a valid email address."}
	}
	if u.Vertical != nil && !slices.Contains(Verticals, *u.Vertical) {
		return &FieldError{"vertical", fmt.Sprintf("%q is not one of %s.", *u.Vertical, strings.Join(Verticals, ", "))}
	}
	if u.Websites != nil {
		if len(*u.Websites) > MaxProfileWebsites {
			return &FieldError{"websites", fmt.Sprintf("Ensure this field has no more than %d elements.", MaxProfileWebsites)}
		}
		for _, w := range *u.Websites {
			if reason := checkWebsite(w); reason != "" {
				return &FieldError{"websites", reason}
			}
		}
	}
	return nil
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

func checkWebsite(w string) string {
	if utf8.RuneCountInString(w) > MaxProfileWebsite {
		return fmt.Sprintf("Ensure each website has no more than %d characters.", MaxProfileWebsite)
	}
	u, err := url.Parse(w)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an http(s) URL.", w)
	}
	return ""
}

// SetProfilePhoto implements Account: a JPEG or PNG of at most
// MaxProfilePhotoBytes replaces the photo.
func (s *Sandbox) SetProfilePhoto(ctx context.Context, data []byte, mimeType string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sandbox: set profile photo: %w", err)
	}
	detected := http.DetectContentType(data)
	switch {
	case len(data) == 0:
		return invalidParameter("The photo is empty.")
	case len(data) > MaxProfilePhotoBytes:
		return invalidParameter(fmt.Sprintf("The photo may have at most %d bytes.", MaxProfilePhotoBytes))
	case detected != "image/jpeg" && detected != "image/png":
		return invalidParameter("The photo must be a JPEG or PNG image.")
	}
	a := s.account
	a.mu.Lock()
	defer a.mu.Unlock()
	a.photo, a.photoType = bytes.Clone(data), detected
	return nil
}

// CheckContacts implements Account like the On-Premise API with a warm
// cache: a number of 8 to 15 digits (spaces, dashes, dots, parentheses
// and a leading + allowed) not starting with 0 is a valid WhatsApp user
// whose wa_id is its digits; anything else is invalid. The sandbox answers
// at once, so `blocking` makes no difference.
func (s *Sandbox) CheckContacts(ctx context.Context, c ContactsCheck) ([]ContactStatus, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sandbox: check contacts: %w", err)
	}
	out := make([]ContactStatus, len(c.Contacts))
	for i, in := range c.Contacts {
		out[i] = ContactStatus{Input: in, Status: "invalid"}
		if digits, ok := phoneDigits(in); ok {
			out[i].WaID, out[i].Status = digits, "valid"
		}
	}
	return out, nil
}

// phoneDigits returns the digits of a phone number written in a common
// format, and whether it is one.
func phoneDigits(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", false
		}
	}
	d := b.String()
	return d, len(d) >= 8 && len(d) <= 15 && d[0] != '0'
}

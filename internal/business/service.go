package business

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/waba"
)

// Service manages the account through the provider.
type Service struct {
	account waba.Account
	logger  *slog.Logger
}

// New returns a Service over account; a nil account (no provider) answers
// 502 to everything.
func New(account waba.Account, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{account: account, logger: logger}
}

var errNoProvider = apperr.Upstream("No WhatsApp provider is configured.")

// providerError turns an error of the provider into the caller's answer:
// what, e.g. "the template", names the thing the provider refused.
func (s *Service) providerError(ctx context.Context, op, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var pe *waba.ProviderError
	switch {
	case errors.As(err, &pe):
		if pe.HTTPStatus >= 400 && pe.HTTPStatus < 500 {
			return apperr.Invalid(fmt.Sprintf("The WhatsApp provider refused %s: %s (code %d).", what, pe.Message, pe.Code))
		}
		return apperr.Upstream(fmt.Sprintf("The WhatsApp provider failed: %s.", pe.Message))
	case errors.Is(err, waba.ErrNotConfigured):
		s.logger.ErrorContext(ctx, "provider not configured", "operation", op, "error", err)
		return apperr.Upstream("Message templates belong to the WhatsApp Business Account, whose id is not configured: set WAMUX_WABA_ID.")
	}
	s.logger.ErrorContext(ctx, "provider request failed", "operation", op, "error", err)
	return apperr.Upstream("The WhatsApp provider could not be reached.")
}

// Templates.

var templateNameRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)

// ListTemplates returns a page of the account's templates and their
// number.
func (s *Service) ListTemplates(ctx context.Context, limit, offset int) (waba.TemplateList, error) {
	if s.account == nil {
		return waba.TemplateList{}, errNoProvider
	}
	list, err := s.account.ListTemplates(ctx, limit, offset)
	if err != nil {
		return waba.TemplateList{}, s.providerError(ctx, "list templates", "the request", err)
	}
	return list, nil
}

// CreateTemplate submits a new template for review.
func (s *Service) CreateTemplate(ctx context.Context, t waba.Template) (waba.Template, error) {
	if s.account == nil {
		return waba.Template{}, errNoProvider
	}
	var comps []json.RawMessage
	switch {
	case !templateNameRE.MatchString(t.Name):
		return waba.Template{}, apperr.Field("name", "Use 1 to 512 lowercase letters, digits and underscores (WhatsApp's rule for template names).")
	case t.Category == "":
		return waba.Template{}, apperr.Field("category", "This field may not be blank.")
	case t.Language == "":
		return waba.Template{}, apperr.Field("language", "This field may not be blank.")
	case json.Unmarshal(t.Components, &comps) != nil || len(comps) == 0:
		return waba.Template{}, apperr.Field("components", "A template needs at least one component (its BODY).")
	}
	out, err := s.account.CreateTemplate(ctx, t)
	if err != nil {
		return waba.Template{}, s.providerError(ctx, "create template", "the template", err)
	}
	return out, nil
}

// DeleteTemplate deletes every language of the template called name.
func (s *Service) DeleteTemplate(ctx context.Context, name string) error {
	if s.account == nil {
		return errNoProvider
	}
	notFound := apperr.NotFound(fmt.Sprintf("No message template is called %q.", name))
	if !templateNameRE.MatchString(name) {
		return notFound // no template can have this name
	}
	err := s.account.DeleteTemplate(ctx, name)
	if errors.Is(err, waba.ErrTemplateNotFound) {
		return notFound
	}
	if err != nil {
		return s.providerError(ctx, "delete template", "the deletion", err)
	}
	return nil
}

// Contacts check.

// CheckContacts asks the provider which numbers are WhatsApp users.
func (s *Service) CheckContacts(ctx context.Context, c waba.ContactsCheck) ([]waba.ContactStatus, error) {
	if s.account == nil {
		return nil, errNoProvider
	}
	out, err := s.account.CheckContacts(ctx, c)
	if errors.Is(err, waba.ErrUnsupported) {
		return nil, apperr.NotImplemented("This WhatsApp provider cannot check contacts: the Cloud API (Meta's and 360dialog's) has no contacts endpoint. " +
			"Send to the number instead: a number that is not on WhatsApp makes the send fail (error 131026).")
	}
	if err != nil {
		return nil, s.providerError(ctx, "check contacts", "the contacts check", err)
	}
	return out, nil
}

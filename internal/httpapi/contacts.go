package httpapi

import (
	"context"
	"errors"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/contacts"
	"github.com/wamux/wamux/internal/waba"
)

// Contacts: the Contact Providers' contacts (internal/contacts, which
// also decides what each caller may see of them), and the provider's
// contacts check (internal/business).

func apiContact(c contacts.Contact) api.ContactProviderResult {
	out := api.ContactProviderResult{Name: c.Name, Initials: c.Initials}
	out.ContactProvider.Type = api.ContactProviderResultContactProviderType(c.Provider.Type)
	out.ContactProvider.Name = c.Provider.Name
	out.ContactProvider.Id = c.Provider.ID
	out.PhoneNumbers = make([]struct {
		Description *string `json:"description,omitempty"`
		PhoneNumber string  `json:"phone_number"`
	}, len(c.PhoneNumbers))
	for i, p := range c.PhoneNumbers {
		out.PhoneNumbers[i].PhoneNumber = p.Value
		if p.Label != "" {
			out.PhoneNumbers[i].Description = ptr(p.Label)
		}
	}
	out.EmailAddresses = make([]struct {
		Description  *string `json:"description,omitempty"`
		EmailAddress string  `json:"email_address"`
	}, len(c.EmailAddresses))
	for i, e := range c.EmailAddresses {
		out.EmailAddresses[i].EmailAddress = e.Value
		if e.Label != "" {
			out.EmailAddresses[i].Description = ptr(e.Label)
		}
	}
	return out
}

func apiContacts(cs []contacts.Contact) []api.ContactProviderResult {
	out := make([]api.ContactProviderResult, len(cs))
	for i, c := range cs {
		out[i] = apiContact(c)
	}
	return out
}

// ListContacts returns a page of every Contact Provider's contacts.
func (s *Server) ListContacts(ctx context.Context, req api.ListContactsRequestObject) (api.ListContactsResponseObject, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	limit := newPage(req.Params.Limit, nil).limit
	res, err := s.contacts.List(ctx, v, deref(req.Params.Search), limit, deref(req.Params.PageToken))
	if err != nil {
		return nil, err
	}
	out := api.ListContacts200JSONResponse{
		Count: nullableOf(res.Count), Next: nullable.NewNullNullable[string](), Previous: nullable.NewNullNullable[string](),
		Results: apiContacts(res.Contacts),
	}
	if res.NextToken != "" {
		u := infoFrom(ctx).url
		q := u.Query()
		q.Set("page_token", res.NextToken)
		out.Next = nullable.NewNullableWithValue(s.cfg.BaseURL + u.Path + "?" + q.Encode())
	}
	return out, nil
}

// GetContact resolves one WhatsApp ID with every Contact Provider.
func (s *Server) GetContact(ctx context.Context, req api.GetContactRequestObject) (api.GetContactResponseObject, error) {
	if !contacts.IsWaID(req.WaId) {
		return api.GetContact404JSONResponse{Detail: "Not a WhatsApp ID: a wa_id has digits only."}, nil
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	out := api.GetContact200JSONResponse{Person: nullable.NewNullNullable[api.Person]()}
	pe, err := s.inbox.GetPerson(ctx, v, req.WaId)
	switch {
	case err == nil:
		out.Person = nullable.NewNullableWithValue(apiPerson(pe))
	case !errors.Is(err, apperr.ErrNotFound):
		return nil, err
	}
	found, err := s.contacts.Lookup(ctx, v, req.WaId)
	if err != nil {
		return nil, err
	}
	out.ContactProviderResults = apiContacts(found)
	return out, nil
}

// CheckWabaContacts asks the provider which numbers are WhatsApp users.
func (s *Server) CheckWabaContacts(ctx context.Context, req api.CheckWabaContactsRequestObject) (api.CheckWabaContactsResponseObject, error) {
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	check := waba.ContactsCheck{Contacts: body.Contacts, Blocking: string(api.NoWait), ForceCheck: deref(body.ForceCheck)}
	if body.Blocking != nil {
		check.Blocking = string(*body.Blocking)
	}
	statuses, err := s.business.CheckContacts(ctx, check)
	if err != nil {
		return nil, err
	}
	out := api.CheckWabaContacts200JSONResponse{Contacts: make([]api.WabaContactStatus, len(statuses))}
	for i, st := range statuses {
		out.Contacts[i] = api.WabaContactStatus{Input: st.Input, Status: api.WabaContactStatusStatus(st.Status)}
		if st.WaID != "" {
			out.Contacts[i].WaId = ptr(st.WaID)
		}
	}
	return out, nil
}

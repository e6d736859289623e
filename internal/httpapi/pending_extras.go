package httpapi

import (
	"context"

	"github.com/wamux/wamux/gen/api"
)

// The operations below arrive with a later issue (saved responses, templates, contacts, settings, plugins).
// Until then each answers 501; as the feature lands its operations move to
// their resource file and this file shrinks. TestNotImplementedOperations
// prints how many remain.

// ListContacts is not implemented yet.
func (s *Server) ListContacts(context.Context, api.ListContactsRequestObject) (api.ListContactsResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// GetContact is not implemented yet.
func (s *Server) GetContact(context.Context, api.GetContactRequestObject) (api.GetContactResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// GetPluginPublicData is not implemented yet.
func (s *Server) GetPluginPublicData(context.Context, api.GetPluginPublicDataRequestObject) (api.GetPluginPublicDataResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// ListSavedResponses is not implemented yet.
func (s *Server) ListSavedResponses(context.Context, api.ListSavedResponsesRequestObject) (api.ListSavedResponsesResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// CreateSavedResponse is not implemented yet.
func (s *Server) CreateSavedResponse(context.Context, api.CreateSavedResponseRequestObject) (api.CreateSavedResponseResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// DeleteSavedResponse is not implemented yet.
func (s *Server) DeleteSavedResponse(context.Context, api.DeleteSavedResponseRequestObject) (api.DeleteSavedResponseResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// GetSavedResponse is not implemented yet.
func (s *Server) GetSavedResponse(context.Context, api.GetSavedResponseRequestObject) (api.GetSavedResponseResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// PartialUpdateSavedResponse is not implemented yet.
func (s *Server) PartialUpdateSavedResponse(context.Context, api.PartialUpdateSavedResponseRequestObject) (api.PartialUpdateSavedResponseResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// UpdateSavedResponse is not implemented yet.
func (s *Server) UpdateSavedResponse(context.Context, api.UpdateSavedResponseRequestObject) (api.UpdateSavedResponseResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// GetBusinessProfile is not implemented yet.
func (s *Server) GetBusinessProfile(context.Context, api.GetBusinessProfileRequestObject) (api.GetBusinessProfileResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// PartialUpdateBusinessProfile is not implemented yet.
func (s *Server) PartialUpdateBusinessProfile(context.Context, api.PartialUpdateBusinessProfileRequestObject) (api.PartialUpdateBusinessProfileResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// UpdateBusinessProfile is not implemented yet.
func (s *Server) UpdateBusinessProfile(context.Context, api.UpdateBusinessProfileRequestObject) (api.UpdateBusinessProfileResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// GetProfileAbout is not implemented yet.
func (s *Server) GetProfileAbout(context.Context, api.GetProfileAboutRequestObject) (api.GetProfileAboutResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// UpdateProfileAbout is not implemented yet.
func (s *Server) UpdateProfileAbout(context.Context, api.UpdateProfileAboutRequestObject) (api.UpdateProfileAboutResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// GetProfilePhoto is not implemented yet.
func (s *Server) GetProfilePhoto(context.Context, api.GetProfilePhotoRequestObject) (api.GetProfilePhotoResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// UpdateProfilePhoto is not implemented yet.
func (s *Server) UpdateProfilePhoto(context.Context, api.UpdateProfilePhotoRequestObject) (api.UpdateProfilePhotoResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// ListTemplates is not implemented yet.
func (s *Server) ListTemplates(context.Context, api.ListTemplatesRequestObject) (api.ListTemplatesResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// CreateTemplate is not implemented yet.
func (s *Server) CreateTemplate(context.Context, api.CreateTemplateRequestObject) (api.CreateTemplateResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// DeleteTemplate is not implemented yet.
func (s *Server) DeleteTemplate(context.Context, api.DeleteTemplateRequestObject) (api.DeleteTemplateResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

// CheckWabaContacts is not implemented yet.
func (s *Server) CheckWabaContacts(context.Context, api.CheckWabaContactsRequestObject) (api.CheckWabaContactsResponseObject, error) {
	return nil, notImplemented("a later issue (saved responses, templates, contacts, settings, plugins)")
}

package httpapi

import (
	"context"

	"github.com/oapi-codegen/nullable"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/business"
)

// Settings: the number's business profile, "about" text and photo, kept by
// the WhatsApp provider (internal/business). Anyone authenticated reads the
// profile and the "about" text; only admins change them, and only admins
// see the photo.

func apiBusinessProfile(p business.Profile) api.BusinessProfile {
	websites := p.Websites
	return api.BusinessProfile{Address: p.Address, Description: p.Description, Email: p.Email,
		Vertical: api.BusinessVertical(p.Vertical), Websites: &websites}
}

func verticalName(v *api.BusinessVertical) *string {
	if v == nil {
		return nil
	}
	s := string(*v)
	return &s
}

// GetBusinessProfile returns the business profile.
func (s *Server) GetBusinessProfile(ctx context.Context, _ api.GetBusinessProfileRequestObject) (api.GetBusinessProfileResponseObject, error) {
	p, err := s.business.Profile(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetBusinessProfile200JSONResponse(apiBusinessProfile(p)), nil
}

// UpdateBusinessProfile replaces the business profile (admins).
func (s *Server) UpdateBusinessProfile(ctx context.Context, req api.UpdateBusinessProfileRequestObject) (api.UpdateBusinessProfileResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	p, err := s.business.ReplaceProfile(ctx, business.Profile{Address: body.Address, Description: body.Description,
		Email: body.Email, Vertical: string(body.Vertical), Websites: deref(body.Websites)})
	if err != nil {
		return nil, err
	}
	return api.UpdateBusinessProfile200JSONResponse(apiBusinessProfile(p)), nil
}

// PartialUpdateBusinessProfile changes the fields sent (admins).
func (s *Server) PartialUpdateBusinessProfile(ctx context.Context, req api.PartialUpdateBusinessProfileRequestObject) (api.PartialUpdateBusinessProfileResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	p, err := s.business.UpdateProfile(ctx, business.ProfileChanges{Address: body.Address, Description: body.Description,
		Email: body.Email, Vertical: verticalName(body.Vertical), Websites: body.Websites})
	if err != nil {
		return nil, err
	}
	return api.PartialUpdateBusinessProfile200JSONResponse(apiBusinessProfile(p)), nil
}

// GetProfileAbout returns the "about" text.
func (s *Server) GetProfileAbout(ctx context.Context, _ api.GetProfileAboutRequestObject) (api.GetProfileAboutResponseObject, error) {
	text, err := s.business.About(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetProfileAbout200JSONResponse{Text: text}, nil
}

// UpdateProfileAbout replaces the "about" text (admins).
func (s *Server) UpdateProfileAbout(ctx context.Context, req api.UpdateProfileAboutRequestObject) (api.UpdateProfileAboutResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.FormdataBody, req.MultipartBody)
	if err != nil {
		return nil, err
	}
	text, err := s.business.SetAbout(ctx, body.Text)
	if err != nil {
		return nil, err
	}
	return api.UpdateProfileAbout200JSONResponse{Text: text}, nil
}

// GetProfilePhoto says where the profile photo can be downloaded (admins).
func (s *Server) GetProfilePhoto(ctx context.Context, _ api.GetProfilePhotoRequestObject) (api.GetProfilePhotoResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	u, err := s.business.PhotoURL(ctx)
	if err != nil {
		return nil, err
	}
	file := nullable.NewNullNullable[string]()
	if u != "" {
		file = nullable.NewNullableWithValue(u)
	}
	return api.GetProfilePhoto200JSONResponse{File: file}, nil
}

// UpdateProfilePhoto replaces the profile photo (admins).
func (s *Server) UpdateProfilePhoto(ctx context.Context, req api.UpdateProfilePhotoRequestObject) (api.UpdateProfilePhotoResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	// file_encoded is read as media uploads read it (any base64 alphabet,
	// or a data: URL), whichever the body's type.
	var up upload
	var err error
	switch {
	case req.JSONBody != nil:
		up, err = decodeFileEncoded(req.JSONBody.FileEncoded)
	case req.FormdataBody != nil:
		up, err = decodeFileEncoded(req.FormdataBody.FileEncoded)
	case req.MultipartBody != nil:
		up, err = readMultipartUpload(req.MultipartBody)
	default:
		return nil, &apperr.Error{Kind: apperr.KindUnsupported, Detail: "Send the body as application/json, application/x-www-form-urlencoded or multipart/form-data."}
	}
	if err != nil {
		return nil, err
	}
	if err := s.business.SetPhoto(ctx, up.data); err != nil {
		return nil, err
	}
	return api.UpdateProfilePhoto200JSONResponse{}, nil
}

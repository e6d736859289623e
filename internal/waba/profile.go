package waba

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The business profile, shared by the Cloud API and 360dialog's flavour
// of it (only the URLs and credentials differ):
//
//	GET  {profile}?fields=about,address,description,email,profile_picture_url,websites,vertical
//	     -> {"data": [{"about", "address", ..., "messaging_product": "whatsapp"}]}
//	POST {profile} {"messaging_product": "whatsapp", <fields to change>} -> {"success": true}
//
// A new photo travels through the Resumable Upload API first:
//
//	POST {upload session}?file_length=&file_type=&file_name= -> {"id": "upload:..."}
//	POST {base}/{that id} (header file_offset: 0, the bytes as body) -> {"h": "<handle>"}
//	POST {profile} {"messaging_product": "whatsapp", "profile_picture_handle": "<handle>"}

// profileFields are the fields wamux reads of the business profile.
const profileFields = "about,address,description,email,profile_picture_url,websites,vertical"

// businessProfileJSON is the business profile as both APIs send and take it.
type businessProfileJSON struct {
	MessagingProduct     string    `json:"messaging_product,omitempty"`
	About                *string   `json:"about,omitempty"`
	Address              *string   `json:"address,omitempty"`
	Description          *string   `json:"description,omitempty"`
	Email                *string   `json:"email,omitempty"`
	Vertical             *string   `json:"vertical,omitempty"`
	Websites             *[]string `json:"websites,omitempty"`
	ProfilePictureURL    *string   `json:"profile_picture_url,omitempty"`
	ProfilePictureHandle string    `json:"profile_picture_handle,omitempty"`
}

// BusinessProfile implements Account.
func (g *graphAPI) BusinessProfile(ctx context.Context) (BusinessProfile, error) {
	if g.baseErr != nil {
		return BusinessProfile{}, fmt.Errorf("%s: get business profile: %w", g.name, g.baseErr)
	}
	resp, err := g.do(ctx, g.timeout, http.MethodGet, g.profileURL+"?fields="+url.QueryEscape(profileFields), "", nil, MaxJSONBytes)
	if err != nil {
		return BusinessProfile{}, g.wrap("get business profile", err)
	}
	var answer struct {
		Data []businessProfileJSON `json:"data"`
	}
	if err := json.Unmarshal(resp.body, &answer); err != nil {
		return BusinessProfile{}, fmt.Errorf("%s: get business profile: the answer is not the expected JSON: %w", g.name, err)
	}
	if len(answer.Data) == 0 {
		// A number whose profile was never filled in.
		return BusinessProfile{Websites: []string{}}, nil
	}
	return answer.Data[0].profile(), nil
}

func (p businessProfileJSON) profile() BusinessProfile {
	out := BusinessProfile{
		About: deref(p.About), Address: deref(p.Address), Description: deref(p.Description), Email: deref(p.Email),
		Vertical: deref(p.Vertical), ProfilePictureURL: deref(p.ProfilePictureURL), Websites: []string{},
	}
	if p.Websites != nil {
		out.Websites = append(out.Websites, *p.Websites...)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// UpdateBusinessProfile implements Account.
func (g *graphAPI) UpdateBusinessProfile(ctx context.Context, u ProfileUpdate) error {
	return g.postProfile(ctx, "update business profile", businessProfileJSON{
		About: u.About, Address: u.Address, Description: u.Description, Email: u.Email, Vertical: u.Vertical, Websites: u.Websites,
	})
}

func (g *graphAPI) postProfile(ctx context.Context, op string, p businessProfileJSON) error {
	if g.baseErr != nil {
		return fmt.Errorf("%s: %s: %w", g.name, op, g.baseErr)
	}
	p.MessagingProduct = "whatsapp"
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", g.name, op, err)
	}
	resp, err := g.do(ctx, g.timeout, http.MethodPost, g.profileURL, "application/json", body, MaxJSONBytes)
	if err != nil {
		return g.wrap(op, err)
	}
	return checkSuccess(g.name, op, resp.body)
}

// checkSuccess reads a {"success": true} answer; an answer without the
// field is taken as success, an explicit false is not.
func checkSuccess(name, op string, body []byte) error {
	var answer struct {
		Success *bool `json:"success"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return fmt.Errorf("%s: %s: the answer is not the expected JSON: %w", name, op, err)
	}
	if answer.Success != nil && !*answer.Success {
		return fmt.Errorf("%s: %s: the provider answered success false: %s", name, op, truncate(string(body), 200))
	}
	return nil
}

// SetProfilePhoto implements Account: the photo is uploaded through the
// Resumable Upload API, then its handle is set on the profile.
func (g *graphAPI) SetProfilePhoto(ctx context.Context, data []byte, mimeType string) error {
	const op = "set profile photo"
	if g.baseErr != nil {
		return fmt.Errorf("%s: %s: %w", g.name, op, g.baseErr)
	}
	if len(data) == 0 {
		return fmt.Errorf("%s: %s: no data", g.name, op)
	}
	if mimeType == "" {
		mimeType = http.DetectContentType(data)
	}
	q := url.Values{}
	q.Set("file_length", strconv.Itoa(len(data)))
	q.Set("file_type", mimeType)
	q.Set("file_name", "profile"+photoExtension(mimeType))
	resp, err := g.do(ctx, g.timeout, http.MethodPost, g.uploadSessionURL+"?"+q.Encode(), "", nil, MaxJSONBytes)
	if err != nil {
		return g.wrap(op+": start upload", err)
	}
	var session struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.body, &session); err != nil || session.ID == "" {
		return fmt.Errorf("%s: %s: the upload session answer has no id: %s", g.name, op, truncate(string(resp.body), 200))
	}
	target, err := g.uploadTarget(session.ID)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", g.name, op, err)
	}
	resp, err = g.doWith(ctx, g.mediaTimeout, http.MethodPost, target, mimeType, data, MaxJSONBytes, func(h http.Header) {
		g.uploadAuthorize(h)
		h.Set("file_offset", "0")
	})
	if err != nil {
		return g.wrap(op+": upload", err)
	}
	var uploaded struct {
		Handle string `json:"h"`
	}
	if err := json.Unmarshal(resp.body, &uploaded); err != nil || uploaded.Handle == "" {
		return fmt.Errorf("%s: %s: the upload answer has no handle: %s", g.name, op, truncate(string(resp.body), 200))
	}
	return g.postProfile(ctx, op, businessProfileJSON{ProfilePictureHandle: uploaded.Handle})
}

// uploadTarget is the URL of an upload session: its id ("upload:<id>",
// possibly followed by "?sig=...") appended to the base URL as it is, so
// that the signature stays a query parameter. An id that could lead
// anywhere else is refused: the request carries the credentials.
func (g *graphAPI) uploadTarget(id string) (string, error) {
	if !strings.HasPrefix(id, "upload:") || strings.ContainsAny(id, "/\\#@ \t\r\n") {
		return "", errors.New("the upload session id is not of the form upload:<id>")
	}
	return g.base.String() + "/" + id, nil
}

func photoExtension(mimeType string) string {
	if mimeType == "image/png" {
		return ".png"
	}
	return ".jpg"
}

// CheckContacts implements Account: neither the Cloud API nor 360dialog's
// flavour of it has the On-Premise API's contacts endpoint.
func (g *graphAPI) CheckContacts(context.Context, ContactsCheck) ([]ContactStatus, error) {
	return nil, fmt.Errorf("%s: contacts check: %w", g.name, ErrUnsupported)
}

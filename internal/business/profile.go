package business

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // profile photos are JPEG
	_ "image/png"  // or PNG
	"net/http"
	"slices"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/waba"
)

// Profile is the business profile as the API shows it: Vertical is one of
// the reference's names ("Food and Grocery", ...).
type Profile struct {
	Address     string
	Description string
	Email       string
	Vertical    string
	Websites    []string
}

// ProfileChanges are the fields of a partial update; nil stays.
type ProfileChanges struct {
	Address     *string
	Description *string
	Email       *string
	Vertical    *string
	Websites    *[]string
}

// verticals pairs the reference's names with the Cloud API's codes.
var verticals = [][2]string{
	{"Automotive", "AUTO"},
	{"Beauty, Spa and Salon", "BEAUTY"},
	{"Clothing and Apparel", "APPAREL"},
	{"Education", "EDU"},
	{"Entertainment", "ENTERTAIN"},
	{"Event Planning and Service", "EVENT_PLAN"},
	{"Finance and Banking", "FINANCE"},
	{"Food and Grocery", "GROCERY"},
	{"Public Service", "GOVT"},
	{"Hotel and Lodging", "HOTEL"},
	{"Medical and Health", "HEALTH"},
	{"Non-profit", "NONPROFIT"},
	{"Professional Services", "PROF_SERVICES"},
	{"Shopping and Retail", "RETAIL"},
	{"Travel and Transportation", "TRAVEL"},
	{"Restaurant", "RESTAURANT"},
	{"Other", "OTHER"},
}

// verticalName is the reference's name of a Cloud API code. The codes the
// reference has no name for (UNDEFINED, NOT_A_BIZ, none at all) show as
// "Other", the API's catch-all.
func verticalName(code string) string {
	for _, v := range verticals {
		if v[1] == code {
			return v[0]
		}
	}
	return "Other"
}

func verticalCode(name string) (string, error) {
	for _, v := range verticals {
		if v[0] == name {
			return v[1], nil
		}
	}
	return "", apperr.Field("vertical", fmt.Sprintf("%q is not a valid choice.", name))
}

func apiProfile(p waba.BusinessProfile) Profile {
	websites := p.Websites
	if websites == nil {
		websites = []string{}
	}
	return Profile{Address: p.Address, Description: p.Description, Email: p.Email, Vertical: verticalName(p.Vertical), Websites: websites}
}

// Profile returns the business profile.
func (s *Service) Profile(ctx context.Context) (Profile, error) {
	p, err := s.profile(ctx)
	if err != nil {
		return Profile{}, err
	}
	return apiProfile(p), nil
}

func (s *Service) profile(ctx context.Context) (waba.BusinessProfile, error) {
	if s.account == nil {
		return waba.BusinessProfile{}, errNoProvider
	}
	p, err := s.account.BusinessProfile(ctx)
	if err != nil {
		return waba.BusinessProfile{}, s.providerError(ctx, "get business profile", "the request", err)
	}
	return p, nil
}

// ReplaceProfile sets every field of the profile; websites not given are
// removed. The "about" text and the photo are left alone.
func (s *Service) ReplaceProfile(ctx context.Context, p Profile) (Profile, error) {
	if p.Websites == nil {
		p.Websites = []string{}
	}
	return s.UpdateProfile(ctx, ProfileChanges{
		Address: &p.Address, Description: &p.Description, Email: &p.Email, Vertical: &p.Vertical, Websites: &p.Websites,
	})
}

// UpdateProfile changes the fields of c that are set and returns the
// profile as it now is.
func (s *Service) UpdateProfile(ctx context.Context, c ProfileChanges) (Profile, error) {
	u := waba.ProfileUpdate{Address: c.Address, Description: c.Description, Email: c.Email, Websites: c.Websites}
	if c.Vertical != nil {
		code, err := verticalCode(*c.Vertical)
		if err != nil {
			return Profile{}, err
		}
		u.Vertical = &code
	}
	if err := checkUpdate(u); err != nil {
		return Profile{}, err
	}
	// What the update leaves out is read first; a full update needs
	// nothing read.
	var current waba.BusinessProfile
	if u.Address == nil || u.Description == nil || u.Email == nil || u.Vertical == nil || u.Websites == nil {
		var err error
		if current, err = s.profile(ctx); err != nil {
			return Profile{}, err
		}
	}
	if err := s.update(ctx, "update business profile", "the business profile", u); err != nil {
		return Profile{}, err
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&current.Address, u.Address)
	set(&current.Description, u.Description)
	set(&current.Email, u.Email)
	set(&current.Vertical, u.Vertical)
	if u.Websites != nil {
		current.Websites = slices.Clone(*u.Websites)
	}
	return apiProfile(current), nil
}

func (s *Service) update(ctx context.Context, op, what string, u waba.ProfileUpdate) error {
	if s.account == nil {
		return errNoProvider
	}
	if err := s.account.UpdateBusinessProfile(ctx, u); err != nil {
		return s.providerError(ctx, op, what, err)
	}
	return nil
}

// checkUpdate applies the Cloud API's rules, so that input it would
// refuse answers 400 without a round trip, naming the field.
func checkUpdate(u waba.ProfileUpdate) error {
	err := waba.CheckProfileUpdate(u)
	var fe *waba.FieldError
	if errors.As(err, &fe) {
		return apperr.Field(fe.Field, fe.Reason)
	}
	return err
}

// About returns the profile's "about" text.
func (s *Service) About(ctx context.Context) (string, error) {
	p, err := s.profile(ctx)
	if err != nil {
		return "", err
	}
	return p.About, nil
}

// SetAbout replaces the "about" text and returns it.
func (s *Service) SetAbout(ctx context.Context, text string) (string, error) {
	u := waba.ProfileUpdate{About: &text}
	if err := waba.CheckProfileUpdate(u); err != nil {
		var fe *waba.FieldError
		if errors.As(err, &fe) {
			return "", apperr.Field("text", fe.Reason) // the field's name in this API
		}
		return "", err
	}
	if err := s.update(ctx, "update about", "the about text", u); err != nil {
		return "", err
	}
	return text, nil
}

// PhotoURL returns where the current profile photo can be downloaded, ""
// when there is none.
func (s *Service) PhotoURL(ctx context.Context) (string, error) {
	p, err := s.profile(ctx)
	if err != nil {
		return "", err
	}
	return p.ProfilePictureURL, nil
}

// MinPhotoSide is the smallest width and height of a profile photo, in
// pixels (WhatsApp's rule).
const MinPhotoSide = 192

// SetPhoto replaces the profile photo with data: a JPEG or PNG of at least
// MinPhotoSide pixels each way and at most waba.MaxProfilePhotoBytes.
func (s *Service) SetPhoto(ctx context.Context, data []byte) error {
	mimeType := http.DetectContentType(data)
	switch {
	case len(data) == 0:
		return apperr.Field("file_encoded", "The photo is empty.")
	case len(data) > waba.MaxProfilePhotoBytes:
		return apperr.Field("file_encoded", fmt.Sprintf("The photo may have at most %d bytes.", waba.MaxProfilePhotoBytes))
	case mimeType != "image/jpeg" && mimeType != "image/png":
		return apperr.Field("file_encoded", "The photo must be a JPEG or PNG image.")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	switch {
	case err != nil:
		return apperr.Field("file_encoded", "The photo is not a readable JPEG or PNG image.")
	case cfg.Width < MinPhotoSide || cfg.Height < MinPhotoSide:
		return apperr.Field("file_encoded", fmt.Sprintf("The photo must be at least %dx%d pixels; this one is %dx%d.", MinPhotoSide, MinPhotoSide, cfg.Width, cfg.Height))
	}
	if s.account == nil {
		return errNoProvider
	}
	if err := s.account.SetProfilePhoto(ctx, data, mimeType); err != nil {
		return s.providerError(ctx, "set profile photo", "the photo", err)
	}
	return nil
}

package contacts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/inbox"
)

// Contact is one result of one Contact Provider.
type Contact struct {
	Name     string
	Initials string
	// PhoneNumbers and EmailAddresses are labelled values ("mobile",
	// "work", ...).
	PhoneNumbers   []Labelled
	EmailAddresses []Labelled
	// Provider is the provider the contact comes from.
	Provider Info
}

// Labelled is a phone number or e-mail address with its label.
type Labelled struct {
	Value string
	Label string
}

// Info names a connected Contact Provider.
type Info struct {
	// Type is the kind of provider (e.g. "google", "wamux").
	Type string
	// Name is the connected provider's display name.
	Name string
	// ID identifies the connection; it does not change between restarts.
	ID uuid.UUID
}

// Query is one page request to a provider.
type Query struct {
	// Search filters the contacts; "" means all of them.
	Search string
	// Limit is how many results the page may have; a provider that cannot
	// page a search may return more.
	Limit int
	// PageToken is where the page starts: "" for the first page, else the
	// NextToken of the provider's previous page.
	PageToken string
}

// Page is a provider's answer to a Query.
type Page struct {
	Contacts []Contact
	// Count is the number of matching contacts on all pages; nil when the
	// provider cannot tell.
	Count *int
	// NextToken is the provider's position of the next page; "" on the
	// last page.
	NextToken string
}

// Provider is a Contact Provider. It decides itself what a viewer may see
// of its contacts.
type Provider interface {
	Info() Info
	// Search returns a page of the contacts matching q. A malformed
	// PageToken is an apperr Invalid error.
	Search(ctx context.Context, v inbox.Viewer, q Query) (Page, error)
	// Lookup returns the provider's contacts with the WhatsApp ID waID
	// (a phone number in digits); none is no error.
	Lookup(ctx context.Context, v inbox.Viewer, waID string) ([]Contact, error)
}

// DefaultLimit is the page size per provider when none is asked for.
const DefaultLimit = 100

// Service asks every connected provider.
type Service struct {
	providers []Provider
}

// New returns a Service over the connected providers (none is allowed:
// every answer is then empty).
func New(providers ...Provider) *Service {
	return &Service{providers: providers}
}

// Result is a page of contacts from all providers.
type Result struct {
	Contacts []Contact
	// Count is the total of all providers' counts, nil when any provider
	// gave none.
	Count *int
	// NextToken is the opaque token of the next page, "" on the last.
	NextToken string
}

// token is the service's page token, base64url-encoded JSON: the
// providers that have further pages with their own tokens, the counts of
// those that are done, and a digest of the search it belongs to.
type token struct {
	Search string            `json:"s"`
	Next   map[string]string `json:"n"`
	Done   map[string]*int   `json:"d"`
}

func searchDigest(search string) string {
	sum := sha256.Sum256([]byte(search))
	return hex.EncodeToString(sum[:8])
}

var errBadToken = apperr.Field("page_token", "Invalid page token: follow the `next` URL of the previous page, with the same search.")

func decodeToken(raw, search string) (token, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return token{}, errBadToken
	}
	var t token
	if err := json.Unmarshal(b, &t); err != nil || t.Search != searchDigest(search) || t.Next == nil {
		return token{}, errBadToken
	}
	return t, nil
}

func (t token) encode() string {
	b, _ := json.Marshal(t) // cannot fail: strings, maps and ints only
	return base64.RawURLEncoding.EncodeToString(b)
}

// List returns a page of up to limit contacts of each provider. The first
// page has no pageToken; the next one is Result.NextToken.
func (s *Service) List(ctx context.Context, v inbox.Viewer, search string, limit int, pageToken string) (Result, error) {
	if limit < 1 {
		limit = DefaultLimit
	}
	state := token{Search: searchDigest(search), Next: map[string]string{}, Done: map[string]*int{}}
	asked := s.providers
	if pageToken != "" {
		prev, err := decodeToken(pageToken, search)
		if err != nil {
			return Result{}, err
		}
		state.Done = prev.Done
		if state.Done == nil {
			state.Done = map[string]*int{}
		}
		asked = nil
		for _, p := range s.providers {
			if _, ok := prev.Next[p.Info().ID.String()]; ok {
				asked = append(asked, p)
			}
		}
		for id, tok := range prev.Next {
			state.Next[id] = tok
		}
	}

	pages := make([]Page, len(asked))
	errs := make([]error, len(asked))
	var wg sync.WaitGroup
	for i, p := range asked {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages[i], errs[i] = p.Search(ctx, v, Query{Search: search, Limit: limit, PageToken: state.Next[p.Info().ID.String()]})
		}()
	}
	wg.Wait()

	out := Result{Contacts: []Contact{}}
	counts := make([]*int, 0, len(asked)+len(state.Done))
	for i, p := range asked {
		if errs[i] != nil {
			return Result{}, errs[i]
		}
		id := p.Info().ID.String()
		out.Contacts = append(out.Contacts, pages[i].Contacts...)
		counts = append(counts, pages[i].Count)
		if pages[i].NextToken != "" {
			state.Next[id] = pages[i].NextToken
		} else {
			delete(state.Next, id)
			state.Done[id] = pages[i].Count
		}
	}
	for _, p := range s.providers {
		if c, ok := state.Done[p.Info().ID.String()]; ok && !contains(asked, p) {
			counts = append(counts, c)
		}
	}
	out.Count = sum(counts)
	if len(state.Next) > 0 {
		out.NextToken = state.encode()
	}
	return out, nil
}

func contains(ps []Provider, p Provider) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// sum adds counts up; nil if any is nil.
func sum(counts []*int) *int {
	total := 0
	for _, c := range counts {
		if c == nil {
			return nil
		}
		total += *c
	}
	return &total
}

// Lookup returns every provider's contacts with the WhatsApp ID waID.
func (s *Service) Lookup(ctx context.Context, v inbox.Viewer, waID string) ([]Contact, error) {
	found := make([][]Contact, len(s.providers))
	errs := make([]error, len(s.providers))
	var wg sync.WaitGroup
	for i, p := range s.providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			found[i], errs[i] = p.Lookup(ctx, v, waID)
		}()
	}
	wg.Wait()
	out := []Contact{}
	for i := range s.providers {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, found[i]...)
	}
	return out, nil
}

// Open returns a Service over the built-in providers named in names (the
// configuration's WAMUX_CONTACT_PROVIDERS): "persons" is the only one.
func Open(names []string, pool *pgxpool.Pool) (*Service, error) {
	var providers []Provider
	for _, name := range names {
		switch name {
		case "persons":
			providers = append(providers, NewPersons(pool))
		default:
			return nil, fmt.Errorf("contacts: unknown contact provider %q", name)
		}
	}
	return New(providers...), nil
}

package contacts

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/inbox"
)

// PersonsType is the provider type of the built-in provider of wamux's
// own persons.
const PersonsType = "wamux"

// personsID identifies the built-in persons provider, the same on every
// installation and after every restart.
var personsID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/wamux/wamux/contact-providers/persons"))

// Persons is the built-in Contact Provider over wamux's persons: every
// customer who wrote to the number, with the profile name WhatsApp
// reported and the number itself ("+" and the wa_id, labelled
// "WhatsApp"). A viewer sees the persons of the chats it may read, as in
// GET /api/v1/persons/. Pages are ordered by wa_id and follow the last
// wa_id of the previous page.
type Persons struct {
	q *db.Queries
}

// NewPersons returns the persons provider over pool.
func NewPersons(pool *pgxpool.Pool) *Persons {
	return &Persons{q: db.New(pool)}
}

// Info implements Provider.
func (p *Persons) Info() Info {
	return Info{Type: PersonsType, Name: "wamux persons", ID: personsID}
}

// Search implements Provider. The search matches the profile name, and
// the number: "+48 123-45" finds wa_ids containing 4812345.
//
// Counting every visible person takes a scan (a third of a second at
// 300,000 persons), so only the first page counts; the count travels in
// the page token, "<last wa_id>.<count>", to the later pages.
func (p *Persons) Search(ctx context.Context, v inbox.Viewer, q Query) (Page, error) {
	after, count, err := parsePersonsToken(q.PageToken)
	if err != nil {
		return Page{}, err
	}
	name, number := patterns(q.Search)
	if q.PageToken == "" {
		n, err := p.q.ContactPersonCount(ctx, db.ContactPersonCountParams{
			ReadLevel: string(v.Permissions.CanReadChats), UserID: v.UserID, GroupIds: v.GroupIDs,
			NamePattern: name, NumberPattern: number,
		})
		if err != nil {
			return Page{}, fmt.Errorf("count persons: %w", err)
		}
		count = int(n)
	}
	rows, err := p.q.ContactPersonPage(ctx, db.ContactPersonPageParams{
		ReadLevel: string(v.Permissions.CanReadChats), UserID: v.UserID, GroupIds: v.GroupIDs,
		NamePattern: name, NumberPattern: number, After: after, Lim: int32(q.Limit) + 1,
	})
	if err != nil {
		return Page{}, fmt.Errorf("list persons: %w", err)
	}
	out := Page{Count: &count, Contacts: make([]Contact, 0, min(len(rows), q.Limit))}
	for i, r := range rows {
		if i == q.Limit {
			out.NextToken = rows[i-1].WaID + "." + strconv.Itoa(count)
			break
		}
		out.Contacts = append(out.Contacts, p.contact(r.WaID, r.ProfileName, r.Initials))
	}
	return out, nil
}

// parsePersonsToken reads "<last wa_id>.<count>"; "" is the first page.
func parsePersonsToken(token string) (after string, count int, err error) {
	if token == "" {
		return "", 0, nil
	}
	after, n, ok := strings.Cut(token, ".")
	count, convErr := strconv.Atoi(n)
	if !ok || !IsWaID(after) || convErr != nil || count < 0 {
		return "", 0, errBadToken
	}
	return after, count, nil
}

// Lookup implements Provider.
func (p *Persons) Lookup(ctx context.Context, v inbox.Viewer, waID string) ([]Contact, error) {
	rows, err := p.q.ContactPersonGet(ctx, db.ContactPersonGetParams{
		WaID: waID, ReadLevel: string(v.Permissions.CanReadChats), UserID: v.UserID, GroupIds: v.GroupIDs,
	})
	if err != nil {
		return nil, fmt.Errorf("get person %s: %w", waID, err)
	}
	out := make([]Contact, len(rows))
	for i, r := range rows {
		out[i] = p.contact(r.WaID, r.ProfileName, r.Initials)
	}
	return out, nil
}

func (p *Persons) contact(waID, name, initials string) Contact {
	number := "+" + waID
	if name == "" {
		name = number
	}
	return Contact{
		Name: name, Initials: initials,
		PhoneNumbers:   []Labelled{{Value: number, Label: "WhatsApp"}},
		EmailAddresses: []Labelled{},
		Provider:       p.Info(),
	}
}

// IsWaID reports whether s has the form of a WhatsApp ID (Person.wa_id):
// 1 to 100 digits.
func IsWaID(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// patterns turns a search into ILIKE patterns for the name and the
// number, with % and _ taken literally; nil, nil for no search. A search
// that looks like a phone number is matched against the wa_id by its
// digits alone.
func patterns(search string) (name, number *string) {
	search = strings.TrimSpace(search)
	if search == "" {
		return nil, nil
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	n := "%" + r.Replace(search) + "%"
	num := n
	if digits, ok := phoneLike(search); ok {
		num = "%" + digits + "%"
	}
	return &n, &num
}

// phoneLike returns the digits of s if s is written like a phone number:
// digits with spaces, dashes, dots, parentheses and a leading +.
func phoneLike(s string) (string, bool) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

var _ Provider = (*Persons)(nil)

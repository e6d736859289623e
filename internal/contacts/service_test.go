package contacts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/inbox"
)

// listProvider is an in-memory provider paging by offset; noCount hides
// its count, as some real providers do.
type listProvider struct {
	info    Info
	names   []string
	noCount bool
	fail    error
	asked   []Query
}

func newListProvider(name string, n int) *listProvider {
	p := &listProvider{info: Info{Type: "google", Name: name, ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(name))}}
	for i := range n {
		p.names = append(p.names, fmt.Sprintf("%s %02d", name, i))
	}
	return p
}

func (p *listProvider) Info() Info { return p.info }

func (p *listProvider) Search(_ context.Context, _ inbox.Viewer, q Query) (Page, error) {
	p.asked = append(p.asked, q)
	if p.fail != nil {
		return Page{}, p.fail
	}
	var matching []string
	for _, n := range p.names {
		if strings.Contains(n, q.Search) {
			matching = append(matching, n)
		}
	}
	start, _ := strconv.Atoi(q.PageToken)
	end := min(start+q.Limit, len(matching))
	out := Page{}
	for _, n := range matching[start:end] {
		out.Contacts = append(out.Contacts, Contact{Name: n, Provider: p.info})
	}
	if end < len(matching) {
		out.NextToken = strconv.Itoa(end)
	}
	if !p.noCount {
		c := len(matching)
		out.Count = &c
	}
	return out, nil
}

func (p *listProvider) Lookup(context.Context, inbox.Viewer, string) ([]Contact, error) {
	if p.fail != nil {
		return nil, p.fail
	}
	return []Contact{{Name: p.names[0], Provider: p.info}}, nil
}

func names(cs []Contact) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestListFollowsEveryProvider(t *testing.T) {
	t.Parallel()
	a, b := newListProvider("a", 3), newListProvider("b", 1)
	s := New(a, b)
	ctx, v := context.Background(), inbox.Viewer{}

	first, err := s.List(ctx, v, "", 2, "")
	require.NoError(t, err)
	require.Equal(t, []string{"a 00", "a 01", "b 00"}, names(first.Contacts), "limit results of each provider")
	require.Equal(t, 4, *first.Count)
	require.NotEmpty(t, first.NextToken)

	second, err := s.List(ctx, v, "", 2, first.NextToken)
	require.NoError(t, err)
	require.Equal(t, []string{"a 02"}, names(second.Contacts))
	require.Equal(t, 4, *second.Count, "b, done, still counts")
	require.Empty(t, second.NextToken)
	require.Len(t, b.asked, 1, "a provider without further pages is not asked again")
	require.Equal(t, "2", a.asked[1].PageToken, "the provider's own token comes back to it")
}

func TestListCountIsUnknownIfAnyProviderHasNone(t *testing.T) {
	t.Parallel()
	a, b := newListProvider("a", 1), newListProvider("b", 3)
	b.noCount = true
	res, err := New(a, b).List(context.Background(), inbox.Viewer{}, "", 100, "")
	require.NoError(t, err)
	require.Nil(t, res.Count)
	require.Len(t, res.Contacts, 4)

	res, err = New().List(context.Background(), inbox.Viewer{}, "x", 10, "")
	require.NoError(t, err)
	require.Equal(t, 0, *res.Count, "no provider: nothing, counted")
	require.Empty(t, res.Contacts)
	require.Empty(t, res.NextToken)
}

func TestListRefusesForeignTokens(t *testing.T) {
	t.Parallel()
	s := New(newListProvider("a", 5))
	ctx, v := context.Background(), inbox.Viewer{}
	res, err := s.List(ctx, v, "a", 1, "")
	require.NoError(t, err)
	for _, c := range []struct{ search, token string }{
		{"a", "%%%"},
		{"a", "bm90IGpzb24"}, // "not json"
		{"other search", res.NextToken},
	} {
		_, err := s.List(ctx, v, c.search, 1, c.token)
		require.ErrorIs(t, err, apperr.ErrInvalid, "%+v", c)
	}
	_, err = s.List(ctx, v, "a", 1, res.NextToken)
	require.NoError(t, err)
}

func TestProviderFailuresFailTheRequest(t *testing.T) {
	t.Parallel()
	a, b := newListProvider("a", 1), newListProvider("b", 1)
	b.fail = apperr.Upstream("b is down")
	s := New(a, b)
	_, err := s.List(context.Background(), inbox.Viewer{}, "", 10, "")
	require.ErrorIs(t, err, b.fail)
	_, err = s.Lookup(context.Background(), inbox.Viewer{}, "15550001111")
	require.True(t, errors.Is(err, b.fail))

	b.fail = nil
	found, err := s.Lookup(context.Background(), inbox.Viewer{}, "15550001111")
	require.NoError(t, err)
	require.Equal(t, []string{"a 00", "b 00"}, names(found))
}

func TestPatterns(t *testing.T) {
	t.Parallel()
	name, number := patterns("  ")
	require.Nil(t, name)
	require.Nil(t, number)
	name, number = patterns("+48 (123) 45-6")
	require.Equal(t, `%+48 (123) 45-6%`, *name)
	require.Equal(t, `%48123456%`, *number)
	name, number = patterns("50%_off")
	require.Equal(t, `%50\%\_off%`, *name)
	require.Equal(t, *name, *number)
	require.True(t, IsWaID("48123123123"))
	for _, bad := range []string{"", "+48", "48 12", strings.Repeat("1", 101)} {
		require.False(t, IsWaID(bad), bad)
	}
}

func TestOpenKnowsPersonsOnly(t *testing.T) {
	t.Parallel()
	s, err := Open([]string{"persons"}, nil)
	require.NoError(t, err)
	require.Len(t, s.providers, 1)
	require.Equal(t, Info{Type: "wamux", Name: "wamux persons", ID: personsID}, s.providers[0].Info())
	_, err = Open([]string{"google"}, nil)
	require.Error(t, err)
}

func TestPersonsTokens(t *testing.T) {
	t.Parallel()
	after, count, err := parsePersonsToken("")
	require.NoError(t, err)
	require.Equal(t, "", after)
	require.Zero(t, count)
	after, count, err = parsePersonsToken("48123123123.42")
	require.NoError(t, err)
	require.Equal(t, "48123123123", after)
	require.Equal(t, 42, count)
	for _, bad := range []string{"48123123123", "abc.1", "481.x", "481.-1", ".3"} {
		_, _, err := parsePersonsToken(bad)
		require.ErrorIs(t, err, apperr.ErrInvalid, bad)
	}
}

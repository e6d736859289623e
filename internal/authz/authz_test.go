package authz

import "testing"

func ptr[T any](v T) *T { return &v }

func TestEffectiveTakesTheMostPermissive(t *testing.T) {
	regular := Permissions{CanUseTags: true, CanReadChats: Group, CanWriteToChats: Assigned}
	app := Permissions{CanUseTags: true, CanReadChats: All, CanWriteToChats: Assigned}
	cases := []struct {
		name   string
		own    Override
		groups []Permissions
		want   Permissions
	}{
		{"nothing", Override{}, nil, Permissions{CanReadChats: None, CanWriteToChats: None}},
		{"one group", Override{}, []Permissions{regular}, regular},
		{"two groups", Override{}, []Permissions{regular, app}, Permissions{CanUseTags: true, CanReadChats: All, CanWriteToChats: Assigned}},
		{"own widens", Override{CanWriteToChats: ptr("group")}, []Permissions{regular}, Permissions{CanUseTags: true, CanReadChats: Group, CanWriteToChats: Group}},
		{"own cannot narrow", Override{CanReadChats: ptr("none"), CanUseTags: ptr(false)}, []Permissions{regular}, regular},
		{"own alone", Override{CanUseTags: ptr(true), CanReadChats: ptr("assigned")}, nil, Permissions{CanUseTags: true, CanReadChats: Assigned, CanWriteToChats: None}},
	}
	for _, c := range cases {
		if got := Effective(c.own, c.groups); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestLevelValid(t *testing.T) {
	for _, l := range []Level{All, Group, Assigned, None} {
		if !l.Valid() {
			t.Errorf("%q should be valid", l)
		}
	}
	if Level("some").Valid() {
		t.Error(`"some" should be invalid`)
	}
}

func TestCovers(t *testing.T) {
	const me, other, mine, theirs = int64(1), int64(2), int64(10), int64(20)
	groups := []int64{mine}
	cases := []struct {
		level       Level
		user, group *int64
		want        bool
	}{
		{All, nil, nil, true},
		{All, ptr(other), ptr(theirs), true},
		{Group, ptr(me), nil, true},
		{Group, nil, ptr(mine), true},
		{Group, ptr(other), ptr(mine), true},
		{Group, ptr(other), ptr(theirs), false},
		{Group, nil, nil, false},
		{Assigned, ptr(me), ptr(theirs), true},
		{Assigned, nil, ptr(mine), false},
		{Assigned, ptr(other), nil, false},
		{None, ptr(me), ptr(mine), false},
		{Level("bogus"), ptr(me), nil, false},
	}
	for _, c := range cases {
		if got := c.level.Covers(me, groups, c.user, c.group); got != c.want {
			t.Errorf("%s, user %v, group %v: got %v, want %v", c.level, c.user, c.group, got, c.want)
		}
	}
}

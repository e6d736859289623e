package ownership

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/storage"
)

// Tag is a label for messages and chats. Names need not be unique: tags are
// known by id.
type Tag struct {
	ID    int64
	Name  string
	Color *string
}

// TagChanges is a partial update of a tag: a nil Name stays, and the color
// changes only when SetColor is true (to nil: no color).
type TagChanges struct {
	Name     *string
	SetColor bool
	Color    *string
}

// maxTagText is the length limit of a tag's name and color, in characters.
const maxTagText = 1000

var errNoTag = apperr.NotFound("No tag matches the given query.")

func validateTag(name string, color *string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return apperr.Field("name", "This field may not be blank.")
	case utf8.RuneCountInString(name) > maxTagText:
		return apperr.Field("name", fmt.Sprintf("Ensure this field has no more than %d characters.", maxTagText))
	case color != nil && utf8.RuneCountInString(*color) > maxTagText:
		return apperr.Field("web_inbox_color", fmt.Sprintf("Ensure this field has no more than %d characters.", maxTagText))
	}
	return nil
}

func mayUseTags(v inbox.Viewer) error {
	if !v.Permissions.CanUseTags {
		return apperr.Forbidden("You do not have permission to use tags (permissions.can_use_tags).")
	}
	return nil
}

func mayManageTags(v inbox.Viewer) error {
	if !v.IsAdmin {
		return apperr.Forbidden("Only admins may change or delete tags.")
	}
	return nil
}

// ListTags returns a page of tags ordered by name, and their count.
func (s *Service) ListTags(ctx context.Context, p Page) ([]Tag, int64, error) {
	count, err := s.q.TagCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count tags: %w", err)
	}
	rows, err := s.q.TagList(ctx, db.TagListParams{Lim: p.Limit, Off: p.Offset})
	if err != nil {
		return nil, 0, fmt.Errorf("list tags: %w", err)
	}
	out := make([]Tag, len(rows))
	for i, r := range rows {
		out[i] = Tag{ID: r.ID, Name: r.Name, Color: r.WebInboxColor}
	}
	return out, count, nil
}

// GetTag returns the tag with id.
func (s *Service) GetTag(ctx context.Context, id int64) (Tag, error) {
	return getTag(ctx, s.q, id)
}

func getTag(ctx context.Context, q *db.Queries, id int64) (Tag, error) {
	r, err := q.TagGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Tag{}, errNoTag
	}
	if err != nil {
		return Tag{}, fmt.Errorf("get tag %d: %w", id, err)
	}
	return Tag{ID: r.ID, Name: r.Name, Color: r.WebInboxColor}, nil
}

// CreateTag creates a tag; v needs can_use_tags.
func (s *Service) CreateTag(ctx context.Context, v inbox.Viewer, name string, color *string) (Tag, error) {
	if err := mayUseTags(v); err != nil {
		return Tag{}, err
	}
	if err := validateTag(name, color); err != nil {
		return Tag{}, err
	}
	r, err := s.q.TagInsert(ctx, db.TagInsertParams{Name: name, WebInboxColor: color})
	if err != nil {
		return Tag{}, fmt.Errorf("create tag: %w", err)
	}
	return Tag{ID: r.ID, Name: r.Name, Color: r.WebInboxColor}, nil
}

// UpdateTag changes a tag (admins only). Its taggings keep pointing to it.
func (s *Service) UpdateTag(ctx context.Context, v inbox.Viewer, id int64, ch TagChanges) (Tag, error) {
	if err := mayManageTags(v); err != nil {
		return Tag{}, err
	}
	var out Tag
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		t, err := getTag(ctx, q, id)
		if err != nil {
			return err
		}
		if ch.Name != nil {
			t.Name = *ch.Name
		}
		if ch.SetColor {
			t.Color = ch.Color
		}
		if err := validateTag(t.Name, t.Color); err != nil {
			return err
		}
		r, err := q.TagUpdate(ctx, db.TagUpdateParams{ID: id, Name: t.Name, WebInboxColor: t.Color})
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoTag
		}
		if err != nil {
			return fmt.Errorf("update tag %d: %w", id, err)
		}
		out = Tag{ID: r.ID, Name: r.Name, Color: r.WebInboxColor}
		return nil
	})
	return out, err
}

// DeleteTag deletes a tag (admins only) with its taggings, their history
// and the rules reacting to it. No "removed" tagging events are sent for
// the taggings it takes along.
func (s *Service) DeleteTag(ctx context.Context, v inbox.Viewer, id int64) error {
	if err := mayManageTags(v); err != nil {
		return err
	}
	n, err := s.q.TagDelete(ctx, id)
	if err != nil {
		return fmt.Errorf("delete tag %d: %w", id, err)
	}
	if n == 0 {
		return errNoTag
	}
	return nil
}

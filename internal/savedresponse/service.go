package savedresponse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/storage"
)

// MaxText is the longest text of a saved response, in characters: the
// longest text message WhatsApp delivers, which is what a saved response
// becomes.
const MaxText = 4096

// SavedResponse is a canned reply.
type SavedResponse struct {
	ID   int64
	Text string
	// CreatedBy is the creator's username; "" if that user no longer
	// exists.
	CreatedBy string
	CreatedAt time.Time
}

// Actor is the user asking for a change.
type Actor struct {
	UserID   int64
	Username string
	IsAdmin  bool
}

// Page is a limit/offset window of the list.
type Page struct {
	Limit, Offset int32
}

// Service stores saved responses.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
}

// New returns a Service over pool.
func New(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool, q: db.New(pool)}
}

var errNotFound = apperr.NotFound("No saved response matches the given query.")

// List returns a page of saved responses, newest first, and their count.
func (s *Service) List(ctx context.Context, p Page) ([]SavedResponse, int64, error) {
	count, err := s.q.SavedResponseCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count saved responses: %w", err)
	}
	rows, err := s.q.SavedResponseList(ctx, db.SavedResponseListParams{Lim: p.Limit, Off: p.Offset})
	if err != nil {
		return nil, 0, fmt.Errorf("list saved responses: %w", err)
	}
	out := make([]SavedResponse, len(rows))
	for i, r := range rows {
		out[i] = SavedResponse{ID: r.ID, Text: r.Text, CreatedBy: r.Creator, CreatedAt: r.CreatedAt}
	}
	return out, count, nil
}

// Get returns one saved response.
func (s *Service) Get(ctx context.Context, id int64) (SavedResponse, error) {
	return get(ctx, s.q, id)
}

func get(ctx context.Context, q *db.Queries, id int64) (SavedResponse, error) {
	r, err := q.SavedResponseGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return SavedResponse{}, errNotFound
	}
	if err != nil {
		return SavedResponse{}, fmt.Errorf("get saved response %d: %w", id, err)
	}
	return SavedResponse{ID: r.ID, Text: r.Text, CreatedBy: r.Creator, CreatedAt: r.CreatedAt}, nil
}

// checkText applies the rules of a saved response's text.
func checkText(text string) error {
	switch {
	case strings.TrimSpace(text) == "":
		return apperr.Field("text", "This field may not be blank.")
	case utf8.RuneCountInString(text) > MaxText:
		return apperr.Field("text", fmt.Sprintf("Ensure this field has no more than %d characters.", MaxText))
	}
	return nil
}

// Create stores a new saved response made by a.
func (s *Service) Create(ctx context.Context, a Actor, text string) (SavedResponse, error) {
	if err := checkText(text); err != nil {
		return SavedResponse{}, err
	}
	r, err := s.q.SavedResponseInsert(ctx, db.SavedResponseInsertParams{Text: text, CreatedBy: &a.UserID})
	if err != nil {
		return SavedResponse{}, fmt.Errorf("insert saved response: %w", err)
	}
	return SavedResponse{ID: r.ID, Text: text, CreatedBy: a.Username, CreatedAt: r.CreatedAt}, nil
}

// Update changes the text of saved response id; a nil text changes
// nothing (a PATCH without fields). Only its creator and admins may.
func (s *Service) Update(ctx context.Context, a Actor, id int64, text *string) (SavedResponse, error) {
	if text != nil {
		if err := checkText(*text); err != nil {
			return SavedResponse{}, err
		}
	}
	var out SavedResponse
	err := storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		if err := mayChange(ctx, q, a, id); err != nil {
			return err
		}
		if text != nil {
			if err := q.SavedResponseUpdateText(ctx, db.SavedResponseUpdateTextParams{ID: id, Text: *text}); err != nil {
				return fmt.Errorf("update saved response %d: %w", id, err)
			}
		}
		var err error
		out, err = get(ctx, q, id)
		return err
	})
	return out, err
}

// Delete deletes saved response id. Only its creator and admins may.
func (s *Service) Delete(ctx context.Context, a Actor, id int64) error {
	return storage.WithTx(ctx, s.pool, func(q *db.Queries) error {
		if err := mayChange(ctx, q, a, id); err != nil {
			return err
		}
		if err := q.SavedResponseDelete(ctx, id); err != nil {
			return fmt.Errorf("delete saved response %d: %w", id, err)
		}
		return nil
	})
}

// mayChange locks saved response id and checks that a may change it: its
// creator or an admin. Anyone may read every saved response, so a missing
// one is NotFound and someone else's is Forbidden.
func mayChange(ctx context.Context, q *db.Queries, a Actor, id int64) error {
	row, err := q.SavedResponseLock(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("lock saved response %d: %w", id, err)
	}
	if a.IsAdmin || (row.CreatedBy != nil && *row.CreatedBy == a.UserID) {
		return nil
	}
	return apperr.Forbidden("Only the user who created a saved response, or an admin, may change or delete it.")
}

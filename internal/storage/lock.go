package storage

import (
	"fmt"

	"github.com/pressly/goose/v3/lock"
)

// migrationLockID is the advisory lock key goose holds while migrating; any
// constant works as long as every wamux process uses the same one.
const migrationLockID = 7_312_024_113

func newLocker() (lock.SessionLocker, error) {
	l, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return l, nil
}

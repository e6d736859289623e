//go:build !unix

package devdb

import (
	"context"
	"time"
)

// lockFile does nothing where flock(2) does not exist: the private cluster
// needs initdb and pg_ctl run as in Debian, which such systems do not have
// anyway.
func lockFile(_ context.Context, _ string, _ time.Duration) (func(), error) {
	return func() {}, nil
}

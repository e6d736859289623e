package inbox

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds each DELETE so that pruning never holds a long
// transaction (which would hold back every event-log reader).
const pruneBatch = 10_000

// pendingStatusRetention is how long a status waits for its message.
const pendingStatusRetention = 7 * 24 * time.Hour

// Prune keeps at most limit messages, deleting the oldest first but never
// a chat's newest message, and drops statuses that waited too long for
// their message. It returns how many messages it deleted.
func (s *Service) Prune(ctx context.Context, limit int64) (int64, error) {
	if _, err := s.q.PendingStatusesPrune(ctx, time.Now().Add(-pendingStatusRetention)); err != nil {
		return 0, fmt.Errorf("prune pending statuses: %w", err)
	}
	if limit <= 0 {
		return 0, nil
	}
	total, err := s.q.MessageCountAll(ctx)
	if err != nil {
		return 0, fmt.Errorf("count messages: %w", err)
	}
	var deleted int64
	for excess := total - limit; excess > 0; {
		n, err := s.q.MessagesPruneOldest(ctx, int32(min(excess, pruneBatch)))
		if err != nil {
			return deleted, fmt.Errorf("prune messages: %w", err)
		}
		if n == 0 {
			break // only chats' newest messages are left
		}
		deleted += n
		excess -= n
	}
	return deleted, nil
}

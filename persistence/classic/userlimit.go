package classic

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// serializeUserHolds takes a transaction-scoped advisory lock on one user's holds for
// one event, so that two concurrent holds cannot both pass the per-user limit.
func serializeUserHolds(ctx context.Context, tx pgx.Tx, eventID, userID string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		"ticketblitz/user-limit/"+eventID+"/"+userID); err != nil {
		return fmt.Errorf("lock user %s: %w", userID, err)
	}
	return nil
}

// checkUserLimit refuses a hold of want tickets that would take the user past the
// event's limit, counting live holds and confirmed orders in every section. Each count
// starts from the user's own rows behind an OFFSET 0 fence, as the store's count of
// tickets elsewhere does and for the same reason: the event-wide partial indexes are a
// trap on fresh tables.
func checkUserLimit(ctx context.Context, tx pgx.Tx, sec sectionMeta, userID string, want int) error {
	var have int64
	err := tx.QueryRow(ctx, `
		SELECT COALESCE((SELECT sum(h.quantity) FROM (
		                   SELECT event_id, quantity, expires_at FROM holds
		                   WHERE user_id = $1 AND status = 'held' OFFSET 0) h
		                 WHERE h.event_id = $2 AND h.expires_at > now()), 0)
		     + COALESCE((SELECT sum(o.quantity) FROM (
		                   SELECT event_id, quantity, status FROM orders
		                   WHERE user_id = $1 OFFSET 0) o
		                 WHERE o.status = 'confirmed' AND o.event_id = $2), 0)`,
		userID, sec.key.EventID).Scan(&have)
	if err != nil {
		return fmt.Errorf("count tickets of %s: %w", userID, err)
	}
	if int(have)+want > sec.maxPerUser {
		return &actors.Error{Code: actors.CodeLimitExceeded,
			Message: fmt.Sprintf("at most %d tickets per user for this event; %d already held or bought", sec.maxPerUser, have)}
	}
	return nil
}

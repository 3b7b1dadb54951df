package classic

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// userTickets is what a hold's transaction reads first: the database clock and the
// tickets the user already holds or bought for the event.
type userTickets struct {
	now  time.Time
	have int
}

// queueUserTickets queues, on b, a transaction-scoped advisory lock on one user's holds
// for one event (so that two concurrent holds cannot both pass the per-user limit; it is
// per user, never per section), then the count of the user's live holds and confirmed
// orders in every section of the event, with the transaction's now(). Each count starts
// from the user's own rows behind an OFFSET 0 fence, as the store's count of tickets
// elsewhere does and for the same reason: the event-wide partial indexes are a trap on
// fresh tables.
func queueUserTickets(b *pgx.Batch, eventID, userID string, u *userTickets) {
	b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "ticketblitz/user-limit/"+eventID+"/"+userID)
	b.Queue(`
		SELECT now(),
		       COALESCE((SELECT sum(h.quantity) FROM (
		                   SELECT event_id, quantity, expires_at FROM holds
		                   WHERE user_id = $1 AND status = 'held' OFFSET 0) h
		                 WHERE h.event_id = $2 AND h.expires_at > now()), 0)
		     + COALESCE((SELECT sum(o.quantity) FROM (
		                   SELECT event_id, quantity, status FROM orders
		                   WHERE user_id = $1 OFFSET 0) o
		                 WHERE o.status = 'confirmed' AND o.event_id = $2), 0)`,
		userID, eventID).QueryRow(func(row pgx.Row) error {
		var have int64
		if err := row.Scan(&u.now, &have); err != nil {
			return fmt.Errorf("count tickets of %s: %w", userID, err)
		}
		u.now, u.have = u.now.UTC(), int(have)
		return nil
	})
}

// check refuses a hold of want tickets that would take the user past the limit.
func (u userTickets) check(sec sectionMeta, want int) error {
	if u.have+want > sec.maxPerUser {
		return &actors.Error{Code: actors.CodeLimitExceeded,
			Message: fmt.Sprintf("at most %d tickets per user for this event; %d already held or bought", sec.maxPerUser, u.have)}
	}
	return nil
}

package classic

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// Extend moves a held hold's expiry to HoldTTL from now, but never past 3 × HoldTTL
// after the hold was created. A hold found past its expiry is expired instead and the
// answer is HOLD_EXPIRED.
func (e *engine) Extend(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	ctx = e.traced(ctx, "extend", userID, "", "")
	var (
		l       lockedHold
		out     actors.Hold
		refusal error
		j       *journal
	)
	err := runTx(ctx, e.pool, func(b *pgx.Batch) {
		queueHoldForUpdate(b, holdID, &l)
	}, func(tx pgx.Tx) error {
		refusal, j = nil, nil
		past, err := l.usable(userID)
		if err != nil {
			return err
		}
		if past {
			refusal = actors.ErrHoldExpired
			_, j, err = e.freeHolds(ctx, tx, []actors.Hold{l.hold}, actors.HoldExpired, actors.ReasonExpired, l.now)
			return err
		}
		ttl := e.holdTTL.Microseconds()
		out, err = persistence.ScanHold(tx.QueryRow(ctx, `
			UPDATE holds SET updated_at = now(), expires_at = GREATEST(expires_at,
				LEAST(now() + $2::bigint * interval '1 microsecond', created_at + 3 * $2::bigint * interval '1 microsecond'))
			WHERE id = $1 RETURNING `+persistence.HoldColumns, l.hold.ID, ttl))
		if err != nil {
			return fmt.Errorf("extend hold %s: %w", l.hold.ID, err)
		}
		return nil
	})
	if err == nil {
		e.committed(j)
		err = refusal
	}
	if err != nil {
		return actors.Hold{}, e.fail("extend", err)
	}
	return out, nil
}

package classic

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// Extend moves a held hold's expiry to HoldTTL from now, but never past 3 × HoldTTL
// after the hold was created.
func (s *Lock) Extend(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	var out actors.Hold
	var refusal error
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		h, past, err := holdForUpdate(ctx, tx, holdID, userID)
		if err != nil {
			return err
		}
		if past {
			refusal = actors.ErrHoldExpired
			_, err := s.freeHolds(ctx, tx, sectionOf(h), []actors.Hold{h}, actors.HoldExpired, actors.ReasonExpired)
			return err
		}
		ttl := s.holdTTL.Microseconds()
		out, err = persistence.ScanHold(tx.QueryRow(ctx, `
			UPDATE holds SET updated_at = now(), expires_at = GREATEST(expires_at,
				LEAST(now() + $2::bigint * interval '1 microsecond', created_at + 3 * $2::bigint * interval '1 microsecond'))
			WHERE id = $1 RETURNING `+persistence.HoldColumns, h.ID, ttl))
		if err != nil {
			return fmt.Errorf("extend hold %s: %w", h.ID, err)
		}
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return actors.Hold{}, fail("extend", err)
	}
	return out, nil
}

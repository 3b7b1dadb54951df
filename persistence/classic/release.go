package classic

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// Release gives a held hold's seats back. A hold found past its expiry is expired
// instead and the answer is HOLD_EXPIRED.
func (s *Lock) Release(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	var out actors.Hold
	var refusal error // returned after the transaction commits
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
		freed, err := s.freeHolds(ctx, tx, sectionOf(h), []actors.Hold{h}, actors.HoldReleased, actors.ReasonReleased)
		if err != nil {
			return err
		}
		if len(freed) != 1 {
			return fmt.Errorf("release hold %s: %d rows updated", h.ID, len(freed))
		}
		out = freed[0]
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return actors.Hold{}, fail("release", err)
	}
	return out, nil
}

// freeHolds ends held holds of one section (released or expired): their seats become
// available, the held counter drops, the version rises once, and each hold gets a
// SeatReleased envelope with reason. The holds' rows must be locked by the caller.
func (s *Lock) freeHolds(ctx context.Context, tx pgx.Tx, key actors.SectionKey, holds []actors.Hold, status actors.HoldStatus, reason string) ([]actors.Hold, error) {
	var seats, ids []string
	qty := 0
	for _, h := range holds {
		seats = append(seats, h.Seats...)
		ids = append(ids, h.ID)
		qty += h.Quantity
	}
	if len(seats) > 0 {
		slices.Sort(seats)
		if _, err := seatRowsForUpdate(ctx, tx, key, seats); err != nil {
			return nil, err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE seats SET status = 'available', hold_id = NULL
			WHERE event_id = $1 AND section_id = $2 AND id = ANY($3) AND hold_id = ANY($4) AND status = 'held'`,
			key.EventID, key.SectionID, seats, ids)
		if err != nil {
			return nil, fmt.Errorf("free seats of %s: %w", key, err)
		}
		if int(tag.RowsAffected()) != len(seats) {
			return nil, fmt.Errorf("free seats of %s: %d of %d seats were held by the holds", key, tag.RowsAffected(), len(seats))
		}
	}
	version, err := s.bumpSection(ctx, tx, key, -qty, 0, -1, seats, actors.SeatAvailable)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `UPDATE holds SET status = $2, updated_at = now() WHERE id = ANY($1) RETURNING `+persistence.HoldColumns,
		ids, string(status))
	if err != nil {
		return nil, fmt.Errorf("%s holds: %w", status, err)
	}
	freed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (actors.Hold, error) {
		return persistence.ScanHold(row)
	})
	if err != nil {
		return nil, fmt.Errorf("%s holds: %w", status, err)
	}
	events := make([]event, len(freed))
	for i, h := range freed {
		events[i] = event{actors.TypeSeatReleased, actors.SeatReleased{
			HoldID: h.ID, UserID: h.UserID, Seats: h.Seats, Quantity: h.Quantity,
			Reason: reason, SectionVersion: version,
		}}
	}
	if err := writeOutbox(ctx, tx, s.now(), key, events...); err != nil {
		return nil, err
	}
	return freed, nil
}

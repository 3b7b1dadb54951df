package classic

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// unlockTimeout bounds freeing seat locks after a request, even a cancelled one.
const unlockTimeout = 5 * time.Second

// claimSeats holds exactly seats for r: Redis locks first, then one transaction that
// locks the rows, checks them and writes the hold with a version check on the section.
func (s *Lock) claimSeats(ctx context.Context, sec sectionMeta, r actors.HoldRequest, seats []string, holdID string) (actors.Hold, error) {
	ordered := slices.Clone(seats)
	slices.Sort(ordered)
	taken, err := s.locks.acquire(ctx, sec.key, ordered, holdID)
	if err != nil {
		return actors.Hold{}, err
	}
	if len(taken) > 0 {
		return actors.Hold{}, actors.SeatsUnavailable(taken)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
		defer cancel()
		if err := s.locks.release(uctx, sec.key, ordered, holdID); err != nil {
			s.log.Warn("free seat locks", zap.String("section", sec.key.Identity()), zap.String("hold", holdID), zap.Error(err))
		}
	}()

	var hold actors.Hold
	err = inTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := serializeUserHolds(ctx, tx, sec.key.EventID, r.UserID); err != nil {
			return err
		}
		found, err := seatRowsForUpdate(ctx, tx, sec.key, ordered)
		if err != nil {
			return err
		}
		var unknown, busy []string
		for _, id := range ordered {
			row, ok := found[id]
			switch {
			case !ok:
				unknown = append(unknown, id)
			case row.status != actors.SeatAvailable:
				busy = append(busy, id)
			}
		}
		if len(unknown) > 0 {
			return actors.UnknownSeats(unknown...)
		}
		if len(busy) > 0 {
			return actors.SeatsUnavailable(busy)
		}
		if err := checkUserLimit(ctx, tx, sec, r.UserID, len(seats)); err != nil {
			return err
		}
		var read int64
		if err := tx.QueryRow(ctx, `SELECT version FROM sections WHERE event_id = $1 AND id = $2`,
			sec.key.EventID, sec.key.SectionID).Scan(&read); err != nil {
			return fmt.Errorf("read version of %s: %w", sec.key, err)
		}
		version, err := s.bumpSection(ctx, tx, sec.key, len(seats), 0, read, ordered, actors.SeatHeld)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE seats SET status = 'held', hold_id = $4
			WHERE event_id = $1 AND section_id = $2 AND id = ANY($3) AND status = 'available'`,
			sec.key.EventID, sec.key.SectionID, ordered, holdID)
		if err != nil {
			return fmt.Errorf("hold seats of %s: %w", sec.key, err)
		}
		if int(tag.RowsAffected()) != len(seats) {
			return fmt.Errorf("hold seats of %s: %d of %d locked seats updated", sec.key, tag.RowsAffected(), len(seats))
		}
		hold, err = s.insertHold(ctx, tx, sec, r, holdID, seats, version)
		return err
	})
	return hold, err
}

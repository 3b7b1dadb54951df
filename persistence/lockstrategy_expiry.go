package persistence

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// lockExpiryBatch bounds how many holds one sweep reads.
const lockExpiryBatch = 1000

// RunExpiry expires holds past their expiry (by the database clock) about every
// 500 ms until ctx is done, then returns nil. A failed sweep is logged and retried on
// the next tick.
func (s *LockStrategy) RunExpiry(ctx context.Context) error {
	tick := time.NewTicker(lockExpiryInterval)
	defer tick.Stop()
	for {
		for {
			n, err := s.expireDue(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("expire holds", zap.Error(err))
				}
				break
			}
			if n > 0 {
				s.log.Debug("expired holds", zap.Int("holds", n))
			}
			if n < lockExpiryBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// expireDue expires up to lockExpiryBatch due holds, one transaction per section,
// and returns how many holds it looked at.
func (s *LockStrategy) expireDue(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT event_id, section_id, array_agg(id ORDER BY id)
		FROM (SELECT id, event_id, section_id FROM holds
		      WHERE status = 'held' AND expires_at < now() LIMIT $1) due
		GROUP BY event_id, section_id`, lockExpiryBatch)
	if err != nil {
		return 0, fmt.Errorf("find due holds: %w", err)
	}
	type due struct {
		key actors.SectionKey
		ids []string
	}
	sections, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
		var d due
		err := row.Scan(&d.key.EventID, &d.key.SectionID, &d.ids)
		return d, err
	})
	if err != nil {
		return 0, fmt.Errorf("find due holds: %w", err)
	}
	// One section failing must not stop the others from expiring.
	n := 0
	var errs []error
	for _, d := range sections {
		n += len(d.ids)
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			holds, err := lockDueHolds(ctx, tx, d.ids)
			if err != nil || len(holds) == 0 {
				return err
			}
			_, err = s.freeHolds(ctx, tx, d.key, holds, actors.HoldExpired, actors.ReasonExpired)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("expire holds of %s: %w", d.key, err))
		}
	}
	return n, errors.Join(errs...)
}

// lockDueHolds locks those of ids that are still held and due, in id order. Holds
// another transaction has locked (a confirm, a release, another node's sweep) are
// skipped rather than waited for; the next sweep sees them again if still due.
func lockDueHolds(ctx context.Context, tx pgx.Tx, ids []string) ([]actors.Hold, error) {
	rows, err := tx.Query(ctx, `
		SELECT `+lockHoldCols+` FROM holds
		WHERE id = ANY($1) AND status = 'held' AND expires_at < now()
		ORDER BY id COLLATE "C" FOR UPDATE SKIP LOCKED`, ids)
	if err != nil {
		return nil, fmt.Errorf("lock due holds: %w", err)
	}
	holds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (actors.Hold, error) {
		return lockScanHold(row)
	})
	if err != nil {
		return nil, fmt.Errorf("lock due holds: %w", err)
	}
	return holds, nil
}

// freeHolds ends held holds of one section (released or expired): their seats become
// available, the held counter drops, the version rises once, and each hold gets a
// SeatReleased envelope with reason. The holds' rows must be locked by the caller.
func (s *LockStrategy) freeHolds(ctx context.Context, tx pgx.Tx, key actors.SectionKey, holds []actors.Hold, status actors.HoldStatus, reason string) ([]actors.Hold, error) {
	var seats, ids []string
	qty := 0
	for _, h := range holds {
		seats = append(seats, h.Seats...)
		ids = append(ids, h.ID)
		qty += h.Quantity
	}
	if len(seats) > 0 {
		slices.Sort(seats)
		if _, err := lockSeatRows(ctx, tx, key, seats); err != nil {
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
	rows, err := tx.Query(ctx, `UPDATE holds SET status = $2, updated_at = now() WHERE id = ANY($1) RETURNING `+lockHoldCols,
		ids, string(status))
	if err != nil {
		return nil, fmt.Errorf("%s holds: %w", status, err)
	}
	freed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (actors.Hold, error) {
		return lockScanHold(row)
	})
	if err != nil {
		return nil, fmt.Errorf("%s holds: %w", status, err)
	}
	events := make([]lockEvent, len(freed))
	for i, h := range freed {
		events[i] = lockEvent{actors.TypeSeatReleased, actors.SeatReleased{
			HoldID: h.ID, UserID: h.UserID, Seats: h.Seats, Quantity: h.Quantity,
			Reason: reason, SectionVersion: version,
		}}
	}
	if err := s.writeOutbox(ctx, tx, key, events...); err != nil {
		return nil, err
	}
	return freed, nil
}

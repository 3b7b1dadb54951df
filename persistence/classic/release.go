package classic

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Release gives a held hold's seats back. A hold found past its expiry is expired
// instead and the answer is HOLD_EXPIRED.
func (e *engine) Release(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	ctx = e.traced(ctx, "release", userID, "", "")
	var (
		l       lockedHold
		out     actors.Hold
		refusal error // returned after the transaction commits
		j       *journal
	)
	err := runTx(ctx, e.pool, func(b *pgx.Batch) {
		queueHoldForUpdate(b, holdID, &l)
	}, func(tx pgx.Tx) error {
		refusal = nil
		past, err := l.usable(userID)
		if err != nil {
			return err
		}
		status, reason := actors.HoldReleased, actors.ReasonReleased
		if past {
			status, reason, refusal = actors.HoldExpired, actors.ReasonExpired, actors.ErrHoldExpired
		}
		var freed []actors.Hold
		freed, j, err = e.freeHolds(ctx, tx, []actors.Hold{l.hold}, status, reason, l.now)
		if err != nil {
			return err
		}
		out = freed[0]
		return nil
	})
	if err == nil {
		e.committed(j)
		err = refusal
	}
	if err != nil {
		return actors.Hold{}, e.fail("release", err)
	}
	return out, nil
}

// The statements that free a hold's seats, after their rows are locked in order.
const freeSeatsSQL = `
UPDATE seats AS s SET status = 'available', hold_id = NULL, version = s.version + 1
FROM ` + seatKeys + `
WHERE ` + seatKeyJoin + ` AND s.hold_id = ANY($4) AND s.status = 'held'`

// freeHolds ends held holds of one section (released or expired), whose rows the caller
// has locked: their seats become available, each hold gets a SeatReleased with reason,
// and the section one new version with the held counter lowered. It returns the holds as
// they now are, and the journal to hand to committed once the transaction commits.
func (e *engine) freeHolds(ctx context.Context, tx pgx.Tx, holds []actors.Hold, status actors.HoldStatus, reason string, now time.Time) ([]actors.Hold, *journal, error) {
	key := sectionOf(holds[0])
	sec, err := e.sections.meta(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	var seats, ids []string
	qty := 0
	for _, h := range holds {
		seats = append(seats, h.Seats...)
		ids = append(ids, h.ID)
		qty += h.Quantity
	}
	slices.Sort(seats)
	b := &pgx.Batch{}
	if len(seats) > 0 {
		queueSeats(b, key, seats, true, map[string]seatRow{})
		b.Queue(freeSeatsSQL, key.EventID, key.SectionID, seats, ids).
			Exec(expectRows(fmt.Sprintf("free seats of %s held by %v", key, ids), len(seats)))
	}
	b.Queue(`UPDATE holds SET status = $2, updated_at = $3 WHERE id = ANY($1) AND status = 'held'`, ids, string(status), now).
		Exec(expectRows(fmt.Sprintf("%s holds", status), len(ids)))
	j := newJournal(sec, e.now())
	j.change(seats, actors.SeatAvailable, -qty, 0)
	freed := make([]actors.Hold, len(holds))
	for i, h := range holds {
		h.Status, h.UpdatedAt = status, now
		freed[i] = h
		j.add(actors.TypeSeatReleased, actors.SeatReleased{
			HoldID: h.ID, UserID: h.UserID, Seats: h.Seats, Quantity: h.Quantity, Reason: reason,
		})
	}
	if err := j.queue(b); err != nil {
		return nil, nil, err
	}
	if err := send(ctx, tx, b); err != nil {
		return nil, nil, err
	}
	if err := j.finish(ctx, tx); err != nil {
		return nil, nil, err
	}
	return freed, j, nil
}

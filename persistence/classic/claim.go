package classic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ticketblitz/ticketblitz/actors"
)

// claim is a hold of exact seats on its way to the database.
type claim struct {
	sec     sectionMeta
	r       actors.HoldRequest
	seats   []string // as the hold lists them: in the order asked
	ordered []string // sorted: the order seats are locked in
	holdID  string
}

func newClaim(sec sectionMeta, r actors.HoldRequest, seats []string) claim {
	return claim{sec: sec, r: r, seats: slices.Clone(seats), ordered: slices.Sorted(slices.Values(seats)), holdID: actors.NewID("h_")}
}

// The seat updates of a claim: plain under row locks (PG), or version-checked (Lock).
const (
	holdSeatsSQL = `
UPDATE seats AS s SET status = 'held', hold_id = $4, version = s.version + 1
FROM ` + seatKeys + `
WHERE ` + seatKeyJoin + ` AND s.status = 'available'`

	holdSeatsIfVersionSQL = `
UPDATE seats AS s SET status = 'held', hold_id = $4, version = s.version + 1
FROM (SELECT $1::text AS event_id, $2::text AS section_id, unnest($3::text[]) AS id, unnest($5::bigint[]) AS version) AS k
WHERE ` + seatKeyJoin + ` AND s.version = k.version AND s.status = 'available'`
)

// claimTx writes c in one transaction on db. It first reads, in the round trip that
// begins the transaction, the request's stored answer, the user's tickets (under the
// user's advisory lock) and the seats: locked FOR UPDATE when lock is set (PG), else
// with their versions, which the update then checks (Lock). Seats that are not
// available are refused with busy(seats).
func (e *engine) claimTx(ctx context.Context, db batchSender, c claim, lock bool, busy func([]string) error) (actors.Hold, error) {
	var (
		stored storedReply
		u      userTickets
		found  = map[string]seatRow{}
		hold   actors.Hold
		j      *journal
	)
	key := c.sec.key
	err := runTx(ctx, db, func(b *pgx.Batch) {
		if c.r.IdempotencyKey != "" {
			queueReplay(b, c.r.UserID, c.r.IdempotencyKey, &stored)
		}
		queueUserTickets(b, key.EventID, c.r.UserID, &u)
		queueSeats(b, key, c.ordered, lock, found)
	}, func(tx pgx.Tx) error {
		if stored.found {
			return errReplayed
		}
		var unknown, taken []string
		versions := make([]int64, len(c.ordered))
		for i, id := range c.ordered {
			row, ok := found[id]
			switch {
			case !ok:
				unknown = append(unknown, id)
			case row.status != actors.SeatAvailable:
				taken = append(taken, id)
			}
			versions[i] = row.version
		}
		if len(unknown) > 0 {
			return actors.UnknownSeats(unknown...)
		}
		if len(taken) > 0 {
			return busy(taken)
		}
		if err := u.check(c.sec, len(c.seats)); err != nil {
			return err
		}
		b := &pgx.Batch{}
		if lock {
			b.Queue(holdSeatsSQL, key.EventID, key.SectionID, c.ordered, c.holdID).
				Exec(expectRows("hold seats of "+key.Identity(), len(c.ordered)))
		} else {
			b.Queue(holdSeatsIfVersionSQL, key.EventID, key.SectionID, c.ordered, c.holdID, versions).
				Exec(func(ct pgconn.CommandTag) error {
					if ct.RowsAffected() != int64(len(c.ordered)) {
						return errVersionConflict
					}
					return nil
				})
		}
		var err error
		if hold, j, err = e.queueHold(b, c, u.now); err != nil {
			return err
		}
		return send(ctx, tx, b)
	})
	if errors.Is(err, errReplayed) {
		return stored.hold(c.r.Hash())
	}
	if err != nil {
		return actors.Hold{}, err
	}
	e.committed(j)
	return hold, nil
}

// queueHold queues, after the caller's seat update, the rest of a claim's writes: the
// hold row (times from the database clock now), the stored answer for its idempotency
// key, and its journal, last.
func (e *engine) queueHold(b *pgx.Batch, c claim, now time.Time) (actors.Hold, *journal, error) {
	ttl := time.Duration(e.holdTTL.Microseconds()) * time.Microsecond // the database keeps microseconds
	h := actors.Hold{
		ID: c.holdID, EventID: c.sec.key.EventID, SectionID: c.sec.key.SectionID, UserID: c.r.UserID,
		Seats: c.seats, Quantity: len(c.seats), Status: actors.HoldHeld,
		ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now,
	}
	if h.Seats == nil {
		h.Seats = []string{}
	}
	if len(c.seats) == 0 {
		h.Quantity = c.r.Quantity
	}
	b.Queue(`
		INSERT INTO holds (id, event_id, section_id, user_id, seats, quantity, status, expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'held', $7, $8, $8)`,
		h.ID, h.EventID, h.SectionID, h.UserID, h.Seats, h.Quantity, h.ExpiresAt, h.CreatedAt)
	if c.r.IdempotencyKey != "" {
		queueSaveReply(b, c.r.UserID, c.r.IdempotencyKey, c.sec.key, c.r.Hash(), actors.HoldReply(h))
	}
	j := newJournal(c.sec, e.now())
	if len(c.seats) > 0 {
		j.change(c.ordered, actors.SeatHeld, len(c.seats), 0)
	} else {
		j.change(nil, "", h.Quantity, 0)
		j.room = h.Quantity
	}
	j.add(actors.TypeSeatReserved, actors.SeatReserved{
		HoldID: h.ID, UserID: h.UserID, Seats: h.Seats, Quantity: h.Quantity, ExpiresAt: h.ExpiresAt,
	})
	if err := j.queue(b); err != nil {
		return actors.Hold{}, nil, fmt.Errorf("hold %s: %w", h.ID, err)
	}
	return h, j, nil
}

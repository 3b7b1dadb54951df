package classic

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// Lock order, to keep transactions free of deadlocks: the user's advisory lock (holds
// only), then hold or order rows by id, then seat rows by id, then (general admission
// only) the section row. No reserved-seat transaction locks the section row; the
// sequencer locks it alone (see Sequencer).

// seatRow is a seat's state as a transaction read it.
type seatRow struct {
	status  actors.SeatStatus
	holdID  string
	orderID string
	version int64
}

// seatKeys names the seats of $1 (event), $2 (section) and $3 (ids) as a join source k;
// every statement that reads or writes given seats joins seats on it (seatKeyJoin).
// The set-returning function in its select list keeps the planner from pulling it up,
// so each seat is one lookup by the whole primary key whatever the statistics say.
// Written as "event_id = $1 AND section_id = $2 AND id = ANY($3)", a fresh event (not
// analyzed yet, or not among the most common values) is estimated at one seat per
// section, and the plan reads the whole section in every statement.
const (
	seatKeys    = `(SELECT $1::text AS event_id, $2::text AS section_id, unnest($3::text[]) AS id) AS k`
	seatKeyJoin = `s.event_id = k.event_id AND s.section_id = k.section_id AND s.id = k.id`
)

// The seat reads: plain (the lock strategy checks versions instead) or locking, in
// byte order of the ids, the order every transaction of the package locks seats in.
const (
	seatStatesSQL = `
SELECT s.id, s.status, COALESCE(s.hold_id, ''), COALESCE(s.order_id, ''), s.version
FROM ` + seatKeys + ` JOIN seats AS s ON ` + seatKeyJoin

	seatRowLocksSQL = seatStatesSQL + `
ORDER BY s.id COLLATE "C" FOR UPDATE OF s`
)

// queueSeats queues a read of the named seats on b, locking them FOR UPDATE when lock is
// set; their states arrive in found, by seat id.
func queueSeats(b *pgx.Batch, key actors.SectionKey, seats []string, lock bool, found map[string]seatRow) {
	sql := seatStatesSQL
	if lock {
		sql = seatRowLocksSQL
	}
	b.Queue(sql, key.EventID, key.SectionID, seats).Query(func(rows pgx.Rows) error {
		clear(found)
		var r seatRow
		var id, status string
		_, err := pgx.ForEachRow(rows, []any{&id, &status, &r.holdID, &r.orderID, &r.version}, func() error {
			r.status = actors.SeatStatus(status)
			found[id] = r
			return nil
		})
		if err != nil {
			return fmt.Errorf("read seats of %s: %w", key, err)
		}
		return nil
	})
}

// lockedHold is a hold row locked (FOR NO KEY UPDATE: an order that references it does
// not wait), with the database clock.
type lockedHold struct {
	found bool
	hold  actors.Hold
	past  bool // held, but its expiry has passed by the database clock
	now   time.Time
}

// queueHoldForUpdate queues the lock of a hold row on b; it arrives in *l.
func queueHoldForUpdate(b *pgx.Batch, holdID string, l *lockedHold) {
	*l = lockedHold{}
	b.Queue(`SELECT `+persistence.HoldColumns+`, expires_at <= now(), now() FROM holds WHERE id = $1 FOR NO KEY UPDATE`, holdID).
		QueryRow(func(row pgx.Row) error {
			h, err := persistence.ScanHold(row, &l.past, &l.now)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("lock hold %s: %w", holdID, err)
			}
			l.found, l.hold, l.now = true, h, l.now.UTC()
			return nil
		})
}

// usable checks that userID may act on the hold and that it is held. past reports a
// held hold whose expiry has passed.
func (l lockedHold) usable(userID string) (past bool, err error) {
	switch {
	case !l.found:
		return false, &actors.Error{Code: actors.CodeNotFound, Message: "hold not found"}
	case l.hold.UserID != userID:
		return false, actors.ErrForbidden
	}
	switch l.hold.Status {
	case actors.HoldHeld:
		return l.past, nil
	case actors.HoldExpired:
		return false, actors.ErrHoldExpired
	default:
		return false, &actors.Error{Code: actors.CodeHoldNotActive, Message: "hold already " + string(l.hold.Status)}
	}
}

// lockedOrder is an order row locked FOR NO KEY UPDATE, with the database clock.
type lockedOrder struct {
	found bool
	order actors.Order
	now   time.Time
}

// queueOrderForUpdate queues the lock of an order row on b; it arrives in *l.
func queueOrderForUpdate(b *pgx.Batch, orderID string, l *lockedOrder) {
	*l = lockedOrder{}
	b.Queue(`SELECT `+persistence.OrderColumns+`, now() FROM orders WHERE id = $1 FOR NO KEY UPDATE`, orderID).
		QueryRow(func(row pgx.Row) error {
			o, err := persistence.ScanOrder(row, &l.now)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("lock order %s: %w", orderID, err)
			}
			l.found, l.order, l.now = true, o, l.now.UTC()
			return nil
		})
}

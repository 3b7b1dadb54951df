package classic

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// seatMapStagedSQL reads a section row, its seats and its staged records in one
// statement, hence one snapshot: the staged records it returns are exactly those of the
// committed transactions whose seat changes it shows that have no version yet.
const seatMapStagedSQL = `
SELECT 0 AS part, sec.kind, sec.capacity, sec.held, sec.sold, sec.version,
	NULL::text AS seat, NULL::text AS row_label, NULL::int AS row_index, NULL::int AS number,
	NULL::bool AS accessible, NULL::text AS status, NULL::text AS hold_id, NULL::text AS order_id,
	NULL::bigint AS staged, NULL::text AS txid, NULL::text AS topic, NULL::text AS key,
	NULL::bytea AS payload, NULL::int AS held_delta, NULL::int AS sold_delta
FROM sections AS sec WHERE sec.event_id = $1 AND sec.id = $2
UNION ALL
SELECT 1, NULL, NULL, NULL, NULL, NULL,
	st.id, st.row_label, st.row_index, st.number, st.accessible, st.status, st.hold_id, st.order_id,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM seats AS st WHERE st.event_id = $1 AND st.section_id = $2
UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	o.id, o.txid::text, o.topic, o.key, o.payload, o.held_delta, o.sold_delta
FROM outbox_staged AS o WHERE o.key = $3
ORDER BY part, row_index, number, staged`

// seatMapRead is what seatMapStagedSQL returned.
type seatMapRead struct {
	found  bool
	sec    sectionCounters
	seats  []actors.Seat
	staged []stagedRecord
}

// queueSeatMapRead queues seatMapStagedSQL on b; the result arrives in *r.
func queueSeatMapRead(b *pgx.Batch, key actors.SectionKey, r *seatMapRead) {
	*r = seatMapRead{sec: sectionCounters{eventID: key.EventID, section: key.SectionID}}
	b.Queue(seatMapStagedSQL, key.EventID, key.SectionID, key.Identity()).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				part                                   int
				kind, seat, label, status, hold, order *string
				capacity, held, sold, rowIndex, number *int
				version, staged                        *int64
				accessible                             *bool
				txid, topic, skey                      *string
				payload                                []byte
				heldDelta, soldDelta                   *int
			)
			if err := rows.Scan(&part, &kind, &capacity, &held, &sold, &version,
				&seat, &label, &rowIndex, &number, &accessible, &status, &hold, &order,
				&staged, &txid, &topic, &skey, &payload, &heldDelta, &soldDelta); err != nil {
				return err
			}
			switch part {
			case 0:
				r.found = true
				r.sec.kind, r.sec.capacity, r.sec.held, r.sec.sold, r.sec.version = actors.SectionKind(*kind), *capacity, *held, *sold, *version
			case 1:
				r.seats = append(r.seats, actors.Seat{
					ID: *seat, Row: *label, RowIndex: *rowIndex, Number: *number, Accessible: *accessible,
					Status: actors.SeatStatus(*status), HoldID: textOrEmpty(hold), OrderID: textOrEmpty(order),
				})
			case 2:
				r.staged = append(r.staged, stagedRecord{id: *staged, txid: *txid, topic: *topic, key: *skey,
					payload: payload, held: *heldDelta, sold: *soldDelta})
			}
		}
		return rows.Err()
	})
}

// SeatMap returns the committed state of a section, like the store's seat map, with a
// version that matches the seats exactly: the version whose SectionChanged records,
// replayed in order, give these seat states. Staged records of transactions the read
// shows are sequenced first, in the same transaction, under the section row's lock.
// It returns an error wrapping actors.ErrNotFound when the section is missing.
func (s *Sequencer) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	key := actors.SectionKey{EventID: eventID, SectionID: sectionID}
	op := fmt.Sprintf("seat map of %s", key)
	// Most reads find nothing staged: one statement, no lock.
	var r seatMapRead
	b := &pgx.Batch{}
	queueSeatMapRead(b, key, &r)
	if err := s.cfg.Pool.SendBatch(ctx, b).Close(); err != nil {
		return actors.SeatMap{}, fmt.Errorf("%s: %w", op, err)
	}
	if r.found && len(r.staged) > 0 {
		var locked bool
		var lockedSec sectionCounters
		err := runTx(ctx, s.cfg.Pool, func(b *pgx.Batch) {
			queueLockSection(b, key, &lockedSec, &locked)
			queueSeatMapRead(b, key, &r) // binds after the lock: see Sequence
		}, func(tx pgx.Tx) error {
			if !r.found {
				return nil
			}
			b := &pgx.Batch{}
			var err error
			if r.sec, err = queueSequence(b, r.sec, r.staged); err != nil {
				return err
			}
			return send(ctx, tx, b)
		})
		if err != nil {
			return actors.SeatMap{}, fmt.Errorf("%s: %w", op, err)
		}
		if len(r.staged) > 0 {
			s.cfg.OnOutbox()
		}
	}
	if !r.found {
		return actors.SeatMap{}, fmt.Errorf("%s: %w", op, actors.ErrNotFound)
	}
	m := actors.SeatMap{SectionID: sectionID, Kind: r.sec.kind, Version: r.sec.version, Capacity: r.sec.capacity,
		Seats: r.seats, Held: r.sec.held, Sold: r.sec.sold}
	if m.Kind == actors.KindReserved {
		m.Held, m.Sold = 0, 0
		for _, st := range m.Seats {
			switch st.Status {
			case actors.SeatHeld:
				m.Held++
			case actors.SeatSold:
				m.Sold++
			}
		}
	}
	m.Available = m.Capacity - m.Held - m.Sold
	return m, nil
}

// textOrEmpty returns *p, or "" for nil.
func textOrEmpty(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The statements of an activation. The epoch bump comes first: it takes the section
// row's lock, so a batch of the previous activation still in flight either committed
// before the loads below (and they see it) or is fenced out. Each load reads only what is
// live, through a partial or time-ordered index, so an activation costs the same after a
// day on sale as after a minute: the seats, the held holds (holds_active), the confirmed
// orders (orders_section, at most one per sold seat) and the idempotency records younger
// than the window (idempotency_keys_section). Finished holds, cancelled orders and older
// records stay in the store, where the section's Client looks them up.
const (
	// It also records the new owner ($3) and reads the previous one and whether the
	// previous activation handed the section over (see migration 00014): the SET clause
	// reads the row as locked, so a concurrent activation cannot mix them up.
	activateBumpSQL = `
UPDATE sections AS s SET epoch = s.epoch + 1, owner = $3, prev_owner = s.owner
FROM events AS e
WHERE s.event_id = $1 AND s.id = $2 AND e.id = s.event_id
RETURNING s.epoch, s.version, s.name, s.kind, s.price_cents, s.capacity, s.held, s.sold,
	e.currency, e.max_tickets_per_user, (SELECT count(*) FROM sections WHERE event_id = $1), now(), s.attempt_seq,
	s.attempt_digest, s.chain, s.prev_owner, s.epoch > 1 AND s.handed_over_epoch <> s.epoch - 1`

	// handOverSQL records a clean stop of the activation of epoch $3; nothing when a later
	// activation bumped the epoch since.
	handOverSQL = `UPDATE sections SET handed_over_epoch = $3 WHERE event_id = $1 AND id = $2 AND epoch = $3`

	activateSeatsSQL = `
SELECT id, row_label, row_index, number, accessible, status, coalesce(hold_id, ''), coalesce(order_id, '')
FROM seats WHERE event_id = $1 AND section_id = $2
ORDER BY row_index, number`

	activateHoldsSQL = `SELECT ` + HoldColumns + `
FROM holds WHERE event_id = $1 AND section_id = $2 AND status = 'held'
ORDER BY created_at, id`

	activateOrdersSQL = `SELECT ` + OrderColumns + `
FROM orders WHERE event_id = $1 AND section_id = $2 AND status = 'confirmed'
ORDER BY created_at, id`

	// $3 is the window in microseconds.
	activateKeysSQL = `
SELECT user_id, key, event_id, section_id, request_hash, response, created_at
FROM idempotency_keys
WHERE event_id = $1 AND section_id = $2 AND created_at > now() - $3::bigint * interval '1 microsecond'
ORDER BY created_at`
)

// Activate bumps the section's epoch, recording owner as its owner, and loads what its
// decisions need now (see actors.Snapshot), with the idempotency records younger than
// keysWithin, in one transaction and one round trip for the statements (plus the
// commit). It returns an error wrapping actors.ErrNotFound when the section does not
// exist.
func (s *Store) Activate(ctx context.Context, key actors.SectionKey, owner string, keysWithin time.Duration) (*actors.Snapshot, error) {
	op := "activate section " + key.Identity()
	snap := &actors.Snapshot{Key: key}
	found := false

	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(activateBumpSQL, key.EventID, key.SectionID, owner).QueryRow(func(row pgx.Row) error {
		var kind string
		err := row.Scan(&snap.Epoch, &snap.Version, &snap.Name, &kind, &snap.PriceCents, &snap.Capacity,
			&snap.Held, &snap.Sold, &snap.Currency, &snap.MaxTicketsPerUser, &snap.EventSections, &snap.DBNow, &snap.AttemptSeq,
			&snap.AttemptDigest, &snap.Chain, &snap.PrevOwner, &snap.Orphaned)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		snap.Kind = actors.SectionKind(kind)
		snap.DBNow = snap.DBNow.UTC()
		return nil
	})
	b.Queue(activateSeatsSQL, key.EventID, key.SectionID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var st actors.Seat
			var status string
			if err := rows.Scan(&st.ID, &st.Row, &st.RowIndex, &st.Number, &st.Accessible, &status, &st.HoldID, &st.OrderID); err != nil {
				return err
			}
			st.Status = actors.SeatStatus(status)
			snap.Seats = append(snap.Seats, st)
		}
		return rows.Err()
	})
	b.Queue(activateHoldsSQL, key.EventID, key.SectionID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			h, err := ScanHold(rows)
			if err != nil {
				return err
			}
			snap.Holds = append(snap.Holds, h)
		}
		return rows.Err()
	})
	b.Queue(activateOrdersSQL, key.EventID, key.SectionID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			o, err := ScanOrder(rows)
			if err != nil {
				return err
			}
			snap.Orders = append(snap.Orders, o)
		}
		return rows.Err()
	})
	b.Queue(activateKeysSQL, key.EventID, key.SectionID, keysWithin.Microseconds()).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var r actors.IdempotencyRecord
			if err := rows.Scan(&r.UserID, &r.Key, &r.EventID, &r.SectionID, &r.RequestHash, &r.Response, &r.CreatedAt); err != nil {
				return err
			}
			r.CreatedAt = r.CreatedAt.UTC()
			snap.Idempotency = append(snap.Idempotency, r)
		}
		return rows.Err()
	})

	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit; releases the connection otherwise
	if err := br.Close(); err != nil {
		return nil, classify(op, err)
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", op, actors.ErrNotFound)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, classify(op+": commit", err)
	}
	return snap, nil
}

// HandOver records that the section's activation of epoch stopped cleanly, so that the
// next activation does not count a takeover. It does nothing when a later activation
// exists.
func (s *Store) HandOver(ctx context.Context, key actors.SectionKey, epoch int64) error {
	if _, err := s.pool.Exec(ctx, handOverSQL, key.EventID, key.SectionID, epoch); err != nil {
		return classify("hand over section "+key.Identity(), err)
	}
	return nil
}

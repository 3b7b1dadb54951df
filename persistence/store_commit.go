package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The statements of a group commit. Each multi-row write takes whole columns as arrays
// and unnests them, so a batch of hundreds of decisions is still one statement per
// table. The fence comes first and takes the section row's lock for the rest.
const (
	commitFenceSQL = `
UPDATE sections SET version = version + 1, held = $5, sold = $6, next_expiry = $7, attempt_seq = $8,
	attempt_digest = $9, chain = $10
WHERE event_id = $1 AND id = $2 AND epoch = $3 AND version = $4`

	commitChainSQL = `
INSERT INTO section_chain (event_id, section_id, version, attempt_seq, attempt_digest, chain)
VALUES ($1, $2, $3, $4, $5, $6)`

	// A batch of refusals only moves the attempt number, under the same fence.
	commitRecordFenceSQL = `
UPDATE sections SET attempt_seq = $5, attempt_digest = $6
WHERE event_id = $1 AND id = $2 AND epoch = $3 AND version = $4`

	// A batch of attempts alone with no attempts only confirms the fence: a section
	// that does not record attempts sends one before answering refusals. The read sees
	// the rows as committed when it starts, after the refusals were decided: while the
	// epoch and version there are the batch's, no newer activation has changed a seat.
	commitConfirmSQL = `
SELECT 1 FROM sections WHERE event_id = $1 AND id = $2 AND epoch = $3 AND version = $4`

	commitAttemptsSQL = `
INSERT INTO attempts (event_id, section_id, seq, at, version, user_id, action, seats, ref, code, cause_seq, kind, command, received_at)
SELECT $1, $2, c.seq, c.at, c.version, c.user_id, c.action, string_to_array(c.seats, ','), c.ref, c.code, c.cause_seq, c.kind, c.command,
	c.received_at
FROM unnest($3::bigint[], $4::timestamptz[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
	$11::bigint[], $12::text[], $13::bytea[], $14::timestamptz[])
	AS c(seq, at, version, user_id, action, seats, ref, code, cause_seq, kind, command, received_at)`

	// A user's count is locked for the rest of the batch, in user order (the batch's
	// changes are sorted), so batches of different sections that share users wait for
	// each other instead of deadlocking; the count read under the lock is the committed
	// one, and the batch is refused when a positive change would take it past the limit.
	// The insert makes every row exist first: a row being inserted by another batch is
	// waited for, in the same order.
	commitUserRowsSQL = `
INSERT INTO user_tickets (event_id, user_id)
SELECT $1, u FROM unnest($2::text[]) AS u ORDER BY u
ON CONFLICT (event_id, user_id) DO NOTHING`

	commitUserLockSQL = `
SELECT user_id, tickets FROM user_tickets
WHERE event_id = $1 AND user_id = ANY($2::text[])
ORDER BY user_id
FOR UPDATE`

	// The limit is checked again in the update itself, as a last net: a row it skips
	// fails the batch.
	commitUserTicketsSQL = `
UPDATE user_tickets AS t SET tickets = greatest(0, t.tickets + c.delta)
FROM unnest($2::text[], $3::int[]) AS c(user_id, delta)
WHERE t.event_id = $1 AND t.user_id = c.user_id AND (c.delta <= 0 OR t.tickets + c.delta <= $4)`

	commitSeatsSQL = `
UPDATE seats AS s
SET status = c.status, hold_id = NULLIF(c.hold_id, ''), order_id = NULLIF(c.order_id, ''),
	version = s.version + 1
FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS c(id, status, hold_id, order_id)
WHERE s.event_id = $1 AND s.section_id = $2 AND s.id = c.id`

	// Seat lists differ in length from hold to hold, so each travels as a JSON array.
	commitHoldsSQL = `
INSERT INTO holds (id, event_id, section_id, user_id, seats, quantity, status,
	expires_at, created_at, updated_at, order_id)
SELECT c.id, $1, $2, c.user_id,
	ARRAY(SELECT e.v FROM jsonb_array_elements_text(c.seats::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY e.n),
	c.quantity, c.status, c.expires_at, c.created_at, c.updated_at, NULLIF(c.order_id, '')
FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
	$8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[])
	AS c(id, user_id, seats, quantity, status, expires_at, created_at, updated_at, order_id)
ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, expires_at = EXCLUDED.expires_at,
	updated_at = EXCLUDED.updated_at, order_id = EXCLUDED.order_id,
	seats = EXCLUDED.seats, quantity = EXCLUDED.quantity
WHERE holds.event_id = EXCLUDED.event_id AND holds.section_id = EXCLUDED.section_id`

	commitOrdersSQL = `
INSERT INTO orders (id, hold_id, event_id, section_id, user_id, seats, quantity, status,
	total_cents, currency, created_at, updated_at)
SELECT c.id, c.hold_id, $1, $2, c.user_id,
	ARRAY(SELECT e.v FROM jsonb_array_elements_text(c.seats::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY e.n),
	c.quantity, c.status, c.total_cents, c.currency, c.created_at, c.updated_at
FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[],
	$9::bigint[], $10::text[], $11::timestamptz[], $12::timestamptz[])
	AS c(id, hold_id, user_id, seats, quantity, status, total_cents, currency, created_at, updated_at)
ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at,
	seats = EXCLUDED.seats, quantity = EXCLUDED.quantity, total_cents = EXCLUDED.total_cents
WHERE orders.event_id = EXCLUDED.event_id AND orders.section_id = EXCLUDED.section_id`

	// Cancelling runs before selling so that a seat freed and resold in one batch is
	// not mistaken for a double sale.
	commitCancelTicketsSQL = `
UPDATE tickets SET status = 'cancelled' WHERE order_id = ANY($1::text[]) AND status = 'sold'`

	// The conflict target is the primary key only: a clash on tickets_one_sale_per_seat
	// must fail the batch, never be skipped.
	commitSellTicketsSQL = `
INSERT INTO tickets (order_id, event_id, section_id, seat_id, status)
SELECT c.order_id, $1, $2, c.seat_id, 'sold'
FROM unnest($3::text[], $4::text[]) AS c(order_id, seat_id)
ON CONFLICT (order_id, seat_id) DO NOTHING`

	commitKeysSQL = `
INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bytea[])
ON CONFLICT (user_id, key) DO NOTHING`
)

// Commit writes one batch in one transaction: the begin, the fence and every write go to
// the server in one round trip, the COMMIT in a second (once the connection has prepared
// the statements). Its error says what became of the batch:
//   - wrapping actors.ErrFenced: the section's epoch or version moved on; nothing was
//     written;
//   - wrapping an *actors.LimitError (and actors.ErrRolledBack): the batch would take
//     users past the event's per-user limit, counted over all its sections; nothing was
//     written;
//   - wrapping actors.ErrRolledBack: the batch certainly did not commit, because it failed
//     before the COMMIT was sent (a statement failed, such as one wrapping ErrDoubleSale
//     when an order would sell a sold seat; the connection broke; ctx ended) or the server
//     answered the COMMIT with a rollback;
//   - wrapping actors.ErrCommitUnknown: the COMMIT was sent and no answer says how it
//     ended (ctx ended, the connection was lost, the server failed during the commit):
//     the batch may have committed.
//
// A batch of attempts alone that has no attempts writes nothing: it only confirms the
// fence, with one read (see confirmFence).
//
// The store's pool must come from Open, whose connections take the commit's encoded
// arrays (see encodedArray).
func (s *Store) Commit(ctx context.Context, b *actors.Batch) error {
	if b.RecordOnly && len(b.Attempts) == 0 {
		return s.confirmFence(ctx, b)
	}
	enc := getCommitEncoder()
	defer enc.release() // after the batch's results are read (deferred first, run last)
	pb, err := commitBatch(b, enc)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", commitOp(b), actors.ErrRolledBack, err)
	}
	br := s.pool.SendBatch(ctx, pb)
	tx := br.Tx()
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit; releases the connection otherwise
	if err := br.Close(); err != nil {
		if errors.Is(err, actors.ErrFenced) {
			return classify(commitOp(b), err)
		}
		return fmt.Errorf("%w: %w", actors.ErrRolledBack, classify(commitOp(b), err))
	}
	if err := tx.Commit(ctx); err != nil {
		return commitOutcome(commitOp(b)+": commit", err)
	}
	return nil
}

// confirmFence commits a batch that writes nothing: one read, outside a transaction,
// that fails wrapping actors.ErrFenced when the section's epoch or version moved on, and
// wrapping actors.ErrRolledBack when it could not be read (nothing was written either way).
func (s *Store) confirmFence(ctx context.Context, b *actors.Batch) error {
	var one int
	err := s.pool.QueryRow(ctx, commitConfirmSQL, b.Key.EventID, b.Key.SectionID, b.Epoch, b.Version).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%s: %w", commitOp(b), actors.ErrFenced)
	case err != nil:
		return fmt.Errorf("%w: %w", actors.ErrRolledBack, classify(commitOp(b), err))
	}
	return nil
}

// commitOp names a commit in its errors.
func commitOp(b *actors.Batch) string {
	return fmt.Sprintf("commit batch on %s at epoch %d version %d", b.Key.Identity(), b.Epoch, b.Version)
}

// commitOutcome classifies an error of the COMMIT itself: a rollback the server answered,
// or an error raised before anything was sent, left the batch unwritten; anything else
// leaves its outcome unknown.
func commitOutcome(op string, err error) error {
	if errors.Is(err, pgx.ErrTxCommitRollback) || pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", actors.ErrRolledBack, classify(op, err))
	}
	return fmt.Errorf("%w: %w", actors.ErrCommitUnknown, classify(op, err))
}

// commitBatch builds the statements that write b, their arrays written by e, with
// callbacks that fail the batch when the fence or a row count does not hold.
func commitBatch(b *actors.Batch, e *commitEncoder) (*pgx.Batch, error) {
	ev, sec := b.Key.EventID, b.Key.SectionID
	pb := &pgx.Batch{}
	pb.BeginTx(pgx.TxOptions{})
	fenced := func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() == 0 {
			return actors.ErrFenced
		}
		return nil
	}
	if b.RecordOnly {
		pb.Queue(commitRecordFenceSQL, ev, sec, b.Epoch, b.Version, b.LastSeq, bytesOrEmpty(b.Digest)).Exec(fenced)
		queueAttempts(pb, b, e)
		return pb, nil
	}
	pb.Queue(commitFenceSQL, ev, sec, b.Epoch, b.Version, b.Held, b.Sold, nullTime(b.NextExpiry), b.LastSeq,
		bytesOrEmpty(b.Digest), bytesOrEmpty(b.Chain)).Exec(fenced)
	pb.Queue(commitChainSQL, ev, sec, b.Version+1, b.LastSeq, bytesOrEmpty(b.Digest), bytesOrEmpty(b.Chain))
	queueAttempts(pb, b, e)

	if len(b.UserTickets) > 0 {
		if err := queueUserTickets(pb, b, e); err != nil {
			return nil, err
		}
	}

	if seats := lastByID(b.Seats, func(c *actors.SeatChange) string { return c.ID }, e.ids); len(seats) > 0 {
		e.queue(pb, commitSeatsSQL, ev, sec,
			texts(e, seats, func(c *actors.SeatChange) string { return c.ID }),
			texts(e, seats, func(c *actors.SeatChange) string { return string(c.Status) }),
			texts(e, seats, func(c *actors.SeatChange) string { return c.HoldID }),
			texts(e, seats, func(c *actors.SeatChange) string { return c.OrderID })).
			Exec(expectRows("seat", len(seats)))
	}

	if holds := lastByID(b.Holds, func(h *actors.Hold) string { return h.ID }, e.ids); len(holds) > 0 {
		quantities, err := int4s(e, holds, func(h *actors.Hold) int { return h.Quantity })
		if err != nil {
			return nil, fmt.Errorf("encode hold quantities: %w", err)
		}
		seats := seatLists(e, holds, func(h *actors.Hold) []string { return h.Seats })
		e.queue(pb, commitHoldsSQL, ev, sec,
			texts(e, holds, func(h *actors.Hold) string { return h.ID }),
			texts(e, holds, func(h *actors.Hold) string { return h.UserID }),
			seats, quantities,
			texts(e, holds, func(h *actors.Hold) string { return string(h.Status) }),
			times(e, holds, false, func(h *actors.Hold) time.Time { return h.ExpiresAt }),
			times(e, holds, false, func(h *actors.Hold) time.Time { return h.CreatedAt }),
			times(e, holds, false, func(h *actors.Hold) time.Time { return h.UpdatedAt }),
			texts(e, holds, func(h *actors.Hold) string { return h.OrderID })).
			Exec(expectRows("hold", len(holds)))
	}

	if orders := lastByID(b.Orders, func(o *actors.Order) string { return o.ID }, e.ids); len(orders) > 0 {
		if err := queueOrders(pb, ev, sec, orders, e); err != nil {
			return nil, err
		}
	}

	if keys := firstByID(b.Keys, func(r *actors.IdempotencyRecord) [2]string { return [2]string{r.UserID, r.Key} }, e.keyIDs); len(keys) > 0 {
		e.queue(pb, commitKeysSQL,
			texts(e, keys, func(r *actors.IdempotencyRecord) string { return r.UserID }),
			texts(e, keys, func(r *actors.IdempotencyRecord) string { return r.Key }),
			texts(e, keys, func(r *actors.IdempotencyRecord) string { return textOr(r.EventID, ev) }),
			texts(e, keys, func(r *actors.IdempotencyRecord) string { return textOr(r.SectionID, sec) }),
			bytesColumn(e, keys, func(r *actors.IdempotencyRecord) []byte { return r.RequestHash }),
			bytesColumn(e, keys, func(r *actors.IdempotencyRecord) []byte { return r.Response }))
	}

	if len(b.Outbox) > 0 {
		e.queue(pb, outboxInsertSQL,
			texts(e, b.Outbox, func(m *actors.OutboxMessage) string { return m.Topic }),
			texts(e, b.Outbox, func(m *actors.OutboxMessage) string { return m.Key }),
			bytesColumn(e, b.Outbox, func(m *actors.OutboxMessage) []byte { return m.Payload }))
	}
	return pb, nil
}

// queueOrders queues the batch's orders and the tickets they sell or cancel.
func queueOrders(pb *pgx.Batch, ev, sec string, orders []actors.Order, e *commitEncoder) error {
	quantities, err := int4s(e, orders, func(o *actors.Order) int { return o.Quantity })
	if err != nil {
		return fmt.Errorf("encode order quantities: %w", err)
	}
	seats := seatLists(e, orders, func(o *actors.Order) []string { return o.Seats })
	e.queue(pb, commitOrdersSQL, ev, sec,
		texts(e, orders, func(o *actors.Order) string { return o.ID }),
		texts(e, orders, func(o *actors.Order) string { return o.HoldID }),
		texts(e, orders, func(o *actors.Order) string { return o.UserID }),
		seats, quantities,
		texts(e, orders, func(o *actors.Order) string { return string(o.Status) }),
		int8s(e, orders, func(o *actors.Order) int64 { return o.TotalCents }),
		texts(e, orders, func(o *actors.Order) string { return o.Currency }),
		times(e, orders, false, func(o *actors.Order) time.Time { return o.CreatedAt }),
		times(e, orders, false, func(o *actors.Order) time.Time { return o.UpdatedAt })).
		Exec(expectRows("order", len(orders)))

	// Cancelled orders, then each seat a confirmed order sells (order id and seat id).
	cancelled := e.begin(pgtype.TextOID)
	n := 0
	for i := range orders {
		if orders[i].Status == actors.OrderCancelled {
			e.text(orders[i].ID)
			n++
		}
	}
	if n > 0 {
		e.queue(pb, commitCancelTicketsSQL, e.end(cancelled, n, pgtype.TextArrayOID, false))
	} else {
		e.buf = e.buf[:cancelled]
	}
	soldOrders, n := e.begin(pgtype.TextOID), 0
	for i := range orders {
		if orders[i].Status == actors.OrderConfirmed {
			for range orders[i].Seats {
				e.text(orders[i].ID)
				n++
			}
		}
	}
	if n == 0 {
		e.buf = e.buf[:soldOrders]
		return nil
	}
	orderIDs := e.end(soldOrders, n, pgtype.TextArrayOID, false)
	soldSeats := e.begin(pgtype.TextOID)
	for i := range orders {
		if orders[i].Status == actors.OrderConfirmed {
			for _, seat := range orders[i].Seats {
				e.text(seat)
			}
		}
	}
	e.queue(pb, commitSellTicketsSQL, ev, sec, orderIDs, e.end(soldSeats, n, pgtype.TextArrayOID, false))
	return nil
}

// queueAttempts queues the insert of the batch's attempts, if it has any.
func queueAttempts(pb *pgx.Batch, b *actors.Batch, e *commitEncoder) {
	n := len(b.Attempts)
	if n == 0 {
		return
	}
	at := b.Attempts
	start := e.begin(pgtype.TextOID)
	for i := range at {
		e.joined(at[i].Seats, ',')
	}
	seats := e.end(start, n, pgtype.TextArrayOID, false)
	e.queue(pb, commitAttemptsSQL, b.Key.EventID, b.Key.SectionID,
		int8s(e, at, func(a *actors.Attempt) int64 { return a.Seq }),
		times(e, at, false, func(a *actors.Attempt) time.Time { return a.At }),
		int8s(e, at, func(a *actors.Attempt) int64 { return a.Version }),
		texts(e, at, func(a *actors.Attempt) string { return a.UserID }),
		texts(e, at, func(a *actors.Attempt) string { return a.Action }),
		seats,
		texts(e, at, func(a *actors.Attempt) string { return a.Ref }),
		texts(e, at, func(a *actors.Attempt) string { return string(a.Code) }),
		int8s(e, at, func(a *actors.Attempt) int64 { return a.CauseSeq }),
		texts(e, at, func(a *actors.Attempt) string { return a.Kind }),
		bytesColumn(e, at, func(a *actors.Attempt) []byte { return a.Command }),
		times(e, at, true, func(a *actors.Attempt) time.Time { return a.ReceivedAt })). // null where unknown
		Exec(expectRows("attempt", n))
}

// queueUserTickets queues the per-user limit's statements: lock the counts of the
// batch's users, refuse the batch with an *actors.LimitError naming the users a positive
// change would take past the limit (with their committed counts), move the counts.
func queueUserTickets(pb *pgx.Batch, b *actors.Batch, e *commitEncoder) error {
	n := len(b.UserTickets)
	users := texts(e, b.UserTickets, func(c *actors.UserTicketChange) string { return c.UserID })
	deltas, err := int4s(e, b.UserTickets, func(c *actors.UserTicketChange) int { return c.Delta })
	if err != nil {
		return fmt.Errorf("encode user ticket changes: %w", err)
	}
	e.queue(pb, commitUserRowsSQL, b.Key.EventID, users)
	e.queue(pb, commitUserLockSQL, b.Key.EventID, users).Query(func(rows pgx.Rows) error {
		counts := make(map[string]int, n)
		for rows.Next() {
			var user string
			var tickets int
			if err := rows.Scan(&user, &tickets); err != nil {
				return err
			}
			counts[user] = tickets
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var over *actors.LimitError
		for _, c := range b.UserTickets {
			if have := counts[c.UserID]; c.Delta > 0 && have+c.Delta > b.MaxTicketsPerUser {
				if over == nil {
					over = &actors.LimitError{Totals: make(map[string]int)}
				}
				over.Totals[c.UserID] = have
			}
		}
		if over != nil {
			return over
		}
		return nil
	})
	e.queue(pb, commitUserTicketsSQL, b.Key.EventID, users, deltas, b.MaxTicketsPerUser).Exec(expectRows("user ticket count", n))
	return nil
}

// expectRows fails the batch unless a statement touched exactly want rows: a seat the
// section does not have, or a hold or order id taken by another section, is a bug above
// that must not half-commit.
func expectRows(what string, want int) func(pgconn.CommandTag) error {
	return func(ct pgconn.CommandTag) error {
		if got := ct.RowsAffected(); got != int64(want) {
			return fmt.Errorf("%s rows: wrote %d of %d (unknown %s or one of another section)", what, got, want, what)
		}
		return nil
	}
}

// lastByID keeps one item per id, the last one: a batch may change a seat, hold or order
// more than once, and one statement may touch a row only once. It returns items itself
// when no id repeats; seen is scratch room, cleared first.
func lastByID[T any, K comparable](items []T, id func(*T) K, seen map[K]int) []T {
	if len(items) < 2 || !repeats(items, id, seen) {
		return items
	}
	clear(seen)
	out := make([]T, 0, len(items))
	for i := range items {
		k := id(&items[i])
		if at, ok := seen[k]; ok {
			out[at] = items[i]
			continue
		}
		seen[k] = len(out)
		out = append(out, items[i])
	}
	return out
}

// firstByID keeps one item per id, the first one: the first answer to an idempotency
// key is the one that stands. It returns items itself when no id repeats; seen is
// scratch room, cleared first.
func firstByID[T any, K comparable](items []T, id func(*T) K, seen map[K]int) []T {
	if len(items) < 2 || !repeats(items, id, seen) {
		return items
	}
	clear(seen)
	out := make([]T, 0, len(items))
	for i := range items {
		k := id(&items[i])
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = len(out)
		out = append(out, items[i])
	}
	return out
}

// repeats reports whether two of items have the same id, using seen (cleared first).
func repeats[T any, K comparable](items []T, id func(*T) K, seen map[K]int) bool {
	clear(seen)
	for i := range items {
		k := id(&items[i])
		if _, ok := seen[k]; ok {
			return true
		}
		seen[k] = i
	}
	return false
}

// nullTime returns t, or nil (SQL NULL) for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// bytesOrEmpty returns b, or an empty slice for nil so that it is stored empty, not NULL.
func bytesOrEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// textOr returns s, or d when s is empty.
func textOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

package persistence

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Release gives a held hold's seats back. A hold found past its expiry is expired
// instead and the answer is HOLD_EXPIRED.
func (s *LockStrategy) Release(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	var out actors.Hold
	var refusal error // returned after the transaction commits
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		h, past, err := lockHoldForUpdate(ctx, tx, holdID, userID)
		if err != nil {
			return err
		}
		if past {
			refusal = actors.ErrHoldExpired
			_, err := s.freeHolds(ctx, tx, lockKeyOf(h), []actors.Hold{h}, actors.HoldExpired, actors.ReasonExpired)
			return err
		}
		freed, err := s.freeHolds(ctx, tx, lockKeyOf(h), []actors.Hold{h}, actors.HoldReleased, actors.ReasonReleased)
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
		return actors.Hold{}, lockFail("release", err)
	}
	return out, nil
}

// Extend moves a held hold's expiry to HoldTTL from now, but never past 3 × HoldTTL
// after the hold was created.
func (s *LockStrategy) Extend(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	var out actors.Hold
	var refusal error
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		h, past, err := lockHoldForUpdate(ctx, tx, holdID, userID)
		if err != nil {
			return err
		}
		if past {
			refusal = actors.ErrHoldExpired
			_, err := s.freeHolds(ctx, tx, lockKeyOf(h), []actors.Hold{h}, actors.HoldExpired, actors.ReasonExpired)
			return err
		}
		ttl := s.holdTTL.Microseconds()
		out, err = lockScanHold(tx.QueryRow(ctx, `
			UPDATE holds SET updated_at = now(), expires_at = GREATEST(expires_at,
				LEAST(now() + $2::bigint * interval '1 microsecond', created_at + 3 * $2::bigint * interval '1 microsecond'))
			WHERE id = $1 RETURNING `+lockHoldCols, h.ID, ttl))
		if err != nil {
			return fmt.Errorf("extend hold %s: %w", h.ID, err)
		}
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return actors.Hold{}, lockFail("extend", err)
	}
	return out, nil
}

// Confirm charges the payment token and turns a held hold into an order. A declined
// payment leaves the hold held and answers PAYMENT_DECLINED; a hold past its expiry is
// expired and answers HOLD_EXPIRED. With an idempotency key, a retry of the same
// request returns the first order.
func (s *LockStrategy) Confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error) {
	o, err := s.confirm(ctx, r)
	if errors.Is(err, errLockIdempotencyRace) {
		var ok bool
		if o, ok, err = s.replayOrder(ctx, r.UserID, r.IdempotencyKey, r.Hash()); !ok && err == nil {
			err = actors.Unavailable("idempotency key in use by a concurrent request; retry")
		}
	}
	if err != nil {
		return actors.Order{}, lockFail("confirm", err)
	}
	return o, nil
}

func (s *LockStrategy) confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error) {
	switch {
	case r.HoldID == "":
		return actors.Order{}, actors.Invalid("hold_id", "required")
	case r.UserID == "":
		return actors.Order{}, actors.Invalid("user_id", "required")
	case r.PaymentToken == "":
		return actors.Order{}, actors.Invalid("payment_token", "required")
	}
	if r.IdempotencyKey != "" {
		if o, ok, err := s.replayOrder(ctx, r.UserID, r.IdempotencyKey, r.Hash()); ok || err != nil {
			return o, err
		}
	}
	var order actors.Order
	var refusal error
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		h, past, err := lockHoldForUpdate(ctx, tx, r.HoldID, r.UserID)
		if err != nil {
			return err
		}
		key := lockKeyOf(h)
		if past {
			refusal = actors.ErrHoldExpired
			_, err := s.freeHolds(ctx, tx, key, []actors.Hold{h}, actors.HoldExpired, actors.ReasonExpired)
			return err
		}
		sec, err := lockQuerySection(ctx, tx, key)
		if err != nil {
			return err
		}
		total := sec.priceCents * int64(h.Quantity)
		if err := s.payments.Charge(ctx, r.PaymentToken, total, sec.currency); err != nil {
			if !errors.Is(err, actors.ErrPaymentDeclined) {
				return fmt.Errorf("charge: %w", err)
			}
			refusal = err
			return s.writeOutbox(ctx, tx, key, lockEvent{actors.TypePaymentProcessed, actors.PaymentProcessed{
				HoldID: h.ID, UserID: h.UserID, AmountCents: total, Currency: sec.currency, Status: "declined",
			}})
		}
		order, err = s.sell(ctx, tx, h, total, sec.currency)
		if err != nil {
			return err
		}
		if r.IdempotencyKey != "" {
			return lockSaveReply(ctx, tx, r.UserID, r.IdempotencyKey, key, r.Hash(), actors.OrderReply(order))
		}
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return actors.Order{}, err
	}
	return order, nil
}

// sell writes the order for a paid hold: order and ticket rows, seats sold, the hold
// confirmed, counters moved from held to sold, BookingCreated and PaymentProcessed.
func (s *LockStrategy) sell(ctx context.Context, tx pgx.Tx, h actors.Hold, total int64, currency string) (actors.Order, error) {
	key := lockKeyOf(h)
	o := actors.Order{
		ID: actors.NewID("o_"), HoldID: h.ID, EventID: h.EventID, SectionID: h.SectionID, UserID: h.UserID,
		Seats: h.Seats, Quantity: h.Quantity, Status: actors.OrderConfirmed, TotalCents: total, Currency: currency,
	}
	err := tx.QueryRow(ctx, `
		INSERT INTO orders (id, hold_id, event_id, section_id, user_id, seats, quantity, status, total_cents, currency, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'confirmed', $8, $9, now(), now())
		RETURNING created_at, updated_at`,
		o.ID, o.HoldID, o.EventID, o.SectionID, o.UserID, o.Seats, o.Quantity, o.TotalCents, o.Currency,
	).Scan(&o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return actors.Order{}, fmt.Errorf("insert order: %w", err)
	}
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if len(h.Seats) > 0 {
		ordered := slices.Sorted(slices.Values(h.Seats))
		if _, err := lockSeatRows(ctx, tx, key, ordered); err != nil {
			return actors.Order{}, err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE seats SET status = 'sold', order_id = $5
			WHERE event_id = $1 AND section_id = $2 AND id = ANY($3) AND hold_id = $4 AND status = 'held'`,
			key.EventID, key.SectionID, ordered, h.ID, o.ID)
		if err != nil {
			return actors.Order{}, fmt.Errorf("sell seats of %s: %w", key, err)
		}
		if int(tag.RowsAffected()) != len(ordered) {
			return actors.Order{}, fmt.Errorf("sell seats of %s: %d of %d seats were held by hold %s", key, tag.RowsAffected(), len(ordered), h.ID)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO tickets (order_id, event_id, section_id, seat_id, status)
			SELECT $1, $2, $3, seat, 'sold' FROM unnest($4::text[]) AS seat`,
			o.ID, key.EventID, key.SectionID, ordered); err != nil {
			return actors.Order{}, fmt.Errorf("insert tickets of %s: %w", o.ID, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE holds SET status = 'confirmed', order_id = $2, updated_at = now() WHERE id = $1`,
		h.ID, o.ID); err != nil {
		return actors.Order{}, fmt.Errorf("confirm hold %s: %w", h.ID, err)
	}
	version, err := s.bumpSection(ctx, tx, key, -h.Quantity, h.Quantity, -1, h.Seats, actors.SeatSold)
	if err != nil {
		return actors.Order{}, err
	}
	err = s.writeOutbox(ctx, tx, key,
		lockEvent{actors.TypeBookingCreated, actors.BookingCreated{
			OrderID: o.ID, HoldID: h.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity,
			TotalCents: total, Currency: currency, SectionVersion: version,
		}},
		lockEvent{actors.TypePaymentProcessed, actors.PaymentProcessed{
			HoldID: h.ID, OrderID: o.ID, UserID: o.UserID, AmountCents: total, Currency: currency, Status: "approved",
		}})
	if err != nil {
		return actors.Order{}, err
	}
	return o, nil
}

// Cancel cancels a confirmed order (the owner's, or any for an admin): its tickets are
// cancelled and its seats become available again.
func (s *LockStrategy) Cancel(ctx context.Context, orderID, userID string, admin bool) (actors.Order, error) {
	var out actors.Order
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		o, err := lockOrderForUpdate(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if !admin && o.UserID != userID {
			return actors.ErrForbidden
		}
		if o.Status != actors.OrderConfirmed {
			return &actors.Error{Code: actors.CodeHoldNotActive, Message: "order already cancelled"}
		}
		key := actors.SectionKey{EventID: o.EventID, SectionID: o.SectionID}
		if len(o.Seats) > 0 {
			ordered := slices.Sorted(slices.Values(o.Seats))
			if _, err := lockSeatRows(ctx, tx, key, ordered); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `
				UPDATE seats SET status = 'available', hold_id = NULL, order_id = NULL
				WHERE event_id = $1 AND section_id = $2 AND id = ANY($3) AND order_id = $4 AND status = 'sold'`,
				key.EventID, key.SectionID, ordered, o.ID)
			if err != nil {
				return fmt.Errorf("free seats of %s: %w", key, err)
			}
			if int(tag.RowsAffected()) != len(ordered) {
				return fmt.Errorf("free seats of %s: %d of %d seats were sold to order %s", key, tag.RowsAffected(), len(ordered), o.ID)
			}
			if _, err := tx.Exec(ctx, `UPDATE tickets SET status = 'cancelled' WHERE order_id = $1 AND status = 'sold'`, o.ID); err != nil {
				return fmt.Errorf("cancel tickets of %s: %w", o.ID, err)
			}
		}
		if err := tx.QueryRow(ctx, `UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = $1 RETURNING updated_at`,
			o.ID).Scan(&o.UpdatedAt); err != nil {
			return fmt.Errorf("cancel order %s: %w", o.ID, err)
		}
		o.UpdatedAt = o.UpdatedAt.UTC()
		o.Status = actors.OrderCancelled
		version, err := s.bumpSection(ctx, tx, key, 0, -o.Quantity, -1, o.Seats, actors.SeatAvailable)
		if err != nil {
			return err
		}
		out = o
		return s.writeOutbox(ctx, tx, key,
			lockEvent{actors.TypeBookingCancelled, actors.BookingCancelled{
				OrderID: o.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity, SectionVersion: version,
			}},
			lockEvent{actors.TypeSeatReleased, actors.SeatReleased{
				HoldID: o.HoldID, OrderID: o.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity,
				Reason: actors.ReasonCancelled, SectionVersion: version,
			}})
	})
	if err != nil {
		return actors.Order{}, lockFail("cancel", err)
	}
	return out, nil
}

// lockHoldForUpdate locks a hold row and checks that userID may act on it and that it
// is held. past reports a held hold whose expiry has passed by the database clock.
func lockHoldForUpdate(ctx context.Context, tx pgx.Tx, holdID, userID string) (h actors.Hold, past bool, err error) {
	h, err = lockScanHold(tx.QueryRow(ctx,
		`SELECT `+lockHoldCols+`, expires_at <= now() FROM holds WHERE id = $1 FOR UPDATE`, holdID), &past)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, false, &actors.Error{Code: actors.CodeNotFound, Message: "hold not found"}
	}
	if err != nil {
		return h, false, fmt.Errorf("lock hold %s: %w", holdID, err)
	}
	if h.UserID != userID {
		return h, false, actors.ErrForbidden
	}
	switch h.Status {
	case actors.HoldHeld:
		return h, past, nil
	case actors.HoldExpired:
		return h, false, actors.ErrHoldExpired
	default:
		return h, false, &actors.Error{Code: actors.CodeHoldNotActive, Message: "hold already " + string(h.Status)}
	}
}

// lockOrderForUpdate locks an order row and reads it.
func lockOrderForUpdate(ctx context.Context, tx pgx.Tx, orderID string) (actors.Order, error) {
	var o actors.Order
	var status string
	err := tx.QueryRow(ctx, `
		SELECT id, hold_id, event_id, section_id, user_id, seats, quantity, status, total_cents, currency, created_at, updated_at
		FROM orders WHERE id = $1 FOR UPDATE`, orderID,
	).Scan(&o.ID, &o.HoldID, &o.EventID, &o.SectionID, &o.UserID, &o.Seats, &o.Quantity, &status,
		&o.TotalCents, &o.Currency, &o.CreatedAt, &o.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, &actors.Error{Code: actors.CodeNotFound, Message: "order not found"}
	}
	if err != nil {
		return o, fmt.Errorf("lock order %s: %w", orderID, err)
	}
	o.Status = actors.OrderStatus(status)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if o.Seats == nil {
		o.Seats = []string{}
	}
	return o, nil
}

func lockKeyOf(h actors.Hold) actors.SectionKey {
	return actors.SectionKey{EventID: h.EventID, SectionID: h.SectionID}
}

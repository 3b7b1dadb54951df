package classic

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Confirm charges the payment token and turns a held hold into an order. A declined
// payment leaves the hold held and answers PAYMENT_DECLINED; a hold past its expiry is
// expired and answers HOLD_EXPIRED. With an idempotency key, a retry of the same
// request returns the first order.
func (s *Lock) Confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error) {
	o, err := s.confirm(ctx, r)
	if errors.Is(err, errIdempotencyRace) {
		var ok bool
		if o, ok, err = replayOrder(ctx, s.pool, r.UserID, r.IdempotencyKey, r.Hash()); !ok && err == nil {
			err = actors.Unavailable("idempotency key in use by a concurrent request; retry")
		}
	}
	if err != nil {
		return actors.Order{}, fail("confirm", err)
	}
	return o, nil
}

func (s *Lock) confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error) {
	switch {
	case r.HoldID == "":
		return actors.Order{}, actors.Invalid("hold_id", "required")
	case r.UserID == "":
		return actors.Order{}, actors.Invalid("user_id", "required")
	case r.PaymentToken == "":
		return actors.Order{}, actors.Invalid("payment_token", "required")
	}
	if r.IdempotencyKey != "" {
		if o, ok, err := replayOrder(ctx, s.pool, r.UserID, r.IdempotencyKey, r.Hash()); ok || err != nil {
			return o, err
		}
	}
	var order actors.Order
	var refusal error
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		h, past, err := holdForUpdate(ctx, tx, r.HoldID, r.UserID)
		if err != nil {
			return err
		}
		key := sectionOf(h)
		if past {
			refusal = actors.ErrHoldExpired
			_, err := s.freeHolds(ctx, tx, key, []actors.Hold{h}, actors.HoldExpired, actors.ReasonExpired)
			return err
		}
		sec, err := querySection(ctx, tx, key)
		if err != nil {
			return err
		}
		total := sec.priceCents * int64(h.Quantity)
		if err := s.payments.Charge(ctx, r.PaymentToken, total, sec.currency); err != nil {
			if !errors.Is(err, actors.ErrPaymentDeclined) {
				return fmt.Errorf("charge: %w", err)
			}
			refusal = err
			return writeOutbox(ctx, tx, s.now(), key, event{actors.TypePaymentProcessed, actors.PaymentProcessed{
				HoldID: h.ID, UserID: h.UserID, AmountCents: total, Currency: sec.currency, Status: "declined",
			}})
		}
		order, err = s.sell(ctx, tx, h, total, sec.currency)
		if err != nil {
			return err
		}
		if r.IdempotencyKey != "" {
			return saveReply(ctx, tx, r.UserID, r.IdempotencyKey, key, r.Hash(), actors.OrderReply(order))
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
func (s *Lock) sell(ctx context.Context, tx pgx.Tx, h actors.Hold, total int64, currency string) (actors.Order, error) {
	key := sectionOf(h)
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
		if _, err := seatRowsForUpdate(ctx, tx, key, ordered); err != nil {
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
	err = writeOutbox(ctx, tx, s.now(), key,
		event{actors.TypeBookingCreated, actors.BookingCreated{
			OrderID: o.ID, HoldID: h.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity,
			TotalCents: total, Currency: currency, SectionVersion: version,
		}},
		event{actors.TypePaymentProcessed, actors.PaymentProcessed{
			HoldID: h.ID, OrderID: o.ID, UserID: o.UserID, AmountCents: total, Currency: currency, Status: "approved",
		}})
	if err != nil {
		return actors.Order{}, err
	}
	return o, nil
}

package classic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Confirm charges the payment token and turns a held hold into an order. A declined
// payment leaves the hold held and answers PAYMENT_DECLINED; a hold past its expiry is
// expired and answers HOLD_EXPIRED. With an idempotency key, a retry of the same
// request returns the first order.
func (e *engine) Confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error) {
	ctx = e.traced(ctx, "confirm", r.UserID, "", "")
	o, err := e.confirm(ctx, r)
	if errors.Is(err, errIdempotencyRace) {
		o, err = raceLost(ctx, e.pool, r.UserID, r.IdempotencyKey, func(s storedReply) (actors.Order, error) { return s.order(r.Hash()) })
	}
	if err != nil {
		return actors.Order{}, e.fail("confirm", err)
	}
	return o, nil
}

func (e *engine) confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error) {
	switch {
	case r.HoldID == "":
		return actors.Order{}, actors.Invalid("hold_id", "required")
	case r.UserID == "":
		return actors.Order{}, actors.Invalid("user_id", "required")
	case r.PaymentToken == "":
		return actors.Order{}, actors.Invalid("payment_token", "required")
	}
	var (
		stored  storedReply
		l       lockedHold
		order   actors.Order
		refusal error
		j       *journal
	)
	err := runTx(ctx, e.pool, func(b *pgx.Batch) {
		if r.IdempotencyKey != "" {
			queueReplay(b, r.UserID, r.IdempotencyKey, &stored)
		}
		queueHoldForUpdate(b, r.HoldID, &l)
	}, func(tx pgx.Tx) error {
		refusal, j = nil, nil
		if stored.found {
			return errReplayed
		}
		past, err := l.usable(r.UserID)
		if err != nil {
			return err
		}
		h := l.hold
		if past {
			refusal = actors.ErrHoldExpired
			_, j, err = e.freeHolds(ctx, tx, []actors.Hold{h}, actors.HoldExpired, actors.ReasonExpired, l.now)
			return err
		}
		sec, err := e.sections.meta(ctx, sectionOf(h))
		if err != nil {
			return err
		}
		total := sec.priceCents * int64(h.Quantity)
		if err := e.payments.Charge(ctx, r.PaymentToken, total, sec.currency); err != nil {
			if !errors.Is(err, actors.ErrPaymentDeclined) {
				return fmt.Errorf("charge: %w", err)
			}
			refusal = err
			j = newJournal(sec, e.now())
			j.add(actors.TypePaymentProcessed, actors.PaymentProcessed{
				HoldID: h.ID, UserID: h.UserID, AmountCents: total, Currency: sec.currency, Status: "declined",
			})
			b := &pgx.Batch{}
			if err := j.queue(b); err != nil {
				return err
			}
			return send(ctx, tx, b)
		}
		order, j, err = e.sell(ctx, tx, sec, h, total, l.now, r)
		return err
	})
	if errors.Is(err, errReplayed) {
		return stored.order(r.Hash())
	}
	if err == nil {
		e.committed(j)
		err = refusal
	}
	if err != nil {
		return actors.Order{}, err
	}
	return order, nil
}

// sell writes the order for a paid hold, whose row the caller has locked: order and
// ticket rows, seats sold, the hold confirmed, held counted as sold, BookingCreated and
// PaymentProcessed, and the stored answer for the request's idempotency key.
func (e *engine) sell(ctx context.Context, tx pgx.Tx, sec sectionMeta, h actors.Hold, total int64, now time.Time, r actors.ConfirmRequest) (actors.Order, *journal, error) {
	key := sec.key
	o := actors.Order{
		ID: actors.NewID("o_"), HoldID: h.ID, EventID: h.EventID, SectionID: h.SectionID, UserID: h.UserID,
		Seats: h.Seats, Quantity: h.Quantity, Status: actors.OrderConfirmed, TotalCents: total, Currency: sec.currency,
		CreatedAt: now, UpdatedAt: now,
	}
	b := &pgx.Batch{}
	b.Queue(`
		INSERT INTO orders (id, hold_id, event_id, section_id, user_id, seats, quantity, status, total_cents, currency, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'confirmed', $8, $9, $10, $10)`,
		o.ID, o.HoldID, o.EventID, o.SectionID, o.UserID, o.Seats, o.Quantity, o.TotalCents, o.Currency, now)
	ordered := slices.Sorted(slices.Values(h.Seats))
	if len(ordered) > 0 {
		queueSeats(b, key, ordered, true, map[string]seatRow{})
		b.Queue(`
			UPDATE seats AS s SET status = 'sold', order_id = $5, version = s.version + 1
			FROM `+seatKeys+`
			WHERE `+seatKeyJoin+` AND s.hold_id = $4 AND s.status = 'held'`,
			key.EventID, key.SectionID, ordered, h.ID, o.ID).
			Exec(expectRows(fmt.Sprintf("sell seats of %s held by %s", key, h.ID), len(ordered)))
		b.Queue(`
			INSERT INTO tickets (order_id, event_id, section_id, seat_id, status)
			SELECT $1, $2, $3, seat, 'sold' FROM unnest($4::text[]) AS seat`,
			o.ID, key.EventID, key.SectionID, ordered)
	}
	b.Queue(`UPDATE holds SET status = 'confirmed', order_id = $2, updated_at = $3 WHERE id = $1`, h.ID, o.ID, now).
		Exec(expectRows("confirm hold "+h.ID, 1))
	if r.IdempotencyKey != "" {
		queueSaveReply(b, r.UserID, r.IdempotencyKey, key, r.Hash(), actors.OrderReply(o))
	}
	j := newJournal(sec, e.now())
	j.change(ordered, actors.SeatSold, -h.Quantity, h.Quantity)
	j.add(actors.TypeBookingCreated, actors.BookingCreated{
		OrderID: o.ID, HoldID: h.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity,
		TotalCents: total, Currency: sec.currency,
	})
	j.add(actors.TypePaymentProcessed, actors.PaymentProcessed{
		HoldID: h.ID, OrderID: o.ID, UserID: o.UserID, AmountCents: total, Currency: sec.currency, Status: "approved",
	})
	if err := j.queue(b); err != nil {
		return actors.Order{}, nil, err
	}
	if err := send(ctx, tx, b); err != nil {
		return actors.Order{}, nil, err
	}
	if err := j.finish(ctx, tx); err != nil {
		return actors.Order{}, nil, err
	}
	return o, j, nil
}

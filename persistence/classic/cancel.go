package classic

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Cancel cancels a confirmed order (the owner's, or any for an admin): its tickets are
// cancelled and its seats become available again.
func (e *engine) Cancel(ctx context.Context, orderID, userID string, admin bool) (actors.Order, error) {
	ctx = e.traced(ctx, "cancel", userID, "", "")
	var (
		l   lockedOrder
		out actors.Order
		j   *journal
	)
	err := runTx(ctx, e.pool, func(b *pgx.Batch) {
		queueOrderForUpdate(b, orderID, &l)
	}, func(tx pgx.Tx) error {
		o := l.order
		switch {
		case !l.found:
			return &actors.Error{Code: actors.CodeNotFound, Message: "order not found"}
		case !admin && o.UserID != userID:
			return actors.ErrForbidden
		case o.Status != actors.OrderConfirmed:
			return &actors.Error{Code: actors.CodeHoldNotActive, Message: "order already cancelled"}
		}
		key := actors.SectionKey{EventID: o.EventID, SectionID: o.SectionID}
		sec, err := e.sections.meta(ctx, key)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		ordered := slices.Sorted(slices.Values(o.Seats))
		if len(ordered) > 0 {
			queueSeats(b, key, ordered, true, map[string]seatRow{})
			b.Queue(`
				UPDATE seats AS s SET status = 'available', hold_id = NULL, order_id = NULL, version = s.version + 1
				FROM `+seatKeys+`
				WHERE `+seatKeyJoin+` AND s.order_id = $4 AND s.status = 'sold'`,
				key.EventID, key.SectionID, ordered, o.ID).
				Exec(expectRows(fmt.Sprintf("free seats of %s sold to %s", key, o.ID), len(ordered)))
			b.Queue(`UPDATE tickets SET status = 'cancelled' WHERE order_id = $1 AND status = 'sold'`, o.ID)
		}
		b.Queue(`UPDATE orders SET status = 'cancelled', updated_at = $2 WHERE id = $1`, o.ID, l.now).
			Exec(expectRows("cancel order "+o.ID, 1))
		o.Status, o.UpdatedAt = actors.OrderCancelled, l.now
		j = newJournal(sec, e.now())
		j.change(ordered, actors.SeatAvailable, 0, -o.Quantity)
		j.add(actors.TypeBookingCancelled, actors.BookingCancelled{
			OrderID: o.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity,
		})
		j.add(actors.TypeSeatReleased, actors.SeatReleased{
			HoldID: o.HoldID, OrderID: o.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity,
			Reason: actors.ReasonCancelled,
		})
		if err := j.queue(b); err != nil {
			return err
		}
		if err := send(ctx, tx, b); err != nil {
			return err
		}
		out = o
		return j.finish(ctx, tx)
	})
	if err != nil {
		return actors.Order{}, e.fail("cancel", err)
	}
	e.committed(j)
	return out, nil
}

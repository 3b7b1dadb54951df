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
func (s *Lock) Cancel(ctx context.Context, orderID, userID string, admin bool) (actors.Order, error) {
	var out actors.Order
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		o, err := orderForUpdate(ctx, tx, orderID)
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
			if _, err := seatRowsForUpdate(ctx, tx, key, ordered); err != nil {
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
		return writeOutbox(ctx, tx, s.now(), key,
			event{actors.TypeBookingCancelled, actors.BookingCancelled{
				OrderID: o.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity, SectionVersion: version,
			}},
			event{actors.TypeSeatReleased, actors.SeatReleased{
				HoldID: o.HoldID, OrderID: o.ID, UserID: o.UserID, Seats: o.Seats, Quantity: o.Quantity,
				Reason: actors.ReasonCancelled, SectionVersion: version,
			}})
	})
	if err != nil {
		return actors.Order{}, fail("cancel", err)
	}
	return out, nil
}

package classic

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// seatRow is a locked seat's state.
type seatRow struct {
	status  actors.SeatStatus
	holdID  string
	orderID string
}

// seatRowsForUpdate locks the named seats FOR UPDATE in byte order (the order every
// transaction of the package uses) and returns their states by seat id.
func seatRowsForUpdate(ctx context.Context, tx pgx.Tx, key actors.SectionKey, seats []string) (map[string]seatRow, error) {
	rows, err := tx.Query(ctx, `
		SELECT id, status, COALESCE(hold_id, ''), COALESCE(order_id, '')
		FROM seats WHERE event_id = $1 AND section_id = $2 AND id = ANY($3)
		ORDER BY id COLLATE "C" FOR UPDATE`, key.EventID, key.SectionID, seats)
	if err != nil {
		return nil, fmt.Errorf("lock seats of %s: %w", key, err)
	}
	found := make(map[string]seatRow, len(seats))
	var r seatRow
	var id, status string
	_, err = pgx.ForEachRow(rows, []any{&id, &status, &r.holdID, &r.orderID}, func() error {
		r.status = actors.SeatStatus(status)
		found[id] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lock seats of %s: %w", key, err)
	}
	return found, nil
}

// holdForUpdate locks a hold row and checks that userID may act on it and that it is
// held. past reports a held hold whose expiry has passed by the database clock.
func holdForUpdate(ctx context.Context, tx pgx.Tx, holdID, userID string) (h actors.Hold, past bool, err error) {
	h, err = persistence.ScanHold(tx.QueryRow(ctx,
		`SELECT `+persistence.HoldColumns+`, expires_at <= now() FROM holds WHERE id = $1 FOR UPDATE`, holdID), &past)
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

// orderForUpdate locks an order row and reads it.
func orderForUpdate(ctx context.Context, tx pgx.Tx, orderID string) (actors.Order, error) {
	o, err := persistence.ScanOrder(tx.QueryRow(ctx,
		`SELECT `+persistence.OrderColumns+` FROM orders WHERE id = $1 FOR UPDATE`, orderID))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, &actors.Error{Code: actors.CodeNotFound, Message: "order not found"}
	}
	if err != nil {
		return o, fmt.Errorf("lock order %s: %w", orderID, err)
	}
	return o, nil
}

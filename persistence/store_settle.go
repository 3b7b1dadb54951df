package persistence

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The statements of OrderOfHold. Every batch of a section updates its section row first,
// so the share lock waits for a batch still in flight (one whose COMMIT was sent but not
// answered) to end; the read after it, with a fresh snapshot, sees how it ended.
const (
	orderOfHoldWaitSQL = `SELECT 1 FROM sections WHERE event_id = $1 AND id = $2 FOR SHARE`
	orderOfHoldSQL     = `
SELECT coalesce(order_id, '') FROM holds
WHERE id = $1 AND event_id = $2 AND section_id = $3 AND status = 'confirmed'`
)

// OrderOfHold returns the id of the order the hold was confirmed with, or "" when it was
// not, once every batch of the section in flight has ended.
func (s *Store) OrderOfHold(ctx context.Context, key actors.SectionKey, holdID string) (string, error) {
	op := fmt.Sprintf("read the order of hold %q of %s", holdID, key.Identity())
	var orderID string
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(orderOfHoldWaitSQL, key.EventID, key.SectionID)
	b.Queue(orderOfHoldSQL, holdID, key.EventID, key.SectionID).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&orderID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() { _ = tx.Rollback(ctx) }() // the transaction only locked and read
	if err := br.Close(); err != nil {
		return "", classify(op, err)
	}
	return orderID, nil
}

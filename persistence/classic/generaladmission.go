package classic

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// holdQuantity holds a general-admission quantity. The section row is the counter, so
// the hold must lock it; it does so last and briefly: one conditional update at the end
// of the transaction's writes, then the outbox insert and the commit.
func (e *engine) holdQuantity(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	var (
		stored storedReply
		u      userTickets
		hold   actors.Hold
		j      *journal
	)
	c := claim{sec: sec, r: r, holdID: actors.NewID("h_")}
	err := runTx(ctx, e.pool, func(b *pgx.Batch) {
		if r.IdempotencyKey != "" {
			queueReplay(b, r.UserID, r.IdempotencyKey, &stored)
		}
		queueUserTickets(b, sec.key.EventID, r.UserID, &u)
	}, func(tx pgx.Tx) error {
		if stored.found {
			return errReplayed
		}
		if err := u.check(sec, r.Quantity); err != nil {
			return err
		}
		b := &pgx.Batch{}
		var err error
		if hold, j, err = e.queueHold(b, c, u.now); err != nil {
			return err
		}
		if err := send(ctx, tx, b); err != nil {
			return err
		}
		err = j.finish(ctx, tx)
		if errors.Is(err, errNoRoom) {
			return soldOut(ctx, tx, sec)
		}
		return err
	})
	if errors.Is(err, errReplayed) {
		return stored.hold(r.Hash())
	}
	if err != nil {
		return actors.Hold{}, err
	}
	e.committed(j)
	return hold, nil
}

// soldOut is the SOLD_OUT refusal of a general-admission hold, saying how many places
// are left.
func soldOut(ctx context.Context, tx pgx.Tx, sec sectionMeta) error {
	var left int
	if err := tx.QueryRow(ctx, `SELECT capacity - held - sold FROM sections WHERE event_id = $1 AND id = $2`,
		sec.key.EventID, sec.key.SectionID).Scan(&left); err != nil {
		return fmt.Errorf("read counters of %s: %w", sec.key, err)
	}
	return &actors.Error{Code: actors.CodeSoldOut, Message: fmt.Sprintf("only %d left", max(left, 0))}
}

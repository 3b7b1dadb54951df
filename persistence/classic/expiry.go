package classic

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// The expiry sweep looks for holds past their expiry every expiryInterval and reads at
// most expiryBatch of them at a time.
const (
	expiryInterval = 500 * time.Millisecond
	expiryBatch    = 1000
)

// RunExpiry expires holds past their expiry (by the database clock) about every
// 500 ms until ctx is done, then returns nil. A failed sweep is logged and retried on
// the next tick.
func (e *engine) RunExpiry(ctx context.Context) error {
	tick := time.NewTicker(expiryInterval)
	defer tick.Stop()
	for {
		for {
			n, err := e.expireDue(ctx)
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("expire holds", zap.Error(err))
				}
				break
			}
			if n > 0 {
				e.log.Debug("expired holds", zap.Int("holds", n))
			}
			if n < expiryBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// expireDue expires up to expiryBatch due holds, one transaction per section, and
// returns how many holds it looked at.
func (e *engine) expireDue(ctx context.Context) (int, error) {
	rows, err := e.pool.Query(ctx, `
		SELECT event_id, section_id, array_agg(id ORDER BY id)
		FROM (SELECT id, event_id, section_id FROM holds
		      WHERE status = 'held' AND expires_at < now() LIMIT $1) due
		GROUP BY event_id, section_id`, expiryBatch)
	if err != nil {
		return 0, fmt.Errorf("find due holds: %w", err)
	}
	type due struct {
		key actors.SectionKey
		ids []string
	}
	sections, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
		var d due
		err := row.Scan(&d.key.EventID, &d.key.SectionID, &d.ids)
		return d, err
	})
	if err != nil {
		return 0, fmt.Errorf("find due holds: %w", err)
	}
	// One section failing must not stop the others from expiring.
	n := 0
	var errs []error
	for _, d := range sections {
		n += len(d.ids)
		var holds []actors.Hold
		var now time.Time
		var j *journal
		err := runTx(e.traced(ctx, "expire", "", d.key.Identity(), ""), e.pool, func(b *pgx.Batch) {
			queueDueHolds(b, d.ids, &holds, &now)
		}, func(tx pgx.Tx) error {
			j = nil
			if len(holds) == 0 {
				return nil
			}
			var err error
			_, j, err = e.freeHolds(ctx, tx, holds, actors.HoldExpired, actors.ReasonExpired, now)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("expire holds of %s: %w", d.key, err))
			continue
		}
		e.committed(j)
	}
	return n, errors.Join(errs...)
}

// queueDueHolds queues the lock of those of ids that are still held and due, in id
// order; they arrive in *holds, with the database clock in *now. Holds another
// transaction has locked (a confirm, a release, another node's sweep) are skipped
// rather than waited for; the next sweep sees them again if still due.
func queueDueHolds(b *pgx.Batch, ids []string, holds *[]actors.Hold, now *time.Time) {
	b.Queue(`SELECT now()`).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(now); err != nil {
			return err
		}
		*now = now.UTC()
		return nil
	})
	b.Queue(`
		SELECT `+persistence.HoldColumns+` FROM holds
		WHERE id = ANY($1) AND status = 'held' AND expires_at < now()
		ORDER BY id COLLATE "C" FOR UPDATE SKIP LOCKED`, ids).Query(func(rows pgx.Rows) error {
		var err error
		*holds, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (actors.Hold, error) {
			return persistence.ScanHold(row)
		})
		if err != nil {
			return fmt.Errorf("lock due holds: %w", err)
		}
		return nil
	})
}

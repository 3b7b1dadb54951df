package classic

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ticketblitz/ticketblitz/actors"
)

// versionRetries is how often a transaction whose version check failed is run again:
// optimistic concurrency retries, as the classic design does, before a caller sees
// UNAVAILABLE.
const versionRetries = 8

// errVersionConflict means another transaction changed the section since this one read
// its version; the whole transaction is retried.
var errVersionConflict = errors.New("section changed concurrently")

// inTx runs fn in a transaction on pool and commits when fn returns nil. A failed
// version check rolls back and runs fn again, a few times, with a short jittered pause.
func inTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := inTxOnce(ctx, pool, fn)
		if !errors.Is(err, errVersionConflict) {
			return err
		}
		if attempt >= versionRetries {
			return actors.Unavailable("section changed concurrently; retry")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.IntN(attempt*2000)) * time.Microsecond):
		}
	}
}

func inTxOnce(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // no-op after commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

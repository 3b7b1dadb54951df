package classic

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ticketblitz/ticketblitz/actors"
)

// versionRetries is how often a transaction whose version check failed is run again
// before the caller sees UNAVAILABLE. With the seats' Redis locks held, a failed check
// means a stale read or a lock that outlived its TTL: rare, so a few tries suffice.
const versionRetries = 8

// errVersionConflict means a seat changed since the transaction read its version; the
// whole transaction is rolled back and run again.
var errVersionConflict = errors.New("seat changed concurrently")

// batchSender is a pool or one of its connections: what a transaction is begun on.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// runTx runs one transaction on db. first queues the statements that travel with BEGIN,
// in one round trip: the locks and reads the rest of the transaction needs (their
// results are scanned by the queued queries' callbacks). then runs with the transaction
// open, after those results are in, and returns nil to commit. A failed version check
// (errVersionConflict) rolls back and runs everything again after a short jittered
// pause, up to versionRetries times.
//
// When ctx carries an operation's trace identity (engine.traced), each attempt is traced
// with its statements, outcome and duration, and each retry with its reason.
func runTx(ctx context.Context, db batchSender, first func(b *pgx.Batch), then func(tx pgx.Tx) error) error {
	trace := opTraceFrom(ctx)
	for attempt := 1; ; attempt++ {
		rec := trace.begin()
		err := runTxOnce(ctx, db, rec, first, then)
		trace.end(rec, attempt, err)
		if !errors.Is(err, errVersionConflict) {
			return err
		}
		if attempt >= versionRetries {
			return actors.Unavailable("seats changed concurrently; retry")
		}
		trace.retry("version mismatch", attempt+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.IntN(attempt*2000)) * time.Microsecond):
		}
	}
}

func runTxOnce(ctx context.Context, db batchSender, rec *txRecord, first func(b *pgx.Batch), then func(tx pgx.Tx) error) error {
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	first(b)
	rec.queued(b, 1)
	br := db.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op after commit
	if err := br.Close(); err != nil {
		return err
	}
	if rec != nil {
		tx = recordingTx{Tx: tx, rec: rec}
	}
	if err := then(tx); err != nil {
		return err
	}
	return commit(ctx, tx)
}

// commitTimeout bounds the wait for a COMMIT's answer once it is sent, past the
// caller's deadline if need be.
const commitTimeout = 10 * time.Second

// errDeadlinePassed means the caller's deadline passed before the transaction's
// COMMIT was sent: it rolled back, and nothing was decided.
var errDeadlinePassed = actors.Unavailable("the request's deadline passed before its decision; nothing was decided")

// errCommitUnknown means a COMMIT was sent and its answer never came (the connection
// broke, or commitTimeout passed): the transaction may have committed.
var errCommitUnknown = errors.New("commit sent, its outcome unknown")

// commit decides the transaction as the section actor decides a command: never after
// ctx's deadline (a transaction that reaches its COMMIT later rolls back, and the
// caller's UNAVAILABLE means nothing was decided), and, once the COMMIT is sent, with
// its real outcome, whatever becomes of ctx meanwhile. A COMMIT cut by the deadline
// would have answered UNAVAILABLE for a transaction PostgreSQL may have committed.
func commit(ctx context.Context, tx pgx.Tx) error {
	if ctx.Err() != nil {
		return errDeadlinePassed
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	err := tx.Commit(cctx)
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) || errors.Is(err, pgx.ErrTxCommitRollback) {
		// PostgreSQL refused the COMMIT: the transaction rolled back.
		return fmt.Errorf("commit: %w", err)
	}
	return fmt.Errorf("%w: %w", errCommitUnknown, err)
}

// send sends the queued statements of b in the transaction, in one round trip.
func send(ctx context.Context, tx pgx.Tx, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// expectRows is an Exec callback that fails unless the statement touched exactly want
// rows: a row the transaction locked and checked must be the one it writes.
func expectRows(what string, want int) func(pgconn.CommandTag) error {
	return func(ct pgconn.CommandTag) error {
		if got := ct.RowsAffected(); got != int64(want) {
			return fmt.Errorf("%s: wrote %d of %d rows", what, got, want)
		}
		return nil
	}
}

package classic

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ticketblitz/ticketblitz/actors"
)

// opTrace says whose operation a context carries, for the traces of its transactions
// and retries. The engine's entry points attach it when the strategy has a tracer; the
// sequencer and the seat-map reads carry none and trace nothing.
type opTrace struct {
	tracer actors.Tracer
	op     string // hold, release, extend, confirm, cancel, expire
	user   string
	actor  string // "<event>/<section>", when known
	seat   string
}

type opTraceKey struct{}

// traced returns ctx carrying the operation's trace identity, or ctx itself when the
// strategy traces nothing.
func (e *engine) traced(ctx context.Context, op, user, actor, seat string) context.Context {
	if e.tracer == nil {
		return ctx
	}
	return context.WithValue(ctx, opTraceKey{}, &opTrace{tracer: e.tracer, op: op, user: user, actor: actor, seat: seat})
}

func opTraceFrom(ctx context.Context) *opTrace {
	o, _ := ctx.Value(opTraceKey{}).(*opTrace)
	return o
}

// retry traces the operation being tried again.
func (o *opTrace) retry(reason string, attempt int) {
	if o == nil {
		return
	}
	o.tracer.Trace(actors.Trace{Type: actors.TraceRetry, Action: o.op, Actor: o.actor, Seat: o.seat, User: o.user, Reason: reason, Attempt: attempt})
}

// txRecord collects one transaction's statements while it runs.
type txRecord struct {
	began      time.Time
	statements []string
}

func (o *opTrace) begin() *txRecord {
	if o == nil {
		return nil
	}
	return &txRecord{began: time.Now(), statements: []string{"BEGIN"}}
}

func (r *txRecord) add(sql string) {
	if r != nil {
		r.statements = append(r.statements, statementSummary(sql))
	}
}

// end traces the transaction: committed when err is nil, rolled back and why otherwise.
func (o *opTrace) end(r *txRecord, attempt int, err error) {
	if o == nil || r == nil {
		return
	}
	t := actors.Trace{Type: actors.TraceTx, Action: o.op, Actor: o.actor, Seat: o.seat, User: o.user,
		Attempt: attempt, Millis: float64(time.Since(r.began).Microseconds()) / 1000}
	if err == nil {
		t.Outcome, t.Statements = "commit", append(r.statements, "COMMIT")
	} else {
		t.Outcome, t.Reason, t.Statements = "rollback", rollbackReason(err), append(r.statements, "ROLLBACK")
	}
	o.tracer.Trace(t)
}

// rollbackReason names why a transaction rolled back, in a few words.
func rollbackReason(err error) string {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, errVersionConflict):
		return "version mismatch"
	case errors.Is(err, errReplayed):
		return "idempotent replay"
	case errors.Is(err, errStaleChoice):
		return "stale choice: seats taken since the read"
	case errors.As(err, &pgErr):
		return "postgres " + pgErr.Code + ": " + pgErr.Message
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "cancelled"
	}
	if e, ok := actors.AsError(err); ok {
		return string(e.Code)
	}
	return "error"
}

// statementSummary shortens a statement for the visualizer: its whitespace collapsed
// and its length capped.
func statementSummary(sql string) string {
	const most = 400
	s := strings.Join(strings.Fields(sql), " ")
	if len(s) > most {
		s = s[:most] + "…"
	}
	return s
}

// queued records the statements queued in b after its first skip ones.
func (r *txRecord) queued(b *pgx.Batch, skip int) {
	if r == nil {
		return
	}
	for _, q := range b.QueuedQueries[min(skip, len(b.QueuedQueries)):] {
		r.add(q.SQL)
	}
}

// recordingTx is a transaction that records the statements sent through it.
type recordingTx struct {
	pgx.Tx
	rec *txRecord
}

func (t recordingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.rec.add(sql)
	return t.Tx.Exec(ctx, sql, args...)
}

func (t recordingTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	t.rec.add(sql)
	return t.Tx.Query(ctx, sql, args...)
}

func (t recordingTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	t.rec.add(sql)
	return t.Tx.QueryRow(ctx, sql, args...)
}

func (t recordingTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	t.rec.queued(b, 0)
	return t.Tx.SendBatch(ctx, b)
}

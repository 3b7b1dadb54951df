package classic

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// traceLog is a Tracer that keeps every trace.
type traceLog struct {
	mu     sync.Mutex
	traces []actors.Trace
}

func (l *traceLog) Trace(t actors.Trace) {
	l.mu.Lock()
	l.traces = append(l.traces, t)
	l.mu.Unlock()
}

// take returns the traces so far, as "type/action/outcome/seat" lines, and forgets them.
func (l *traceLog) take() ([]actors.Trace, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.traces
	l.traces = nil
	lines := make([]string, len(out))
	for i, t := range out {
		lines[i] = fmt.Sprintf("%s/%s/%s/%s", t.Type, t.Action, t.Outcome, t.Seat)
	}
	return out, lines
}

func TestLockTracesItsLocksAndTransactions(t *testing.T) {
	pool := testPool(t)
	rdb, prefix := testRedis(t)
	log := &traceLog{}
	s, err := NewLock(LockConfig{Pool: pool, Redis: rdb, Prefix: prefix, Payments: actors.SimulatedPayments{}, Logger: zap.NewNop(), Tracer: log})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, pool, 8, 2, 10)
	ctx := context.Background()

	if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-4", "A-3"}}); err != nil {
		t.Fatal(err)
	}
	traces, lines := log.take()
	want := []string{"lock/take//A-3", "lock/take//A-4", "tx/hold/commit/A-4", "lock/release/settled/A-3", "lock/release/settled/A-4"}
	if !slices.Equal(lines, want) {
		t.Fatalf("traces of a hold: %v, want %v", lines, want)
	}
	take, tx := traces[0], traces[2]
	if take.User != "alice" || take.TTLMillis != DefaultSeatLockTTL.Milliseconds() || take.Actor != f.a.Identity() ||
		take.Key != prefix+"seat-lock:"+f.a.Identity()+"/A-3" {
		t.Fatalf("lock take = %+v", take)
	}
	if tx.User != "alice" || tx.Attempt != 1 || tx.Millis <= 0 || len(tx.Statements) < 3 ||
		tx.Statements[0] != "BEGIN" || tx.Statements[len(tx.Statements)-1] != "COMMIT" {
		t.Fatalf("tx = %+v", tx)
	}

	// The seats are held in the database: bob gets their locks, and his transaction
	// finds them taken and rolls back.
	_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "bob", Seats: []string{"A-3"}})
	wantCode(t, "bob's hold of a held seat", err, actors.CodeSeatUnavailable)
	traces, lines = log.take()
	if want := []string{"lock/take//A-3", "tx/hold/rollback/A-3", "lock/release/freed/A-3"}; !slices.Equal(lines, want) {
		t.Fatalf("traces of a refused hold: %v, want %v", lines, want)
	}
	if r := traces[1]; r.Reason != string(actors.CodeSeatUnavailable) || r.Statements[len(r.Statements)-1] != "ROLLBACK" {
		t.Fatalf("rollback = %+v, want reason %s", r, actors.CodeSeatUnavailable)
	}

	// Another request holds A-9's lock: carol is refused before any transaction.
	if err := rdb.Set(ctx, prefix+"seat-lock:"+f.a.Identity()+"/A-9", "h_other", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "carol", Seats: []string{"A-9"}})
	wantCode(t, "carol's hold of a locked seat", err, actors.CodeSeatUnavailable)
	traces, lines = log.take()
	if want := []string{"lock/refuse//A-9"}; !slices.Equal(lines, want) || traces[0].User != "carol" || traces[0].Reason == "" {
		t.Fatalf("traces of a locked seat: %v %+v, want %v by carol with a reason", lines, traces, want)
	}
}

func TestPGTracesRowLocksInItsTransactions(t *testing.T) {
	pool := testPool(t)
	log := &traceLog{}
	s, err := NewPG(PGConfig{Pool: pool, Payments: actors.SimulatedPayments{}, Logger: zap.NewNop(), Tracer: log})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, pool, 8, 2, 10)
	h, err := s.Hold(context.Background(), actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	traces, lines := log.take()
	if !slices.Equal(lines, []string{"tx/hold/commit/"}) {
		t.Fatalf("traces of a best-available hold: %v", lines)
	}
	if !slices.ContainsFunc(traces[0].Statements, func(s string) bool { return strings.Contains(s, "SKIP LOCKED") }) {
		t.Fatalf("statements %q name no SKIP LOCKED", traces[0].Statements)
	}
	if _, err := s.Release(context.Background(), h.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, lines := log.take(); !slices.Equal(lines, []string{"tx/release/commit/"}) {
		t.Fatalf("traces of a release: %v", lines)
	}
}

// TestRunTxTracesAttemptsAndRetries: each attempt of a traced transaction is traced with
// its outcome, and each retry with its reason; an untraced one traces nothing.
func TestRunTxTracesAttemptsAndRetries(t *testing.T) {
	pool := testPool(t)
	log := &traceLog{}
	e := &engine{tracer: log}
	calls := 0
	err := runTx(e.traced(context.Background(), "hold", "alice", "ev/A", "A-1"), pool, func(b *pgx.Batch) { b.Queue(`SELECT 1`) }, func(tx pgx.Tx) error {
		calls++
		if _, err := tx.Exec(context.Background(), `SELECT   2`); err != nil {
			return err
		}
		if calls < 3 {
			return errVersionConflict
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	traces, lines := log.take()
	want := []string{"tx/hold/rollback/A-1", "retry/hold//A-1", "tx/hold/rollback/A-1", "retry/hold//A-1", "tx/hold/commit/A-1"}
	if !slices.Equal(lines, want) {
		t.Fatalf("traces: %v, want %v", lines, want)
	}
	for i, tr := range traces {
		if i%2 == 1 {
			if tr.Reason != "version mismatch" || tr.Attempt != i/2+2 {
				t.Fatalf("retry %d = %+v", i, tr)
			}
			continue
		}
		wantLast := "ROLLBACK"
		if i == 4 {
			wantLast = "COMMIT"
		}
		if !slices.Equal(tr.Statements, []string{"BEGIN", "SELECT 1", "SELECT 2", wantLast}) || tr.Attempt != i/2+1 {
			t.Fatalf("tx %d = %+v", i, tr)
		}
	}
	if err := runTx(context.Background(), pool, func(*pgx.Batch) {}, func(pgx.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, lines := log.take(); len(lines) != 0 {
		t.Fatalf("an untraced transaction traced %v", lines)
	}
}

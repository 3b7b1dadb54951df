package classic

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// A transaction that reaches its COMMIT after the caller's deadline rolls back: the
// caller is answered UNAVAILABLE, and nothing was decided.
func TestTransactionPastItsDeadlineDecidesNothing(t *testing.T) {
	pool := testPool(t)
	mustExec(t, pool, `CREATE TABLE IF NOT EXISTS tx_deadline_probe (id text PRIMARY KEY)`)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := runTx(ctx, pool, func(b *pgx.Batch) {}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO tx_deadline_probe (id) VALUES ('late')`); err != nil {
			return err
		}
		<-ctx.Done() // the deadline passes with the writes done, before the COMMIT
		return nil
	})
	wantCode(t, "a transaction whose deadline passed before its COMMIT", err, actors.CodeUnavailable)
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM tx_deadline_probe WHERE id = 'late'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("answered UNAVAILABLE, yet the transaction committed")
	}
}

// slowCommitUser's holds take about two seconds to commit: a deferred trigger sleeps
// in their COMMIT.
const slowCommitUser = "slow-commit-fan"

// A hold whose deadline passes while its COMMIT runs is answered with what the COMMIT
// did, never UNAVAILABLE for a hold that was decided: for each strategy, the holds
// answered get their seats and the ones answered UNAVAILABLE have none, looked at after
// every COMMIT in flight has ended.
func TestHoldCutByItsDeadlineDuringCommit(t *testing.T) {
	pool := testPool(t)
	mustExec(t, pool, `CREATE OR REPLACE FUNCTION slow_commit_probe() RETURNS trigger AS $$
BEGIN
	IF NEW.user_id = '`+slowCommitUser+`' THEN PERFORM pg_sleep(2); END IF;
	RETURN NULL;
END $$ LANGUAGE plpgsql`)
	mustExec(t, pool, `DROP TRIGGER IF EXISTS slow_commit_probe ON holds`)
	mustExec(t, pool, `CREATE CONSTRAINT TRIGGER slow_commit_probe AFTER INSERT ON holds
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit_probe()`)
	t.Cleanup(func() { mustExec(t, pool, `DROP TRIGGER IF EXISTS slow_commit_probe ON holds`) })

	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		for _, key := range []string{"", "k-" + actors.NewID("")} {
			f := newFixture(t, pool, 8, 2, 10)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: slowCommitUser,
				Quantity: 2, IdempotencyKey: key})
			cancel()
			time.Sleep(2500 * time.Millisecond) // any COMMIT still running has ended
			var held int
			if qerr := pool.QueryRow(context.Background(),
				`SELECT count(*) FROM holds WHERE event_id = $1 AND user_id = $2 AND status = 'held'`,
				f.eventID, slowCommitUser).Scan(&held); qerr != nil {
				t.Fatal(qerr)
			}
			switch {
			case err == nil:
				if got := holdStatusOf(t, pool, h.ID); got != string(actors.HoldHeld) {
					t.Fatalf("key %q: answered hold %s, stored as %q", key, h.ID, got)
				}
				t.Logf("key %q: the COMMIT outlived the deadline and its hold was answered", key)
			case errCode(t, err) == actors.CodeUnavailable:
				if held != 0 {
					t.Fatalf("key %q: answered UNAVAILABLE (%v), yet %d hold was committed", key, err, held)
				}
				t.Logf("key %q: undecided, answered UNAVAILABLE: %v", key, err)
			default:
				t.Fatalf("key %q: %v", key, err)
			}
		}
	})
}

// The sentinel errors say what they mean to the caller.
func TestDeadlineErrorsAreUnavailable(t *testing.T) {
	if e, ok := actors.AsError(errDeadlinePassed); !ok || e.Code != actors.CodeUnavailable {
		t.Fatalf("errDeadlinePassed = %v", errDeadlinePassed)
	}
	if _, ok := actors.AsError(errCommitUnknown); ok || !errors.Is(errCommitUnknown, errCommitUnknown) {
		t.Fatalf("errCommitUnknown must stay a plain error for fail to wrap: %v", errCommitUnknown)
	}
}

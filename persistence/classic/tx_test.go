package classic

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestInTxRetriesVersionConflicts: a transaction whose version check keeps failing is
// retried, then reported as UNAVAILABLE; one that succeeds on a retry commits.
func TestInTxRetriesVersionConflicts(t *testing.T) {
	pool := testPool(t)
	calls := 0
	err := inTx(context.Background(), pool, func(pgx.Tx) error { calls++; return errVersionConflict })
	wantCode(t, "always conflicting", err, actors.CodeUnavailable)
	if calls != versionRetries {
		t.Fatalf("ran %d times, want %d", calls, versionRetries)
	}
	calls = 0
	err = inTx(context.Background(), pool, func(pgx.Tx) error {
		calls++
		if calls < 3 {
			return errVersionConflict
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("conflict then success: %v after %d calls", err, calls)
	}
}

package classic

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestNewLockNeedsDependencies(t *testing.T) {
	pool := testPool(t)
	rdb, _ := testRedis(t)
	cases := map[string]LockConfig{
		"no pool":      {Redis: rdb, Payments: actors.SimulatedPayments{}},
		"no redis":     {Pool: pool, Payments: actors.SimulatedPayments{}},
		"no payments":  {Pool: pool, Redis: rdb},
		"negative ttl": {Pool: pool, Redis: rdb, Payments: actors.SimulatedPayments{}, HoldTTL: -time.Second},
	}
	for name, cfg := range cases {
		if _, err := NewLock(cfg); err == nil {
			t.Errorf("%s: NewLock succeeded", name)
		}
	}
	s, err := NewLock(LockConfig{Pool: pool, Redis: rdb, Payments: actors.SimulatedPayments{}})
	if err != nil {
		t.Fatal(err)
	}
	if s.holdTTL != DefaultHoldTTL || s.locks.ttl != DefaultSeatLockTTL || s.candidates != DefaultCandidates {
		t.Fatalf("defaults: hold ttl %v, seat lock ttl %v, candidates %d", s.holdTTL, s.locks.ttl, s.candidates)
	}
}

func TestNewPGNeedsDependencies(t *testing.T) {
	pool := testPool(t)
	cases := map[string]PGConfig{
		"no pool":             {Payments: actors.SimulatedPayments{}},
		"no payments":         {Pool: pool},
		"negative ttl":        {Pool: pool, Payments: actors.SimulatedPayments{}, HoldTTL: -time.Second},
		"negative candidates": {Pool: pool, Payments: actors.SimulatedPayments{}, Candidates: -1},
	}
	for name, cfg := range cases {
		if _, err := NewPG(cfg); err == nil {
			t.Errorf("%s: NewPG succeeded", name)
		}
	}
	s, err := NewPG(PGConfig{Pool: pool, Payments: actors.SimulatedPayments{}})
	if err != nil {
		t.Fatal(err)
	}
	if s.holdTTL != DefaultHoldTTL || s.candidates != DefaultCandidates {
		t.Fatalf("defaults: hold ttl %v, candidates %d", s.holdTTL, s.candidates)
	}
}

// TestRunTxRetriesVersionConflicts: a transaction whose version check keeps failing is
// run again, then reported as UNAVAILABLE; one that succeeds on a retry commits.
func TestRunTxRetriesVersionConflicts(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	calls := 0
	err := runTx(ctx, pool, func(*pgx.Batch) {}, func(pgx.Tx) error { calls++; return errVersionConflict })
	wantCode(t, "always conflicting", err, actors.CodeUnavailable)
	if calls != versionRetries {
		t.Fatalf("ran %d times, want %d", calls, versionRetries)
	}
	calls = 0
	err = runTx(ctx, pool, func(b *pgx.Batch) { b.Queue(`SELECT 1`) }, func(pgx.Tx) error {
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

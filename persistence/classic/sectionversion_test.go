package classic

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestLockBumpSectionVersionCheck(t *testing.T) {
	pool := testPool(t)
	f := newFixture(t, pool, 8, 2, 10)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = updateSectionRow(ctx, tx, f.a, 1, 0, 7)
	if !errors.Is(err, errVersionConflict) {
		t.Fatalf("stale version error %v is not a version conflict", err)
	}
	ch, err := updateSectionRow(ctx, tx, f.a, 1, 0, 0)
	if v := ch.Version; err != nil || v != 1 {
		t.Fatalf("bump at the current version = %d, %v; want 1", ch.Version, err)
	}
}

// TestLockSectionChangedPerVersion: every version bump writes exactly one SectionChanged
// delta, versions rise by one with no gap, and each carries the seats it changed.
func TestLockSectionChangedPerVersion(t *testing.T) {
	pool := testPool(t)
	rdb, prefix := testRedis(t)
	f := newFixture(t, pool, 8, 2, 10)
	ls, err := NewLock(LockConfig{Pool: pool, Redis: rdb, Prefix: prefix, Payments: actors.SimulatedPayments{}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := ls.Hold(ctx, actors.HoldRequest{EventID: f.a.EventID, SectionID: f.a.SectionID, UserID: "u1", Seats: []string{"A-3", "A-4"}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := ls.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "u1", PaymentToken: "tok_ok"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Cancel(ctx, o.ID, "u1", false); err != nil {
		t.Fatal(err)
	}
	got := sectionChanges(t, pool, f.a)
	want := []actors.SeatStatus{actors.SeatHeld, actors.SeatSold, actors.SeatAvailable}
	if len(got) != len(want) {
		t.Fatalf("%d SectionChanged deltas, want %d", len(got), len(want))
	}
	for i, ch := range got {
		if ch.Version != int64(i+1) {
			t.Fatalf("delta %d has version %d", i, ch.Version)
		}
		if len(ch.Changes) != 2 || ch.Changes[0].Status != want[i] || ch.Changes[1].Status != want[i] {
			t.Fatalf("delta %d changes %+v, want both seats %s", i, ch.Changes, want[i])
		}
	}
	if got[1].Sold != 2 || got[1].Held != 0 || got[2].Sold != 0 {
		t.Fatalf("counters: %+v", got)
	}
}

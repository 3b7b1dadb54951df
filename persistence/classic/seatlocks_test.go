package classic

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestLockHoldRespectsSeatLocks(t *testing.T) {
	pool := testPool(t)
	f := newFixture(t, pool, 8, 2, 10)
	s, rdb, prefix := newLock(t, pool, time.Minute)
	ctx := context.Background()
	other := prefix + "seat-lock:" + f.a.Identity() + "/A-5"
	if err := rdb.Set(ctx, other, "h_someone", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-6", "A-5", "A-4"}})
	if e := wantCode(t, "hold of a locked seat", err, actors.CodeSeatUnavailable); !slices.Equal(e.Seats, []string{"A-5"}) {
		t.Fatalf("unavailable seats %v, want [A-5]", e.Seats)
	}
	keys := rdb.Keys(ctx, prefix+"seat-lock:*").Val()
	if !slices.Equal(keys, []string{other}) || rdb.Get(ctx, other).Val() != "h_someone" {
		t.Fatalf("seat locks after refusal: %v", keys)
	}
	if st := seatStates(t, pool, f.a, "A-4", "A-5", "A-6"); st["A-4"] != "available//" || st["A-5"] != "available//" {
		t.Fatalf("seats after refusal: %v", st)
	}

	// Best available steps around a seat another request is claiming: with
	// locked the centred pair of the front row is out of reach, so it takes another.
	if err := rdb.Set(ctx, prefix+"seat-lock:"+f.a.Identity()+"/A-6", "h_someone", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Seats) != 2 || slices.Contains(h.Seats, "A-5") || slices.Contains(h.Seats, "A-6") {
		t.Fatalf("best available took %v around locked A-5, A-6", h.Seats)
	}
}

// TestLockBestAvailableContendedIsRetryable: when every free seat is being claimed by
// someone else, a quantity request is told to retry (UNAVAILABLE), never SEAT_UNAVAILABLE
// about seats it did not name, nor SOLD_OUT while seats may still come free.
func TestLockBestAvailableContendedIsRetryable(t *testing.T) {
	pool := testPool(t)
	rdb, prefix := testRedis(t)
	f := newFixture(t, pool, 8, 1, 4)
	ls, err := NewLock(LockConfig{Pool: pool, Redis: rdb, Prefix: prefix, Payments: actors.SimulatedPayments{}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all := []string{"A-1", "A-2", "A-3", "A-4"}
	locks := newSeatLocks(rdb, prefix, time.Minute)
	if taken, err := locks.acquire(ctx, f.a, all, "someone-else"); err != nil || len(taken) > 0 {
		t.Fatalf("lock seats: %v %v", taken, err)
	}
	_, err = ls.Hold(ctx, actors.HoldRequest{EventID: f.a.EventID, SectionID: f.a.SectionID, UserID: "u1", Quantity: 2})
	wantCode(t, "contended best available", err, actors.CodeUnavailable)
	if err := locks.release(ctx, f.a, all, "someone-else"); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Hold(ctx, actors.HoldRequest{EventID: f.a.EventID, SectionID: f.a.SectionID, UserID: "u1", Quantity: 2}); err != nil {
		t.Fatalf("after the locks are gone: %v", err)
	}
}

// TestLockBestAvailableWaitsForContendedClaims: when every free seat is being claimed,
// best available waits for those claims to end instead of refusing at once.
func TestLockBestAvailableWaitsForContendedClaims(t *testing.T) {
	pool := testPool(t)
	f := newFixture(t, pool, 8, 1, 4)
	ls, rdb, prefix := newLock(t, pool, time.Minute)
	ctx := context.Background()
	all := []string{"A-1", "A-2", "A-3", "A-4"}
	locks := newSeatLocks(rdb, prefix, time.Minute)
	if taken, err := locks.acquire(ctx, f.a, all, "someone-else"); err != nil || len(taken) > 0 {
		t.Fatalf("lock seats: %v %v", taken, err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = locks.release(context.Background(), f.a, all, "someone-else")
	}()
	began := time.Now()
	h, err := ls.Hold(ctx, actors.HoldRequest{EventID: f.a.EventID, SectionID: f.a.SectionID, UserID: "u1", Quantity: 2})
	if err != nil {
		t.Fatalf("best available once the claims ended: %v", err)
	}
	if waited := time.Since(began); waited < 150*time.Millisecond || len(h.Seats) != 2 {
		t.Fatalf("held %v after %v", h.Seats, waited)
	}
}

// TestLockSettledSeatsSteerBestAvailable: a seat claimed a moment ago keeps a settled
// key for seatSettleTTL, which best available steps around (its read may predate the
// claim) but an explicit claim takes over.
func TestLockSettledSeatsSteerBestAvailable(t *testing.T) {
	pool := testPool(t)
	f := newFixture(t, pool, 8, 1, 10)
	ls, _, _ := newLock(t, pool, time.Minute)
	ctx := context.Background()
	first, err := ls.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "u1", Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Release(ctx, first.ID, "u1"); err != nil {
		t.Fatal(err)
	}
	second, err := ls.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "u2", Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if second.Seats[0] == first.Seats[0] {
		t.Fatalf("best available chose %s, claimed a moment ago", first.Seats[0])
	}
	if _, err := ls.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "u3", Seats: first.Seats}); err != nil {
		t.Fatalf("explicit claim of a settled seat: %v", err)
	}
}

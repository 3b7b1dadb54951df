package classic

import (
	"context"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestExtend(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-1"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Extend(ctx, h.ID, "bob")
		wantCode(t, "extend by another user", err, actors.CodeForbidden)
		_, err = s.Extend(ctx, "h_nope", "alice")
		wantCode(t, "extend of an unknown hold", err, actors.CodeNotFound)

		// Fresh hold: extended to a full ttl from now.
		mustExec(t, pool, `UPDATE holds SET expires_at = now() + interval '10 seconds' WHERE id = $1`, h.ID)
		e, err := s.Extend(ctx, h.ID, "alice")
		if err != nil {
			t.Fatal(err)
		}
		var dbNow time.Time
		if err := pool.QueryRow(ctx, `SELECT now()`).Scan(&dbNow); err != nil {
			t.Fatal(err)
		}
		if d := e.ExpiresAt.Sub(dbNow); d < 50*time.Second || d > time.Minute {
			t.Fatalf("extended expiry is %v from now, want about the 1m ttl", d)
		}
		// Old hold: capped at 3 × ttl after creation.
		mustExec(t, pool, `UPDATE holds SET created_at = now() - interval '150 seconds', expires_at = now() + interval '10 seconds' WHERE id = $1`, h.ID)
		e, err = s.Extend(ctx, h.ID, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if got := e.ExpiresAt.Sub(e.CreatedAt); got != 3*time.Minute {
			t.Fatalf("capped expiry is %v after creation, want 3m", got)
		}
		// A hold past its expiry is expired, not extended.
		mustExec(t, pool, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1`, h.ID)
		_, err = s.Extend(ctx, h.ID, "alice")
		wantCode(t, "extend of an expired hold", err, actors.CodeHoldExpired)
		if got := holdStatusOf(t, pool, h.ID); got != "expired" {
			t.Fatalf("hold status %s after extending past expiry, want expired", got)
		}
		if st := seatStates(t, pool, f.a, "A-1"); st["A-1"] != "available//" {
			t.Fatalf("seat of the expired hold: %s", st["A-1"])
		}
	})
}

package classic

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

func TestExpiredHoldRefused(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-1", "A-2"}})
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, pool, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1`, h.ID)
		_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
		wantCode(t, "confirm past expiry", err, actors.CodeHoldExpired)
		if got := holdStatusOf(t, pool, h.ID); got != "expired" {
			t.Fatalf("hold status %s, want expired", got)
		}
		if st := seatStates(t, pool, f.a, "A-1", "A-2"); st["A-1"] != "available//" || st["A-2"] != "available//" {
			t.Fatalf("seats of the expired hold: %v", st)
		}
		if held, _, _ := sectionRow(t, pool, f.a); held != 0 {
			t.Fatalf("held %d after expiry", held)
		}
		_, err = s.Release(ctx, h.ID, "alice")
		wantCode(t, "release of an expired hold", err, actors.CodeHoldExpired)
		_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
		wantCode(t, "confirm of an expired hold", err, actors.CodeHoldExpired)

		// Release of a hold past its expiry that the sweeper has not reached yet.
		h2, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "alice", Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, pool, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1`, h2.ID)
		_, err = s.Release(ctx, h2.ID, "alice")
		wantCode(t, "release past expiry", err, actors.CodeHoldExpired)
		if held, _, _ := sectionRow(t, pool, f.floor); held != 0 {
			t.Fatalf("GA held %d after expiry", held)
		}
	})
}

func TestRunExpiry(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		var holds []actors.Hold
		for _, r := range []actors.HoldRequest{
			{SectionID: "A", Seats: []string{"A-1", "A-2"}},
			{SectionID: "A", Seats: []string{"A-3"}},
			{SectionID: "floor", Quantity: 2},
			{SectionID: "A", Seats: []string{"A-9"}}, // stays: not due
		} {
			r.EventID, r.UserID = f.eventID, "alice"
			h, err := s.Hold(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			holds = append(holds, h)
		}
		mustExec(t, pool, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = ANY($1)`,
			[]string{holds[0].ID, holds[1].ID, holds[2].ID})
		_, _, versionA := sectionRow(t, pool, f.a)

		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		done := make(chan error, 1)
		go func() { done <- s.RunExpiry(runCtx) }()
		testenv.Eventually(t, 15*time.Second, func() error {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM holds WHERE event_id = $1 AND status = 'expired'`, f.eventID).Scan(&n); err != nil {
				return err
			}
			if n != 3 {
				return fmt.Errorf("%d of 3 due holds expired", n)
			}
			return nil
		})
		stop()
		if err := <-done; err != nil {
			t.Fatalf("RunExpiry returned %v after cancel, want nil", err)
		}

		if got := holdStatusOf(t, pool, holds[3].ID); got != "held" {
			t.Fatalf("hold not yet due is %s", got)
		}
		st := seatStates(t, pool, f.a, "A-1", "A-2", "A-3", "A-9")
		if st["A-1"] != "available//" || st["A-2"] != "available//" || st["A-3"] != "available//" || st["A-9"] != "held/"+holds[3].ID+"/" {
			t.Fatalf("seats after expiry: %v", st)
		}
		heldA, _, v := sectionRow(t, pool, f.a)
		if heldA != 1 || v != versionA+1 {
			t.Fatalf("section A after expiry: held %d version %d, want 1 and %d (one batch)", heldA, v, versionA+1)
		}
		if heldFloor, _, _ := sectionRow(t, pool, f.floor); heldFloor != 0 {
			t.Fatalf("floor held %d after expiry", heldFloor)
		}
		expired := map[string]bool{}
		for _, key := range []actors.SectionKey{f.a, f.floor} {
			for _, e := range domainEnvelopes(t, pool, key) {
				if e.Type != actors.TypeSeatReleased {
					continue
				}
				rel := envelopeData[actors.SeatReleased](t, e, actors.TypeSeatReleased)
				if rel.Reason != actors.ReasonExpired {
					t.Fatalf("SeatReleased reason %q, want expired", rel.Reason)
				}
				expired[rel.HoldID] = true
			}
		}
		if len(expired) != 3 || !expired[holds[0].ID] || !expired[holds[1].ID] || !expired[holds[2].ID] {
			t.Fatalf("SeatReleased(expired) for %v", expired)
		}
	})
}

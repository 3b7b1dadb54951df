package classic

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestIdempotency(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		// Idempotency keys are per user and outlive the test's event: fresh users per run.
		alice, bob := "alice-"+f.eventID, "bob-"+f.eventID
		req := actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: alice, Seats: []string{"A-1", "A-2"}, IdempotencyKey: "k1"}
		first, err := s.Hold(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		req.Seats = []string{"A-2", "A-1"} // the same set
		again, err := s.Hold(ctx, req)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if again.ID != first.ID || !again.ExpiresAt.Equal(first.ExpiresAt) || again.Status != actors.HoldHeld {
			t.Fatalf("replay = %+v, want %+v", again, first)
		}
		req.Seats = []string{"A-3"}
		_, err = s.Hold(ctx, req)
		wantCode(t, "same key, other seats", err, actors.CodeIdempotencyConflict)
		// Keys belong to users: bob may use k1 too.
		if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: bob, Seats: []string{"A-3"}, IdempotencyKey: "k1"}); err != nil {
			t.Fatalf("another user's k1: %v", err)
		}

		conf := actors.ConfirmRequest{HoldID: first.ID, UserID: alice, PaymentToken: "tok_ok", IdempotencyKey: "k2"}
		o1, err := s.Confirm(ctx, conf)
		if err != nil {
			t.Fatal(err)
		}
		o2, err := s.Confirm(ctx, conf)
		if err != nil {
			t.Fatalf("confirm replay: %v", err)
		}
		if o1.ID != o2.ID || o2.TotalCents != o1.TotalCents || !o2.CreatedAt.Equal(o1.CreatedAt) {
			t.Fatalf("confirm replay = %+v, want %+v", o2, o1)
		}
		conf.PaymentToken = "tok_other"
		_, err = s.Confirm(ctx, conf)
		wantCode(t, "confirm key with another token", err, actors.CodeIdempotencyConflict)
		conf.IdempotencyKey = "k1"
		conf.PaymentToken = "tok_ok"
		_, err = s.Confirm(ctx, conf)
		wantCode(t, "confirm with a hold's key", err, actors.CodeIdempotencyConflict)

		var holds, orders int
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM holds WHERE event_id = $1 AND user_id = $2),
			(SELECT count(*) FROM orders WHERE event_id = $1 AND user_id = $2)`, f.eventID, alice).Scan(&holds, &orders); err != nil {
			t.Fatal(err)
		}
		if holds != 1 || orders != 1 {
			t.Fatalf("%d holds and %d orders for alice, want 1 and 1", holds, orders)
		}
	})
}

func TestIdempotencyConcurrentRetries(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		// Idempotency keys are per user and outlive the test's event: fresh users per run.
		alice := "alice-" + f.eventID
		req := actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: alice, Quantity: 1, IdempotencyKey: "retry"}
		const n = 8
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				h, err := s.Hold(ctx, req)
				ids[i], errs[i] = h.ID, err
			})
		}
		wg.Wait()
		first := ""
		for i := range n {
			if errs[i] != nil {
				wantCode(t, fmt.Sprintf("retry %d", i), errs[i], actors.CodeUnavailable)
				continue
			}
			if first == "" {
				first = ids[i]
			}
			if ids[i] != first {
				t.Fatalf("retries answered with holds %s and %s", first, ids[i])
			}
		}
		if first == "" {
			t.Fatal("no retry got the hold")
		}
		if held, _, _ := sectionRow(t, pool, f.floor); held != 1 {
			t.Fatalf("%d retries of one request hold %d places, want 1", n, held)
		}
	})
}

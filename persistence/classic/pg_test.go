package classic

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestPGBestAvailableSkipsLockedSeats: best available steps around seats another
// transaction has locked, without waiting for it; when every free seat stays locked,
// the answer is, after bestPatience, a retryable UNAVAILABLE, never SOLD_OUT.
func TestPGBestAvailableSkipsLockedSeats(t *testing.T) {
	pool := testPool(t)
	f := newFixture(t, pool, 8, 1, 10)
	s, err := NewPG(PGConfig{Pool: pool, HoldTTL: time.Minute, Payments: actors.SimulatedPayments{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	other, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback(context.Background()) }()
	// Best available waits up to bestPatience for contended seats; stay open meanwhile.
	if _, err := other.Exec(ctx, `SET LOCAL idle_in_transaction_session_timeout = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `SELECT id FROM seats WHERE event_id = $1 AND section_id = 'A' AND id = ANY($2) FOR UPDATE`,
		f.eventID, []string{"A-5", "A-6"}); err != nil {
		t.Fatal(err)
	}
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Seats) != 2 || slices.Contains(h.Seats, "A-5") || slices.Contains(h.Seats, "A-6") {
		t.Fatalf("best available took %v around locked A-5, A-6", h.Seats)
	}
	if _, err := other.Exec(ctx, `SELECT id FROM seats WHERE event_id = $1 AND section_id = 'A' FOR UPDATE`, f.eventID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "bob", Quantity: 1})
	wantCode(t, "every free seat locked", err, actors.CodeUnavailable)
	if err := other.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "bob", Quantity: 1}); err != nil {
		t.Fatalf("after the locks are gone: %v", err)
	}
}

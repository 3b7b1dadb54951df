package classic

import (
	"context"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestPerUserLimit(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 4, 2, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-1", "A-2"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"}); err != nil {
			t.Fatal(err)
		}
		g, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "alice", Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		// 2 bought in A + 1 held on the floor + 2 asked in B > 4.
		_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "B", UserID: "alice", Seats: []string{"A-1", "A-2"}})
		wantCode(t, "fifth ticket", err, actors.CodeLimitExceeded)
		_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "B", UserID: "alice", Quantity: 2})
		wantCode(t, "fifth ticket, best available", err, actors.CodeLimitExceeded)
		_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "alice", Quantity: 2})
		wantCode(t, "fifth ticket, general admission", err, actors.CodeLimitExceeded)
		if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "B", UserID: "bob", Seats: []string{"A-1", "A-2"}}); err != nil {
			t.Fatalf("another user: %v", err)
		}
		if _, err := s.Release(ctx, g.ID, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "B", UserID: "alice", Quantity: 2}); err != nil {
			t.Fatalf("hold after releasing: %v", err)
		}
	})
}

package classic

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// TestListHoldsWithEachStrategy: the holds a classic strategy decides are listed, as
// GET /api/v1/me/holds lists them, while they are held and only then: a released one, a
// confirmed one, one past its expiry and another fan's are not.
func TestListHoldsWithEachStrategy(t *testing.T) {
	pool := testPool(t)
	catalog := persistence.NewStore(pool, zap.NewNop())
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		user := f.eventID + "-lister"
		hold := func(user, section string, seats []string, qty int) actors.Hold {
			t.Helper()
			h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: section, UserID: user, Seats: seats, Quantity: qty})
			if err != nil {
				t.Fatalf("hold %v for %s: %v", seats, user, err)
			}
			return h
		}
		kept := hold(user, "A", []string{"A-5"}, 0)
		places := hold(user, "floor", nil, 2)
		released := hold(user, "A", []string{"A-6"}, 0)
		if _, err := s.Release(ctx, released.ID, user); err != nil {
			t.Fatal(err)
		}
		confirmed := hold(user, "B", []string{"A-1"}, 0)
		if _, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: confirmed.ID, UserID: user, PaymentToken: "tok_ok"}); err != nil {
			t.Fatal(err)
		}
		lapsed := hold(user, "A", []string{"B-1"}, 0)
		if _, err := pool.Exec(ctx, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1`, lapsed.ID); err != nil {
			t.Fatal(err)
		}
		hold(f.eventID+"-other", "A", []string{"B-2"}, 0)

		got, err := catalog.ListHolds(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != places.ID || got[1].ID != kept.ID {
			t.Fatalf("listed %+v, want %s then %s", got, places.ID, kept.ID)
		}
		if got[1].Status != actors.HoldHeld || len(got[1].Seats) != 1 || got[1].Seats[0] != "A-5" || got[0].Quantity != 2 {
			t.Fatalf("listed holds differ from the decided ones: %+v", got)
		}
	})
}

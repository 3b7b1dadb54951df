package persistence

import (
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestListHoldsWithTheActorStrategy: holds decided by section actors are listed while they
// are held, and only then: a released one, a confirmed one, one past its expiry and
// another fan's are not.
func TestListHoldsWithTheActorStrategy(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	client := sectionClient(t, s, s)
	ctx := storeCtx(t)
	user := ev.ID + "-lister"
	hold := func(user, section string, seats []string, qty int) actors.Hold {
		t.Helper()
		h, err := client.Hold(ctx, actors.HoldRequest{EventID: ev.ID, SectionID: section, UserID: user, Seats: seats, Quantity: qty})
		if err != nil {
			t.Fatalf("hold %v for %s: %v", seats, user, err)
		}
		return h
	}
	kept := hold(user, "A", []string{"A-2"}, 0)
	places := hold(user, "ga", nil, 2)
	released := hold(user, "A", []string{"A-3"}, 0)
	if _, err := client.Release(ctx, released.ID, user); err != nil {
		t.Fatal(err)
	}
	confirmed := hold(user, "A", []string{"A-4"}, 0)
	if _, err := client.Confirm(ctx, actors.ConfirmRequest{HoldID: confirmed.ID, UserID: user, PaymentToken: "tok_ok"}); err != nil {
		t.Fatal(err)
	}
	lapsed := hold(user, "A", []string{"B-1"}, 0)
	// Past its expiry, not yet expired by its section.
	if _, err := pool.Exec(ctx, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1`, lapsed.ID); err != nil {
		t.Fatal(err)
	}
	hold(ev.ID+"-other", "A", []string{"B-2"}, 0)

	got, err := s.ListHolds(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != places.ID || got[1].ID != kept.ID {
		t.Fatalf("listed %+v, want %s then %s", got, places.ID, kept.ID)
	}
	if got[1].Status != actors.HoldHeld || len(got[1].Seats) != 1 || got[1].Seats[0] != "A-2" || got[0].Quantity != 2 {
		t.Fatalf("listed holds differ from the committed ones: %+v", got)
	}
	none, err := s.ListHolds(ctx, ev.ID+"-nobody")
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("a fan without holds: %v, %v (want an empty list)", none, err)
	}
}

package waitingroom

import (
	"context"
	"fmt"
	"testing"
)

// The first fans of a rush that starts with its room join before the controller's
// first step: their ETAs count on the rate the controller starts from with idle
// sections (128 fans a second for one section at the default bound), not on one fan
// a second. The estimate is the ticket's, not the stored status's; a fixed rate
// stands as the admin set it.
func TestTicketETABeforeTheControllersFirstStep(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	s := newTestService(t, store, clock)
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO}); err != nil {
		t.Fatal(err)
	}
	var last Ticket
	for i := range 1000 {
		tk, _, err := s.Join(ctx, "ev1", fmt.Sprint("fan", i))
		if err != nil {
			t.Fatal(err)
		}
		last = tk
	}
	// 999 ahead at 128 a second: 8 s (one fan a second would say 1,000 s).
	if last.Position != 1000 || last.ETASeconds != 8 {
		t.Fatalf("fan 1,000 before any step: %+v, want position 1000 and an ETA of 8 s", last)
	}
	q, err := s.QueueState(ctx, "ev1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if q.Status.ExpectedPerS != 0 {
		t.Fatalf("the stored status changed: %+v", q.Status)
	}
	// A fixed rate is what the admin set, status or not.
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO, AdmitPerS: 5}); err != nil {
		t.Fatal(err)
	}
	if tk, _ := s.Ticket(ctx, last.ID); tk.ETASeconds != 200 {
		t.Fatalf("fan 1,000 at a fixed 5 a second: ETA %d s, want 200", tk.ETASeconds)
	}
}

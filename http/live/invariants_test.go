package live

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

type violations struct {
	mu  sync.Mutex
	got []string
}

func (v *violations) report(t actors.Trace) {
	v.mu.Lock()
	v.got = append(v.got, fmt.Sprintf("%s %s %s", t.Action, t.Actor, t.Reason))
	v.mu.Unlock()
}

func seats(version int64, status actors.SeatStatus, ids ...string) actors.SectionChanged {
	ch := actors.SectionChanged{Version: version, Kind: actors.KindReserved}
	for _, id := range ids {
		ch.Changes = append(ch.Changes, actors.SeatStatusChange{ID: id, Status: status})
	}
	return ch
}

func TestInvariantsPassAnHonestStream(t *testing.T) {
	v := &violations{}
	inv := NewInvariants(v.report)
	inv.Changed("e", "A", seats(7, actors.SeatHeld, "A-1")) // the first version seen is the start
	inv.Changed("e", "A", seats(8, actors.SeatSold, "A-1"))
	inv.Changed("e", "A", seats(8, actors.SeatSold, "A-1")) // redelivered
	inv.Changed("e", "A", seats(9, actors.SeatAvailable, "A-1"))
	inv.Changed("e", "A", seats(10, actors.SeatSold, "A-1")) // sold again after a cancel
	inv.Changed("e", "B", seats(1, actors.SeatSold, "A-1"))  // another section's seat
	if len(v.got) != 0 {
		t.Fatalf("violations of an honest stream: %v", v.got)
	}
}

func TestInvariantsFlagASeatSoldTwiceAndAVersionGap(t *testing.T) {
	v := &violations{}
	inv := NewInvariants(v.report)
	inv.Changed("e", "A", seats(1, actors.SeatSold, "A-1"))
	inv.Changed("e", "A", seats(2, actors.SeatSold, "A-1"))
	inv.Changed("e", "A", seats(5, actors.SeatHeld, "A-2"))
	want := []string{
		"sold_once e/A seat A-1 sold again at version 2 while sold",
		"versions_gap_free e/A version 5 followed 2: 2 missing",
	}
	if !slices.Equal(v.got, want) {
		t.Fatalf("violations = %q, want %q", v.got, want)
	}
}

func booking(order string, version int64, ids ...string) actors.BookingCreated {
	return actors.BookingCreated{OrderID: order, Seats: ids, Quantity: len(ids), SectionVersion: version}
}

func TestInvariantsPassConfirmedOrdersWhoseSeatsAreSold(t *testing.T) {
	v := &violations{}
	inv := NewInvariants(v.report)
	inv.Changed("e", "A", seats(1, actors.SeatHeld, "A-1", "A-2"))
	inv.Confirmed("e", "A", booking("o1", 2, "A-1", "A-2")) // before its version: waits
	inv.Changed("e", "A", seats(2, actors.SeatSold, "A-1", "A-2"))
	inv.Changed("e", "A", seats(3, actors.SeatAvailable, "A-1")) // cancelled later
	inv.Confirmed("e", "A", booking("o1", 2, "A-1", "A-2"))      // redelivered after the cancel
	inv.Confirmed("e", "A", booking("o2", 2, "A-9"))             // a seat never seen
	inv.Confirmed("e", "GA", booking("o3", 4))                   // general admission
	if len(v.got) != 0 {
		t.Fatalf("violations of an honest stream: %v", v.got)
	}
}

func TestInvariantsFlagAConfirmedOrderWhoseSeatIsNotSold(t *testing.T) {
	for name, feed := range map[string]func(inv *Invariants){
		"order after its version": func(inv *Invariants) {
			inv.Changed("e", "A", seats(1, actors.SeatHeld, "A-1", "A-2"))
			inv.Changed("e", "A", seats(2, actors.SeatSold, "A-1"))
			inv.Confirmed("e", "A", booking("o1", 2, "A-1", "A-2"))
		},
		"order before its version": func(inv *Invariants) {
			inv.Changed("e", "A", seats(1, actors.SeatHeld, "A-1", "A-2"))
			inv.Confirmed("e", "A", booking("o1", 2, "A-1", "A-2"))
			inv.Changed("e", "A", seats(2, actors.SeatSold, "A-1"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			v := &violations{}
			feed(NewInvariants(v.report))
			want := []string{"confirmed_seats_sold e/A order o1 confirmed seat A-2 at version 2, which the section shows held"}
			if !slices.Equal(v.got, want) {
				t.Fatalf("violations = %q, want %q", v.got, want)
			}
		})
	}
}

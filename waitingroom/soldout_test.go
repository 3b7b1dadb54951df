package waitingroom

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"go.uber.org/zap"
)

// memInventory is an event's seats left, set by the test.
type memInventory struct {
	mu    sync.Mutex
	seats int
	err   error
}

func (m *memInventory) set(seats int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seats, m.err = seats, err
}

func (m *memInventory) SeatsAvailable(context.Context, string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seats, m.err
}

// A room whose event has no seat left (or none that the fans just admitted will not
// take) admits nobody and tells its waiting fans at once that it is sold out; when
// seats return it admits again, never more fans than seats are left; an inventory that
// cannot be read does not stop the room.
func TestRoomStopsAdmittingWhenSoldOut(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	inv := &memInventory{seats: 3}
	s := newTestService(t, store, clock)
	c, err := NewController(ControllerConfig{Store: store, Headroom: &memSignals{}, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: clock, Rand: rand.New(rand.NewPCG(1, 1)), Inventory: inv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO, AdmitPerS: 100}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 20 {
		tk, _, err := s.Join(ctx, "ev1", fmt.Sprintf("fan-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	step := func() QueueState {
		t.Helper()
		clock.Advance(DefaultRateEvery)
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
		q, _ := store.QueueState(ctx, "ev1", 0, 0)
		return q
	}
	step() // starts the clock
	// 25 fans' worth of credit, 3 seats: 3 admitted.
	if q := step(); q.Watermark != 3 || q.Status.SoldOut {
		t.Fatalf("with 3 seats left: watermark %d, sold out %v; want 3 admitted", q.Watermark, q.Status.SoldOut)
	}
	// The store shows 5 seats left, but the 3 fans just admitted have not held yet:
	// 2 more.
	inv.set(5, nil)
	if q := step(); q.Watermark != 5 {
		t.Fatalf("5 seats left, 3 fans in flight: watermark %d, want 5", q.Watermark)
	}
	// Still 5 seats shown, but 5 fans in flight: none left for a waiting fan.
	if q := step(); q.Watermark != 5 || !q.Status.SoldOut {
		t.Fatalf("5 seats left, 5 fans in flight: watermark %d, sold out %v; want sold out", q.Watermark, q.Status.SoldOut)
	}
	inv.set(0, nil)
	if q := step(); q.Watermark != 5 || !q.Status.SoldOut {
		t.Fatalf("with no seat left: watermark %d, sold out %v", q.Watermark, q.Status.SoldOut)
	}
	waiting, _ := s.Ticket(ctx, ids[10])
	if waiting.Status != TicketSoldOut || waiting.ETASeconds != 0 || waiting.Pass != "" {
		t.Fatalf("a waiting fan's ticket while sold out: %+v", waiting)
	}
	admitted, _ := s.Ticket(ctx, ids[0])
	if admitted.Status != TicketAdmitted || admitted.Pass == "" {
		t.Fatalf("an admitted fan's ticket while sold out: %+v", admitted)
	}
	late, _, err := s.Join(ctx, "ev1", "late")
	if err != nil || late.Status != TicketSoldOut {
		t.Fatalf("a fan joining a sold-out room: %+v, %v", late, err)
	}
	for range 8 {
		if q := step(); q.Watermark != 5 {
			t.Fatalf("sold out, yet the watermark rose to %d", q.Watermark)
		}
	}
	// A hold expired: two seats are back (the fans admitted before hold theirs by now),
	// for the next two fans; the others still read sold out.
	inv.set(2, nil)
	if q := step(); q.Watermark != 7 || !q.Status.SoldOut || q.Status.SoldOutAfter != 7 {
		t.Fatalf("two seats back: watermark %d, sold out %v after %d; want 7, sold out after 7", q.Watermark, q.Status.SoldOut, q.Status.SoldOutAfter)
	}
	if tk, _ := s.Ticket(ctx, ids[6]); tk.Status != TicketAdmitted {
		t.Fatalf("the fan a returned seat went to: %+v", tk)
	}
	if tk, _ := s.Ticket(ctx, ids[10]); tk.Status != TicketSoldOut {
		t.Fatalf("a waiting fan no returned seat covers: %+v", tk)
	}
	// The inventory cannot be read: the room admits at its rate.
	inv.set(0, errors.New("store down"))
	if q := step(); q.Watermark != 21 || q.Status.SoldOut {
		t.Fatalf("inventory unreadable: watermark %d, sold out %v; want everyone admitted", q.Watermark, q.Status.SoldOut)
	}
}

// Seats that return after a sold-out tell reopen the room to as many fans as there are
// seats, next in line, and to nobody else: the tickets of those the step cannot admit
// yet read waiting, everyone's beyond still reads sold out. When the returned seats
// turned every waiting ticket back to waiting, the queue websocket sent 3,687
// followers of a 10,000-fan sale their tickets again for a handful of seats.
func TestSeatsBackAfterSoldOutReopenTheRoomToAsManyFans(t *testing.T) {
	r := newPaceRig(t)
	r.seats(100)
	r.stepsTo(20, 80, "100 seats (the window's 80)")
	r.hold(0, 80)
	r.seats(0)
	r.stepSoldOut(80, "no seat left, the holds answered")
	ticket := func(i int) TicketStatus {
		t.Helper()
		tk, err := r.svc.Ticket(r.ctx, r.ids[i])
		if err != nil {
			t.Fatal(err)
		}
		return tk.Status
	}
	// 3 seats released: the next 3 fans are admitted, the rest still read sold out.
	r.seats(3)
	r.stepSoldOut(83, "3 seats back (sold out still for the rest)")
	if got := [2]TicketStatus{ticket(82), ticket(83)}; got != [2]TicketStatus{TicketAdmitted, TicketSoldOut} {
		t.Fatalf("3 seats back: the 83rd and 84th fans read %v; want admitted, sold out", got)
	}
	// 50 seats back, more than a step admits (a tick's 20): the 30 fans after those
	// admitted read waiting, for their turn; the 134th reads sold out.
	r.hold(80, 83)
	r.seats(50)
	r.stepSoldOut(103, "50 seats back (sold out still beyond the seats)")
	if got := [3]TicketStatus{ticket(103), ticket(132), ticket(133)}; got != [3]TicketStatus{TicketWaiting, TicketWaiting, TicketSoldOut} {
		t.Fatalf("50 seats back, 20 admitted: fans 104, 133 and 134 read %v; want waiting, waiting, sold out", got)
	}
}

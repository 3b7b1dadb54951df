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
	// A hold expired: two seats are back (the fans admitted before hold theirs by now).
	inv.set(2, nil)
	if q := step(); q.Watermark != 7 || q.Status.SoldOut {
		t.Fatalf("two seats back: watermark %d, sold out %v; want 7", q.Watermark, q.Status.SoldOut)
	}
	if tk, _ := s.Ticket(ctx, ids[10]); tk.Status != TicketWaiting || tk.Ahead != 3 {
		t.Fatalf("a waiting fan once seats returned: %+v", tk)
	}
	// The inventory cannot be read: the room admits at its rate.
	inv.set(0, errors.New("store down"))
	if q := step(); q.Watermark != 21 || q.Status.SoldOut {
		t.Fatalf("inventory unreadable: watermark %d, sold out %v; want everyone admitted", q.Watermark, q.Status.SoldOut)
	}
}

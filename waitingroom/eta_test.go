package waitingroom

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"go.uber.org/zap"
)

// At the start of a sale, while the node answers the joins (nobody admitted yet, the
// rate at its initial 10 fans a second), a waiting ticket's ETA counts on the rate the room
// is about to admit at (what the sections' idle mailboxes take in a step), and a fan
// beyond the seats left (one a fan) waits only until the fans those seats cover are
// admitted: then it reads sold out. At 10 fans a second the fan at position 50 was told
// 5 s and the one at 4,000 400 s, and a page that polls by the ETA came back 2 s late
// for its pass or its sold-out answer.
func TestTicketETAAtASalesStart(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	s := newTestService(t, store, clock)
	inv := &memInventory{seats: 100}
	signals := &memSignals{}
	c, err := NewController(ControllerConfig{Store: store, Headroom: signals, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: clock, Rand: rand.New(rand.NewPCG(1, 1)), Inventory: inv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO}); err != nil {
		t.Fatal(err)
	}
	ids := make(map[int64]string)
	for i := range 4000 {
		tk, _, err := s.Join(ctx, "ev1", fmt.Sprintf("fan-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids[tk.Position] = tk.ID
	}
	clock.Advance(DefaultRateEvery)
	// The node still answers the joins (a backlog of 500): nobody is admitted and the
	// rate stands at 10/s. Its eight idle sections take 32 holds each in a rate step
	// (250 ms): 1,024 fans/s once it is done.
	signals.signals = []Signal{{EventID: "ev1", Node: "n1", At: clock.Now(), Sections: 8, Backlog: 500}}
	if err := c.Step(ctx); err != nil {
		t.Fatal(err)
	}
	q, _ := store.QueueState(ctx, "ev1", 0, 0)
	if q.Watermark != 0 || q.Status.AdmittingPerS != 10 {
		t.Fatalf("a busy node: watermark %d, rate %v; want nobody admitted, the rate at 10/s", q.Watermark, q.Status.AdmittingPerS)
	}
	for _, c := range []struct {
		pos int64
		eta int64
	}{
		{1, 1},
		{50, 1},   // 50 fans at 1,024/s; 5 s at 10/s
		{100, 1},  // the last with a seat
		{101, 1},  // the first beyond the seats
		{4000, 1}, // told sold out once 100 fans are admitted, not 4,000 (4 s)
	} {
		tk, err := s.Ticket(ctx, ids[c.pos])
		if err != nil {
			t.Fatal(err)
		}
		if tk.Status != TicketWaiting || tk.ETASeconds != c.eta {
			t.Fatalf("position %d: %s, eta %d s; want waiting, %d s", c.pos, tk.Status, tk.ETASeconds, c.eta)
		}
	}
	// With 2,000 seats left the fans they cover wait their turn at 1,024/s.
	inv.set(2000, nil)
	clock.Advance(DefaultRateEvery)
	signals.signals = []Signal{{EventID: "ev1", Node: "n1", At: clock.Now(), Sections: 8, Backlog: 500}}
	if err := c.Step(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pos int64
		eta int64
	}{
		{1000, 1},
		{1500, 2},
		{2000, 2},
		{3500, 2}, // beyond the seats: 2,000 fans first
	} {
		tk, err := s.Ticket(ctx, ids[c.pos])
		if err != nil {
			t.Fatal(err)
		}
		if tk.Status != TicketWaiting || tk.ETASeconds != c.eta {
			t.Fatalf("2,000 seats, position %d: %s, eta %d s; want waiting, %d s", c.pos, tk.Status, tk.ETASeconds, c.eta)
		}
	}
}

// A room at a fixed rate keeps its ETAs at that rate, and a cut rate counts as it is.
func TestExpectedRate(t *testing.T) {
	idle := Headroom{Sections: 8}
	r := newRateControl(RateConfig{}, 0)
	if got := r.expected(idle); got != 1024 {
		t.Fatalf("idle sections, slow start: expected %v, want 1024", got)
	}
	if got := r.expected(Headroom{Sections: 8, Capacity: 5000}); got != 2000 {
		t.Fatalf("capacity 5,000: expected %v, want UnusedMax 2,000", got)
	}
	r.rate, r.cut = 300, true
	if got := r.expected(Headroom{Sections: 8, Capacity: 1500}); got != 300 {
		t.Fatalf("after a cut: expected %v, want the rate 300", got)
	}
	q := QueueState{Settings: Settings{Enabled: true, AdmitPerS: 5}, Status: Status{ExpectedPerS: 1000}}
	if got := q.etaRate(); got != 5 {
		t.Fatalf("fixed rate 5: eta rate %v", got)
	}
}

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

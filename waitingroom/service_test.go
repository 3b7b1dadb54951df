package waitingroom

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

func newTestController(t *testing.T, store QueueStore, signals HeadroomSource, clock Clock, seed uint64) *Controller {
	t.Helper()
	c, err := NewController(ControllerConfig{Store: store, Headroom: signals, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: clock, Rand: rand.New(rand.NewPCG(seed, seed))})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTicketLifecycle(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	s := newTestService(t, store, clock)
	c := newTestController(t, store, &memSignals{}, clock, 1)

	if _, _, err := s.Join(ctx, "ev1", "alice"); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("join without a room: %v, want NOT_FOUND", err)
	}
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO, AdmitPerS: 4}); err != nil {
		t.Fatal(err)
	}
	alice, created, err := s.Join(ctx, "ev1", "alice")
	if err != nil || !created || alice.Position != 1 || alice.Ahead != 0 || alice.Status != TicketWaiting || alice.Pass != "" {
		t.Fatalf("first join = %+v, %v, %v", alice, created, err)
	}
	again, created, err := s.Join(ctx, "ev1", "alice")
	if err != nil || created || again.ID != alice.ID {
		t.Fatalf("repeat join = %+v, created %v, %v; want the same ticket", again, created, err)
	}
	bob, _, _ := s.Join(ctx, "ev1", "bob")
	carol, _, _ := s.Join(ctx, "ev1", "carol")
	if bob.Position != 2 || carol.Position != 3 || carol.Ahead != 2 || carol.ETASeconds != 1 {
		t.Fatalf("bob %+v, carol %+v: want positions 2 and 3, carol 2 ahead, 1 s at 4/s", bob, carol)
	}

	// At 4 fans a second, one step of 250 ms admits alice.
	step := func() {
		t.Helper()
		clock.Advance(DefaultRateEvery)
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step() // the controller's first step only starts the clock
	step()
	got, err := s.Ticket(ctx, alice.ID)
	if err != nil || got.Status != TicketAdmitted || got.Pass == "" || !got.PassExpiresAt.Equal(clock.Now().Add(PassTTL).Truncate(time.Second)) {
		t.Fatalf("alice after a step: %+v, %v", got, err)
	}
	if err := s.passes.Verify(got.Pass, "ev1", "alice", clock.Now()); err != nil {
		t.Fatalf("alice's pass does not verify: %v", err)
	}
	if got, _ := s.Ticket(ctx, carol.ID); got.Status != TicketWaiting || got.Ahead != 1 {
		t.Fatalf("carol after alice's admission: %+v", got)
	}
	room, _ := s.Room(ctx, "ev1")
	if room.Waiting != 2 || room.Admitted != 1 || room.AdmittingPerS != 4 {
		t.Fatalf("room %+v", room)
	}

	// The pass runs out PassTTL after admission; joining again starts at the back.
	clock.Advance(PassTTL)
	if got, _ := s.Ticket(ctx, alice.ID); got.Status != TicketExpired || got.Pass != "" {
		t.Fatalf("alice after her pass ran out: %+v", got)
	}
	fresh, created, err := s.Join(ctx, "ev1", "alice")
	if err != nil || !created || fresh.ID == alice.ID || fresh.Position != 4 {
		t.Fatalf("join after expiry = %+v, created %v, %v; want a new ticket at position 4", fresh, created, err)
	}
	if _, err := s.Ticket(ctx, "q_nope"); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("unknown ticket: %v", err)
	}
}

func TestAdmissionIsInPositionOrder(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	s := newTestService(t, store, clock)
	c := newTestController(t, store, &memSignals{}, clock, 1)
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO, AdmitPerS: 7}); err != nil {
		t.Fatal(err)
	}
	var tickets []Ticket
	for i := 0; i < 60; i++ {
		tk, _, err := s.Join(ctx, "ev1", fmt.Sprintf("fan-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, tk)
		clock.Advance(100 * time.Millisecond)
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
		// Whatever was admitted so far is a prefix of the positions.
		admitted := true
		for _, old := range tickets {
			now, _ := s.Ticket(ctx, old.ID)
			if now.Status == TicketAdmitted && !admitted {
				t.Fatalf("after %d joins: position %d admitted after a smaller one was not", i+1, now.Position)
			}
			admitted = now.Status == TicketAdmitted
		}
	}
}

func TestRandomOrderShufflesAtOpening(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	s := newTestService(t, store, clock)
	c := newTestController(t, store, &memSignals{}, clock, 7)
	opens := clock.Now().Add(time.Minute)
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderRandom, OpensAt: opens, AdmitPerS: 1}); err != nil {
		t.Fatal(err)
	}
	var early []Ticket
	for i := 0; i < 20; i++ {
		tk, _, err := s.Join(ctx, "ev1", fmt.Sprintf("early-%d", i))
		if err != nil || tk.Position != 0 || tk.Status != TicketWaiting || tk.ETASeconds < 60 {
			t.Fatalf("join before opening = %+v, %v; want no position and a wait past the opening", tk, err)
		}
		early = append(early, tk)
	}
	if err := c.Step(ctx); err != nil { // before the opening: nothing happens
		t.Fatal(err)
	}
	if tk, _ := s.Ticket(ctx, early[0].ID); tk.Position != 0 {
		t.Fatalf("shuffled before the opening: %+v", tk)
	}
	clock.now = opens
	if err := c.Step(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	inOrder := true
	for i, e := range early {
		tk, _ := s.Ticket(ctx, e.ID)
		if tk.Position < 1 || tk.Position > 20 || seen[tk.Position] {
			t.Fatalf("after the opening %s has position %d", e.UserID, tk.Position)
		}
		seen[tk.Position] = true
		inOrder = inOrder && tk.Position == int64(i+1)
	}
	if inOrder {
		t.Fatal("the shuffle kept the joining order")
	}
	late, _, _ := s.Join(ctx, "ev1", "late")
	if late.Position != 21 {
		t.Fatalf("a fan joining after the opening got position %d, want 21", late.Position)
	}
	before := map[string]int64{}
	for _, e := range early {
		tk, _ := s.Ticket(ctx, e.ID)
		before[e.ID] = tk.Position
	}
	for i := 0; i < 8; i++ {
		clock.Advance(DefaultRateEvery)
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range early {
		if tk, _ := s.Ticket(ctx, e.ID); tk.Position != before[e.ID] {
			t.Fatalf("%s moved from %d to %d after the shuffle", e.UserID, before[e.ID], tk.Position)
		}
	}
}

func TestShuffleIsFair(t *testing.T) {
	// Every order of three fans comes out, each about as often.
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	const draws = 6000
	for i := 0; i < draws; i++ {
		ids := []string{"a", "b", "c"}
		shuffle(ids, rng)
		counts[strings.Join(ids, "")]++
	}
	if len(counts) != 6 {
		t.Fatalf("orders drawn: %v, want all 6", counts)
	}
	for order, n := range counts {
		if n < draws/6*8/10 || n > draws/6*12/10 {
			t.Errorf("order %s drawn %d times of %d, want about %d", order, n, draws, draws/6)
		}
	}
}

func TestHeadroomRoomReportsItsRate(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	signals := &memSignals{}
	s := newTestService(t, store, clock)
	c := newTestController(t, store, signals, clock, 1)
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO}); err != nil {
		t.Fatal(err)
	}
	room, _ := s.Room(ctx, "ev1")
	if room.AdmittingPerS != 10 || room.AdmitPerS != 0 {
		t.Fatalf("fresh headroom room %+v: want the initial 10/s", room)
	}
	// Enough fans that some still wait after the slow start's doubling steps.
	const fans = 5000
	for i := 0; i < fans; i++ {
		if _, _, err := s.Join(ctx, "ev1", fmt.Sprintf("fan-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Idle sections: the first step starts at what their mailboxes take (128/s), then
	// two doubling steps: still under the cap, still rising.
	for i := 0; i < 3; i++ {
		clock.Advance(DefaultRateEvery)
		signals.signals = []Signal{{EventID: "ev1", Node: "n1", At: clock.Now(), Sections: 1, CommitMs: 2}}
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	room, _ = s.Room(ctx, "ev1")
	if room.AdmittingPerS <= 10 || room.Admitted == 0 || room.Waiting != fans-room.Admitted {
		t.Fatalf("after idle steps: %+v, want a rate above the initial one and fans admitted", room)
	}
	q, _ := store.QueueState(ctx, "ev1", 0, 0)
	if q.Status.Change != ChangeRaise || q.Status.Headroom.Nodes != 1 {
		t.Fatalf("status %+v", q.Status)
	}
	// A stale signal (a dead node) is ignored.
	signals.signals[0].At = clock.Now().Add(-time.Minute)
	signals.signals[0].MaxDepth = 10000
	clock.Advance(DefaultRateEvery)
	if err := c.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if q, _ := store.QueueState(ctx, "ev1", 0, 0); q.Status.Change == ChangeCut || q.Status.Headroom.Nodes != 0 {
		t.Fatalf("a stale signal counted: %+v", q.Status)
	}
}

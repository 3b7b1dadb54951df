package waitingroom

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"go.uber.org/zap"
)

// The controller has the store forget every enabled room's old tickets once a second,
// with its TicketRetention, at every step while a sweep is on its way, and never with
// no retention (tickets kept for as long as the room's state).
func TestControllerForgetsOldTicketsOnceASecond(t *testing.T) {
	ctx := context.Background()
	for _, retention := range []time.Duration{0, time.Hour} {
		store := newMemStore()
		clock := newFakeClock()
		s := newTestService(t, store, clock)
		c, err := NewController(ControllerConfig{Store: store, Headroom: &memSignals{}, Leases: openLeases{}, Node: "n1",
			Logger: zap.NewNop(), Clock: clock, Rand: rand.New(rand.NewPCG(1, 1)), TicketRetention: retention})
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range []Settings{
			{EventID: "ev1", Enabled: true, Order: OrderFIFO},
			{EventID: "ev2", Enabled: true, Order: OrderFIFO, AdmitPerS: 5},
			{EventID: "off", Enabled: false, Order: OrderFIFO},
		} {
			if _, err := s.SetRoom(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		step := func() {
			t.Helper()
			clock.Advance(DefaultControllerTick)
			if err := c.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for range 100 { // 5 s
			step()
		}
		calls := map[string]int{}
		for _, f := range store.forgets {
			calls[f.eventID]++
			if f.retention != retention {
				t.Fatalf("retention %v: forgot with %v", retention, f.retention)
			}
		}
		if len(store.roomForgets) != 0 {
			t.Fatalf("retention %v: the room disabled 5 s ago was forgotten", retention)
		}
		if retention == 0 {
			if len(store.forgets) != 0 {
				t.Fatalf("no retention: %d calls to forget; want none", len(store.forgets))
			}
			continue
		}
		if calls["ev1"] < 5 || calls["ev1"] > 6 || calls["ev2"] != calls["ev1"] || calls["off"] != 0 {
			t.Fatalf("calls in 5 s by room: %v; want 5 or 6 for each enabled room, none for the one off", calls)
		}
		// A sweep on its way goes on at every step: within a second each room's next
		// call answers that one is, then every step calls again.
		store.sweeps = 1 << 20
		for range 20 {
			step()
		}
		store.forgets = nil
		for range 10 {
			step()
		}
		if len(store.forgets) != 20 {
			t.Fatalf("%d calls in 10 steps of 2 rooms while sweeping; want one a step and room", len(store.forgets))
		}
	}
}

// A room disabled for the retention is forgotten, at every step until the store says
// it is done, then not again until it is disabled anew; an enabled room, a room
// disabled for less than the retention, or a controller with no retention, never.
func TestControllerForgetsADisabledRoomAfterTheRetention(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	s := newTestService(t, store, clock)
	const retention = time.Minute
	c, err := NewController(ControllerConfig{Store: store, Headroom: &memSignals{}, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: clock, Rand: rand.New(rand.NewPCG(1, 1)), TicketRetention: retention})
	if err != nil {
		t.Fatal(err)
	}
	set := func(id string, enabled bool) {
		t.Helper()
		if _, err := s.SetRoom(ctx, Settings{EventID: id, Enabled: enabled, Order: OrderFIFO}); err != nil {
			t.Fatal(err)
		}
	}
	step := func(n int) {
		t.Helper()
		for range n {
			clock.Advance(DefaultControllerTick)
			if err := c.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	set("on", true)
	set("off", false)
	step(1190) // 59.5 s
	if len(store.roomForgets) != 0 {
		t.Fatalf("%d calls to forget a room disabled for less than the retention", len(store.roomForgets))
	}
	store.roomSweeps = 3 // three pages, then done
	step(20)
	if len(store.roomForgets) != 4 {
		t.Fatalf("%d calls past the retention; want 4 (3 pages, then done)", len(store.roomForgets))
	}
	for _, f := range store.roomForgets {
		if f.eventID != "off" || f.retention != retention {
			t.Fatalf("forgot %+v; want the disabled room, with the retention", f)
		}
	}
	// Enabled, then disabled again: forgotten anew a retention later.
	set("off", true)
	step(2)
	set("off", false)
	store.roomForgets = nil
	step(1199)
	if len(store.roomForgets) != 0 {
		t.Fatalf("%d calls within the retention of the second disabling", len(store.roomForgets))
	}
	step(2)
	if len(store.roomForgets) != 1 {
		t.Fatalf("%d calls once the second disabling is a retention old; want 1", len(store.roomForgets))
	}
}

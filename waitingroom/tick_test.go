package waitingroom

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"go.uber.org/zap"
)

// The controller admits at every tick, a few fans at a time, but moves its rate only
// once per signal interval: in slow start the rate doubles per interval, not per tick,
// and the headroom is read as often as it is published.
func TestControllerAdmitsInSmallStepsAndRatesPerSignal(t *testing.T) {
	ctx := context.Background()
	signals := &countingSignals{}
	store, clock, c := fullFIFORoom(t, signals)
	step := func() QueueState {
		t.Helper()
		clock.Advance(DefaultControllerTick)
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
		q, _ := store.QueueState(ctx, "ev1", 0, 0)
		return q
	}
	step() // the first step starts the clock and moves the rate once: 400 doubles to 800
	perInterval := int(DefaultRateEvery / DefaultControllerTick)
	var rates []float64
	prev := int64(0)
	for i := range 2 * perInterval {
		q := step()
		admitted := q.Watermark - prev
		prev = q.Watermark
		// At most 1,600 fans/s, 50 ms admit 80 at most: never a quarter second's worth.
		if admitted > int64(q.Status.AdmittingPerS*DefaultControllerTick.Seconds())+1 {
			t.Fatalf("step %d admitted %d fans at %.0f/s: more than one tick's worth", i, admitted, q.Status.AdmittingPerS)
		}
		if admitted == 0 {
			t.Fatalf("step %d admitted nobody at %.0f/s", i, q.Status.AdmittingPerS)
		}
		rates = append(rates, q.Status.AdmittingPerS)
	}
	// Two signal intervals: the rate doubled twice, not at every tick.
	if got := rates[len(rates)-1]; got != 3200 && got != 2000 {
		// 2000 is the default cap.
		t.Fatalf("rates %v: want 2 doublings over 2 intervals, capped at 2000", rates)
	}
	if want := 1 + 2; signals.reads != want {
		t.Fatalf("headroom read %d times over %d ticks; want %d (once per interval)", signals.reads, 1+2*perInterval, want)
	}
}

// countingSignals is an idle headroom that counts its reads.
type countingSignals struct{ reads int }

func (s *countingSignals) Signals(context.Context, string) ([]Signal, error) {
	s.reads++
	return nil, nil
}

// While a node's backlog is over the bound the room admits nobody, its credit does not
// build up and its rate stands; once the backlog drains it admits again at that rate.
func TestControllerHoldsAdmissionWhileANodeIsBusy(t *testing.T) {
	step := busyRoom(t)
	var q QueueState
	for range 20 {
		q = step(5000)
		if q.Watermark != 0 || q.Status.Change != ChangeBusy {
			t.Fatalf("busy node: watermark %d, status %+v; want nobody admitted, busy", q.Watermark, q.Status)
		}
	}
	if q.Status.AdmittingPerS != 400 {
		t.Fatalf("busy for a second: rate %v; want it to stand at 400", q.Status.AdmittingPerS)
	}
	q = step(10) // drained: the first step starts the credit's clock afresh
	if q.Watermark != 0 {
		t.Fatalf("first step after the backlog drained admitted %d: a burst of the busy time", q.Watermark)
	}
	q = step(10)
	if q.Watermark == 0 || q.Watermark > int64(q.Status.AdmittingPerS*DefaultControllerTick.Seconds())+1 {
		t.Fatalf("after the backlog drained: watermark %d at %v/s; want one step's worth", q.Watermark, q.Status.AdmittingPerS)
	}
}

// A node busy for longer than BusyMax is busy with what waiting does not drain (its
// waiting fans polling their tickets, say): the room admits at its rate, a step's
// worth at a time, and holds back again only for a new burst.
func TestControllerAdmitsPastBusyMax(t *testing.T) {
	step := busyRoom(t)
	busyMax := int(RateConfig{}.withDefaults().BusyMax / DefaultControllerTick)
	for i := range busyMax {
		if q := step(5000); q.Watermark != 0 || q.Status.Change != ChangeBusy {
			t.Fatalf("busy step %d of %d: watermark %d, status %+v; want nobody admitted, busy", i, busyMax, q.Watermark, q.Status)
		}
	}
	step(5000) // past BusyMax: the credit's clock starts
	prev := int64(0)
	for i := range 10 {
		q := step(5000)
		n := q.Watermark - prev
		prev = q.Watermark
		if n == 0 || n > int64(q.Status.AdmittingPerS*DefaultControllerTick.Seconds())+1 {
			t.Fatalf("step %d busy past BusyMax: admitted %d at %v/s; want one step's worth", i, n, q.Status.AdmittingPerS)
		}
	}
	// Drained, then a new burst (the headroom is read once a rate step): held back.
	perRate := int(DefaultRateEvery / DefaultControllerTick)
	for range perRate {
		step(10)
	}
	for range perRate {
		prev = step(5000).Watermark
	}
	if q := step(5000); q.Watermark != prev || q.Status.Change != ChangeBusy {
		t.Fatalf("a new burst: watermark %d (was %d), status %+v; want nobody admitted, busy", q.Watermark, prev, q.Status)
	}
}

// busyRoom is fullFIFORoom with a step function: one controller tick with the node's
// backlog at backlog, and the queue after it.
func busyRoom(t *testing.T) func(backlog int) QueueState {
	t.Helper()
	ctx := context.Background()
	signals := &memSignals{}
	store, clock, c := fullFIFORoom(t, signals)
	return func(backlog int) QueueState {
		t.Helper()
		clock.Advance(DefaultControllerTick)
		signals.mu.Lock()
		signals.signals = []Signal{{EventID: "ev1", Node: "n1", At: clock.Now(), Sections: 1, Backlog: backlog}}
		signals.mu.Unlock()
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
		q, _ := store.QueueState(ctx, "ev1", 0, 0)
		return q
	}
}

// fullFIFORoom is a FIFO room on event ev1 with 5,000 fans joined, and a controller that
// reads headroom from signals and starts at 400 fans/s.
func fullFIFORoom(t *testing.T, signals HeadroomSource) (*memStore, *fakeClock, *Controller) {
	t.Helper()
	ctx := context.Background()
	store := newMemStore()
	clock := newFakeClock()
	s := newTestService(t, store, clock)
	c, err := NewController(ControllerConfig{Store: store, Headroom: signals, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: clock, Rand: rand.New(rand.NewPCG(1, 1)), Rate: RateConfig{Initial: 400}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO}); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		if _, _, err := s.Join(ctx, "ev1", fmt.Sprintf("fan-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return store, clock, c
}

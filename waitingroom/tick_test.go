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
	store := newMemStore()
	clock := newFakeClock()
	signals := &countingSignals{}
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

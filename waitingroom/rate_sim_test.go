package waitingroom

import (
	"math"
	"testing"
)

// simSection is a section that decides at most capacity decisions a second, one per
// admitted fan, writing a batch every commitMs while busy (group commit: a batch carries
// everything decided meanwhile), and whose mailbox holds what it could not decide yet.
type simSection struct {
	capacity float64
	commitMs float64
	depth    float64
}

// step runs the section for one controller tick at the admission rate and returns the
// headroom its node would publish.
func (s *simSection) step(rate float64) Headroom {
	dt := DefaultRateEvery.Seconds()
	offered := rate*dt + s.depth
	served := math.Min(offered, s.capacity*dt)
	s.depth = offered - served
	h := Headroom{Nodes: 1, Sections: 1, DecisionsPerS: served / dt, MaxDepth: int(s.depth)}
	if served >= 1 {
		batches := math.Min(served, dt*1000/s.commitMs)
		sig := Signal{Sections: 1, CommitMs: s.commitMs, DecisionsPerBatch: served / batches}
		h.CommitMs, h.Capacity = s.commitMs, sig.capacity()
	}
	return h
}

// simulate drives a room's rate controller against sec for steps ticks; capacityAt, when
// set, changes the section's capacity before each step. It returns the rates.
func simulate(cfg RateConfig, sec *simSection, steps int, capacityAt func(step int) float64) []float64 {
	rates, _ := run(cfg, 0, steps, 1_000_000, func(step int, rate float64) Headroom {
		if capacityAt != nil {
			sec.capacity = capacityAt(step)
		}
		return sec.step(rate)
	})
	return rates
}

// From the initial 10 fans a second, the slow start finds a section that decides 1,500
// a second within a few seconds, and the rate then stays near it, the mailbox short.
func TestRateConvergesNearCapacity(t *testing.T) {
	sec := &simSection{capacity: 1500, commitMs: 5}
	rates := simulate(RateConfig{Max: 5000}, sec, 240, nil)
	reached := -1
	for i, r := range rates {
		if r >= 0.7*sec.capacity {
			reached = i
			break
		}
	}
	if reached < 0 || float64(reached+1)*DefaultRateEvery.Seconds() > 3 {
		t.Fatalf("the rate reached 70%% of the capacity at step %d (rates %v); want within 3 s", reached, rates[:20])
	}
	sum := 0.0
	for _, r := range rates[40:] {
		sum += r
	}
	if mean := sum / float64(len(rates[40:])); mean < 0.6*sec.capacity || mean > 1.3*sec.capacity {
		t.Fatalf("after 10 s the rate averaged %v for a capacity of %v", mean, sec.capacity)
	}
	if sec.depth > 1000 {
		t.Fatalf("the mailbox ended %v deep: the rate ran past the capacity", sec.depth)
	}
}

// When the section slows down (its capacity falls to a fifth), the rate follows it
// down within two seconds, and the mailbox drains.
func TestRateBacksOffWhenTheMailboxGrows(t *testing.T) {
	sec := &simSection{capacity: 1500, commitMs: 5}
	rates := simulate(RateConfig{Max: 5000}, sec, 200, func(step int) float64 {
		if step >= 100 {
			return 300
		}
		return 1500
	})
	if rates[99] < 700 {
		t.Fatalf("rate %v before the slowdown; want it near 1500", rates[99])
	}
	if r := rates[100+8]; r > 2*300 {
		t.Fatalf("rate %v two seconds after the capacity fell to 300 (rates %v)", r, rates[98:110])
	}
	if sec.depth > 200 {
		t.Fatalf("the mailbox is %v deep 25 s after the slowdown: it never drained", sec.depth)
	}
}

// A section that already showed its capacity (batches written) lets the room start
// there instead of climbing from the initial rate.
func TestRateStartsFromMeasuredCapacity(t *testing.T) {
	r := newRateControl(RateConfig{Max: 5000}, 0)
	now := newFakeClock().Now()
	// 4 decisions a batch, a batch every 5 ms: 800 decisions a second.
	sig := Signal{Sections: 1, CommitMs: 5, DecisionsPerBatch: 4, Batches: 10, At: now}
	rate, change := r.update(Aggregate([]Signal{sig}, now), true, true, now)
	if change != ChangeRaise || rate != 800 {
		t.Fatalf("first step: %v (%s); want the measured 800", rate, change)
	}
}

package waitingroom

import (
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ now time.Time }

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// run drives one room's controller step by step on a fake clock, the way the
// Controller does: each step reads the headroom, moves the rate (or takes the fixed
// one) and admits the fans the credit allows. It returns the rate after every step and
// the fans admitted in total.
func run(cfg RateConfig, fixed, steps int, waiting int64, signal func(step int, rate float64) Headroom) ([]float64, int64) {
	clock := newFakeClock()
	rc := &roomControl{rate: newRateControl(cfg, 0)}
	var rates []float64
	var admitted int64
	rc.admit.take(clock.Now(), 0, 0) // the controller's first step: admission starts now
	for i := 0; i < steps; i++ {
		clock.Advance(DefaultRateEvery)
		rate := float64(fixed)
		if fixed == 0 {
			rate, _ = rc.rate.update(signal(i, rc.rate.rate), waiting-admitted > 0, true, clock.Now())
		}
		admitted += rc.admit.take(clock.Now(), rate, waiting-admitted)
		rates = append(rates, rate)
	}
	return rates, admitted
}

func TestControllerFollowsTheHeadroom(t *testing.T) {
	idle := func(int, float64) Headroom { return Headroom{Nodes: 1, Sections: 2, CommitMs: 2} }
	tests := []struct {
		name   string
		cfg    RateConfig
		fixed  int
		steps  int
		signal func(step int, rate float64) Headroom
		check  func(t *testing.T, rates []float64, admitted int64)
	}{{
		name: "idle sections: the rate rises to the cap and stays there", steps: 80, signal: idle,
		cfg: RateConfig{Max: 500},
		check: func(t *testing.T, rates []float64, _ int64) {
			for i := 1; i < len(rates); i++ {
				if rates[i] < rates[i-1] {
					t.Fatalf("step %d: the rate fell from %v to %v with idle sections", i, rates[i-1], rates[i])
				}
			}
			if got := rates[len(rates)-1]; got != 500 {
				t.Fatalf("rate %v after %d idle steps, want the cap 500", got, len(rates))
			}
		},
	}, {
		name: "no signal at all (no section active yet): rises like idle", steps: 80, cfg: RateConfig{Max: 300},
		signal: func(int, float64) Headroom { return Headroom{} },
		check: func(t *testing.T, rates []float64, _ int64) {
			if got := rates[len(rates)-1]; got != 300 {
				t.Fatalf("rate %v, want the cap 300", got)
			}
		},
	}, {
		name: "a growing mailbox: the rate falls", steps: 12, cfg: RateConfig{Initial: 400},
		// The mailbox deepens by 10 messages a step whatever the rate does.
		signal: func(step int, _ float64) Headroom { return Headroom{Nodes: 1, MaxDepth: 10 * (step + 1), CommitMs: 2} },
		check: func(t *testing.T, rates []float64, _ int64) {
			if rates[len(rates)-1] >= 400/2 {
				t.Fatalf("rates %v: want cut at least in half", rates)
			}
			for i := 1; i < len(rates); i++ {
				if rates[i] > rates[i-1] {
					t.Fatalf("step %d: the rate rose from %v to %v while the mailbox grew", i, rates[i-1], rates[i])
				}
			}
		},
	}, {
		name: "capacity: the rate settles around what the sections keep up with", steps: 400, cfg: RateConfig{Max: 2000},
		// The sections keep up with 300 fans a second; above it the mailbox fills.
		signal: func(_ int, rate float64) Headroom {
			depth := 0
			if rate > 300 {
				depth = int((rate - 300) / 2)
			}
			return Headroom{Nodes: 1, MaxDepth: depth, CommitMs: 2}
		},
		check: func(t *testing.T, rates []float64, _ int64) {
			lo, hi, sum := rates[200], rates[200], 0.0
			for _, r := range rates[200:] {
				lo, hi, sum = min(lo, r), max(hi, r), sum+r
			}
			// Multiplicative increase overshoots by a step or two before the mailbox
			// shows it, then halves: a sawtooth around the capacity.
			if mean := sum / float64(len(rates[200:])); lo < 100 || hi > 450 || mean < 220 || mean > 380 {
				t.Fatalf("in the second half the rate ranged %v to %v (mean %v); want it around 300", lo, hi, mean)
			}
		},
	}, {
		name: "slow commits: the rate falls", steps: 40, cfg: RateConfig{Initial: 200},
		signal: func(step int, _ float64) Headroom {
			if step < 20 {
				return Headroom{Nodes: 1, CommitMs: 3}
			}
			return Headroom{Nodes: 1, CommitMs: 80}
		},
		check: func(t *testing.T, rates []float64, _ int64) {
			if rates[39] >= rates[19]/2 {
				t.Fatalf("rate %v before the slowdown, %v after: want it cut", rates[19], rates[39])
			}
		},
	}, {
		name: "a fixed rate admits exactly that rate", steps: 40, fixed: 3, // 10 s at 3 fans a second
		check: func(t *testing.T, rates []float64, admitted int64) {
			if admitted != 30 {
				t.Fatalf("admitted %d in 10 s at 3/s, want 30", admitted)
			}
			for _, r := range rates {
				if r != 3 {
					t.Fatalf("rate %v, want 3", r)
				}
			}
		},
	}, {
		name: "a fixed rate faster than the tick", steps: 20, fixed: 37, // 5 s at 37 fans a second
		check: func(t *testing.T, _ []float64, admitted int64) {
			if admitted != 185 {
				t.Fatalf("admitted %d in 5 s at 37/s, want 185", admitted)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rates, admitted := run(tt.cfg, tt.fixed, tt.steps, 1_000_000, tt.signal)
			tt.check(t, rates, admitted)
		})
	}
}

func TestAdmissionNeverBuildsABurst(t *testing.T) {
	clock := newFakeClock()
	var a admission
	// Nobody waits for a minute: no credit piles up.
	for i := 0; i < 240; i++ {
		clock.Advance(DefaultRateEvery)
		if n := a.take(clock.Now(), 100, 0); n != 0 {
			t.Fatalf("admitted %d with nobody waiting", n)
		}
	}
	clock.Advance(DefaultRateEvery)
	if n := a.take(clock.Now(), 100, 1000); n != 25 {
		t.Fatalf("first step after the idle minute admitted %d, want 25 (a quarter second at 100/s)", n)
	}
	// A stalled controller (a pause, a failover) credits at most a second.
	clock.Advance(30 * time.Second)
	if n := a.take(clock.Now(), 100, 1000); n != 100 {
		t.Fatalf("after a 30 s stall admitted %d, want 100", n)
	}
	// Never more than may be admitted.
	clock.Advance(time.Second)
	if n := a.take(clock.Now(), 100, 7); n != 7 {
		t.Fatalf("admitted %d of 7 admittable", n)
	}
}

func TestRateStaysWithoutDemand(t *testing.T) {
	r := newRateControl(RateConfig{}, 0)
	now := newFakeClock().Now()
	for i := 0; i < 50; i++ {
		now = now.Add(DefaultRateEvery)
		if rate, change := r.update(Headroom{}, false, true, now); rate != 10 || change != ChangeHold {
			t.Fatalf("with nobody waiting: rate %v (%s), want the initial 10 held", rate, change)
		}
	}
}

// Before any batch measured the sections, idle mailboxes set where slow start begins:
// DepthBound holds per section per rate step; a busy mailbox or a cut does not.
func TestSlowStartBeginsFromIdleMailboxes(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	r := newRateControl(RateConfig{}, 0)
	if rate, change := r.update(Headroom{Nodes: 1, Sections: 2}, true, true, now); rate != 256 || change != ChangeRaise {
		t.Fatalf("idle start = %v %s; want 2 sections x 32 per 250 ms = 256/s", rate, change)
	}
	busy := newRateControl(RateConfig{}, 0)
	if rate, _ := busy.update(Headroom{Nodes: 1, Sections: 2, MaxDepth: 3}, true, true, now); rate != 20 {
		t.Fatalf("busy start = %v; want the initial 10/s doubled", rate)
	}
	cut := newRateControl(RateConfig{}, 0)
	cut.update(Headroom{Nodes: 1, Sections: 1, MaxDepth: 1000}, true, true, now)
	if rate, _ := cut.update(Headroom{Nodes: 1, Sections: 1}, true, true, now.Add(2*time.Second)); rate > 10 {
		t.Fatalf("after a cut = %v; want recovery from the cut rate, not the idle start", rate)
	}
}

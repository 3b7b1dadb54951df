package sched

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock moves only when a caller sleeps or does work; one worker at a time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var start = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestPlanOffsets(t *testing.T) {
	p := Plan{Rate: 10, Duration: time.Second}
	for i, want := range map[int64]time.Duration{0: 0, 1: 100 * time.Millisecond, 7: 700 * time.Millisecond} {
		if got := p.Offset(i); got != want {
			t.Errorf("offset %d = %v, want %v", i, got, want)
		}
	}
	if !p.Within(9) || p.Within(10) {
		t.Error("a 1 s plan at 10/s must hold arrivals 0..9")
	}
	// A 2 s ramp to 10/s holds 10 arrivals; arrival 10 is due when the ramp ends.
	r := Plan{Rate: 10, RampUp: 2 * time.Second, Count: 100}
	if got := r.Offset(10); got != 2*time.Second {
		t.Errorf("first arrival after the ramp at %v", got)
	}
	if got := r.Offset(5); got <= time.Second || got >= 2*time.Second {
		t.Errorf("arrival 5 of the ramp at %v: the ramp starts slow", got)
	}
	if r.Offset(11)-r.Offset(10) != 100*time.Millisecond {
		t.Error("after the ramp arrivals are 1/rate apart")
	}
	if (Plan{Rate: 5}).Validate() == nil || (Plan{Duration: time.Second}).Validate() == nil {
		t.Error("plans without a stop or a rate must not validate")
	}
}

// A server slower than the arrival rate: one worker, arrivals every 100 ms, each
// request takes 250 ms. The schedule does not wait for answers, so each request starts
// later than due, and its latency counted from the schedule includes that wait.
func TestSlowServerShowsAsLatencyFromSchedule(t *testing.T) {
	clock := &fakeClock{now: start}
	s, err := New(Plan{Rate: 10, Count: 5}, start, clock)
	if err != nil {
		t.Fatal(err)
	}
	type obs struct{ scheduled, started, ended time.Time }
	var got []obs
	s.Run(context.Background(), 1, func(_ context.Context, slot Slot) {
		started := clock.Now()
		clock.advance(250 * time.Millisecond)
		got = append(got, obs{slot.At, started, clock.Now()})
	})
	if len(got) != 5 {
		t.Fatalf("ran %d slots, want 5", len(got))
	}
	for k, o := range got {
		wantScheduled := start.Add(time.Duration(k) * 100 * time.Millisecond)
		wantStarted := start.Add(time.Duration(k) * 250 * time.Millisecond)
		if !o.scheduled.Equal(wantScheduled) || !o.started.Equal(wantStarted) {
			t.Errorf("slot %d scheduled %v started %v, want %v and %v", k, o.scheduled.Sub(start), o.started.Sub(start), wantScheduled.Sub(start), wantStarted.Sub(start))
		}
		lag := o.started.Sub(o.scheduled)
		if want := time.Duration(k) * 150 * time.Millisecond; lag != want {
			t.Errorf("slot %d lag %v, want %v", k, lag, want)
		}
		if lat := o.ended.Sub(o.scheduled); lat != lag+250*time.Millisecond {
			t.Errorf("slot %d latency from schedule %v, want lag + service", k, lat)
		}
	}
}

// A fast server: every request starts exactly when due.
func TestFastServerStartsOnSchedule(t *testing.T) {
	clock := &fakeClock{now: start}
	s, err := New(Plan{Rate: 100, Duration: 100 * time.Millisecond}, start, clock)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	s.Run(context.Background(), 1, func(_ context.Context, slot Slot) {
		if !clock.Now().Equal(slot.At) {
			t.Errorf("slot %d started %v after its time", slot.Index, clock.Now().Sub(slot.At))
		}
		clock.advance(time.Millisecond)
		n++
	})
	if n != 10 {
		t.Errorf("ran %d slots, want 10", n)
	}
}

func TestRunHandsEachSlotOutOnce(t *testing.T) {
	s, err := New(Plan{Rate: 1e6, Count: 500}, time.Now(), RealClock{})
	if err != nil {
		t.Fatal(err)
	}
	var seen [500]atomic.Int32
	s.Run(context.Background(), 8, func(_ context.Context, slot Slot) { seen[slot.Index].Add(1) })
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("slot %d ran %d times", i, seen[i].Load())
		}
	}
}

func TestRunStopsWithTheContext(t *testing.T) {
	s, err := New(Plan{Rate: 1, Count: 1000}, time.Now(), RealClock{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		s.Run(ctx, 2, func(context.Context, Slot) { n.Add(1) })
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	if n.Load() > 2 {
		t.Errorf("ran %d slots after cancel", n.Load())
	}
}

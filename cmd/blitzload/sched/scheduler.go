package sched

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells the time and waits; tests use a fake one.
type Clock interface {
	Now() time.Time
	// SleepUntil waits until t or until ctx ends.
	SleepUntil(ctx context.Context, t time.Time) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// SleepUntil waits until t or until ctx ends.
func (RealClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Slot is one arrival: its index and when it is due.
type Slot struct {
	Index int64
	At    time.Time
}

// Scheduler hands out the plan's slots in order to any number of workers.
type Scheduler struct {
	plan  Plan
	start time.Time
	clock Clock
	next  atomic.Int64
}

// New returns a scheduler whose first arrival is due at start.
func New(plan Plan, start time.Time, clock Clock) (*Scheduler, error) {
	if err := plan.Validate(); err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	if clock == nil {
		clock = RealClock{}
	}
	return &Scheduler{plan: plan, start: start, clock: clock}, nil
}

// Next claims the next slot; ok is false when the plan is done.
func (s *Scheduler) Next() (slot Slot, ok bool) {
	i := s.next.Add(1) - 1
	if !s.plan.Within(i) {
		return Slot{}, false
	}
	return Slot{Index: i, At: s.start.Add(s.plan.Offset(i))}, true
}

// Run starts workers that each take the next slot, wait for its time and call fn with
// it, until the plan is done or ctx ends. A worker still busy when its next slot is
// due starts late; fn sees the slot's time and the actual start is the caller's to
// measure, so the lateness counts as latency. Run returns when every worker is done.
func (s *Scheduler) Run(ctx context.Context, workers int, fn func(ctx context.Context, slot Slot)) {
	if workers < 1 {
		workers = 1
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				slot, ok := s.Next()
				if !ok {
					return
				}
				if err := s.clock.SleepUntil(ctx, slot.At); err != nil {
					return
				}
				fn(ctx, slot)
			}
		}()
	}
	wg.Wait()
}

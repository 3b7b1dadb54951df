package live

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// upgradeCount counts the steps of upgrades under way and the most at once.
type upgradeCount struct{ now, most atomic.Int64 }

// during counts one step under way that takes slow nanoseconds (nothing is counted
// when slow is zero); the returned function ends it.
func (u *upgradeCount) during(slow int64) func() {
	if slow <= 0 {
		return func() {}
	}
	n := u.now.Add(1)
	for m := u.most.Load(); n > m && !u.most.CompareAndSwap(m, n); m = u.most.Load() {
	}
	time.Sleep(time.Duration(slow))
	return func() { u.now.Add(-1) }
}

func TestQueueFeedBoundsUpgradesInProgress(t *testing.T) {
	const bound, fans = 2, 24
	// The queue is read once a minute: every first ticket needs a read of its own.
	qe := newQueueEnv(t, QueueFeedConfig{Upgrades: bound, Poll: time.Minute})
	qe.tickets.slow.Store(int64(10 * time.Millisecond))
	var wg sync.WaitGroup
	errs := make(chan error, fans)
	for i := 1; i <= fans; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("q_%d", i)
			c := qe.dial(t, id)
			m, err := c.next(10 * time.Second)
			switch {
			case err != nil:
				errs <- fmt.Errorf("%s: %w", id, err)
			case m.Position == nil || *m.Position != int64(i):
				errs <- fmt.Errorf("%s: first ticket %+v", id, m)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if most := qe.tickets.upgrading.most.Load(); most > bound {
		t.Fatalf("%d upgrades were looked up or sent their first ticket at once; want at most %d", most, bound)
	} else if most < 1 {
		t.Fatal("no upgrade was counted")
	}
	// A slot is given back just after the first ticket is written.
	testenv.Eventually(t, 2*time.Second, func() error {
		if n := qe.feed.gate.taken(); n != 0 {
			return fmt.Errorf("%d slots still taken once every fan has its first ticket", n)
		}
		return nil
	})
}

func TestUpgradeGateParksAndCloses(t *testing.T) {
	g := newUpgradeGate(1, prometheus.NewGauge(prometheus.GaugeOpts{Name: "in_progress"}),
		prometheus.NewGauge(prometheus.GaugeOpts{Name: "waiting"}))
	if !g.enter(nil) {
		t.Fatal("the first enter found no slot")
	}
	entered := make(chan bool, 1)
	go func() { entered <- g.enter(nil) }()
	select {
	case <-entered:
		t.Fatal("a second enter went through a gate of one")
	case <-time.After(50 * time.Millisecond):
	}
	g.leave()
	if ok := <-entered; !ok {
		t.Fatal("the waiting enter reported false after a leave")
	}
	done := make(chan struct{})
	go func() { entered <- g.enter(done) }()
	close(done)
	if <-entered {
		t.Fatal("an enter whose done ended reported a slot")
	}
	go func() { entered <- g.enter(nil) }()
	g.close()
	if <-entered {
		t.Fatal("an enter waiting when the gate closed reported a slot")
	}
}

// TestUpgradeGateGauges: the gate's gauges count the upgrades holding a slot and those
// waiting for one, and come back to zero.
func TestUpgradeGateGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newConnMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	inProgress := m.upgrades.WithLabelValues("queue", upgradeInProgress)
	waiting := m.upgrades.WithLabelValues("queue", upgradeWaiting)
	g := newUpgradeGate(1, inProgress, waiting)
	want := func(in, wait float64) error {
		if got := testutil.ToFloat64(inProgress); got != in {
			return fmt.Errorf("in_progress %v, want %v", got, in)
		}
		if got := testutil.ToFloat64(waiting); got != wait {
			return fmt.Errorf("waiting %v, want %v", got, wait)
		}
		return nil
	}
	if !g.enter(nil) {
		t.Fatal("the first enter found no slot")
	}
	if err := want(1, 0); err != nil {
		t.Fatal(err)
	}
	entered := make(chan bool, 2)
	go func() { entered <- g.enter(nil) }()
	testenv.Eventually(t, 2*time.Second, func() error { return want(1, 1) })
	g.leave()
	if !<-entered {
		t.Fatal("the waiting enter reported false after a leave")
	}
	if err := want(1, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { entered <- g.enter(done) }()
	testenv.Eventually(t, 2*time.Second, func() error { return want(1, 1) })
	close(done)
	if <-entered {
		t.Fatal("an enter whose done ended reported a slot")
	}
	g.leave()
	if err := want(0, 0); err != nil {
		t.Fatal(err)
	}
}

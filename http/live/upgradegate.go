package live

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultUpgradesPerCore is how many queue websocket upgrades may be in progress at
// once per core (runtime.GOMAXPROCS) when QueueFeedConfig.Upgrades is zero. At 4 a
// core the server took 8 % more CPU in a 10,000-fan rush through a room than without a
// bound; at 16 the joins' p99 was lower than without one in 8 of 11 pairs, at about the
// same CPU (BENCHMARKS.md, "The upgrade gate's size").
const DefaultUpgradesPerCore = 16

// upgradeGate bounds the websocket upgrades in progress at once on a node. In a room's
// rush thousands of fans open their queue websockets as soon as their joins are
// answered, while the last joins still wait: an upgrade beyond the bound parks (it
// neither spins nor fails) until one in progress is done, so that the runnable joins
// get the cores and the upgrades go through at the pace the node has room for.
//
// inProgress and waiting count the upgrades holding a slot and those waiting for one
// (the ticketblitz_ws_upgrades gauges).
type upgradeGate struct {
	slots      chan struct{}
	closed     chan struct{}
	closeOnce  sync.Once
	inProgress prometheus.Gauge
	waiting    prometheus.Gauge
}

// newUpgradeGate returns a gate letting n upgrades through at once (at least one),
// counting them in the gauges.
func newUpgradeGate(n int, inProgress, waiting prometheus.Gauge) *upgradeGate {
	return &upgradeGate{slots: make(chan struct{}, max(n, 1)), closed: make(chan struct{}),
		inProgress: inProgress, waiting: waiting}
}

// enter waits for a slot. It reports false, without one, once the gate is closed or
// done is (a nil done never is).
func (g *upgradeGate) enter(done <-chan struct{}) bool {
	select {
	case g.slots <- struct{}{}:
		g.inProgress.Inc()
		return true
	default:
	}
	g.waiting.Inc()
	defer g.waiting.Dec()
	select {
	case g.slots <- struct{}{}:
		g.inProgress.Inc()
		return true
	case <-g.closed:
		return false
	case <-done:
		return false
	}
}

// leave gives back the slot an enter that reported true took.
func (g *upgradeGate) leave() {
	g.inProgress.Dec()
	<-g.slots
}

// taken returns how many slots are taken.
func (g *upgradeGate) taken() int { return len(g.slots) }

// close wakes every waiting enter with false and makes later ones report false.
func (g *upgradeGate) close() { g.closeOnce.Do(func() { close(g.closed) }) }

package actors

import (
	"sync"
	"sync/atomic"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/eventstream"
	"go.uber.org/zap"
)

// departures tells the Client when members join or leave the topology. A request
// waiting on a member that died would otherwise wait out its whole timeout:
// protoactor's futures do not fail when the member they wait on goes, and a request
// that reached a section actor as it stopped to move (after a join) is dropped without
// an answer. The same drop hits requests sent just after a change, to a cached address of
// an actor that is stopping to move, so the signal repeats twice after each change
// (echoes): whatever still waits then is cut short and retried with its idempotency key.
// Each signal closes the current channel and opens the next; each change is logged once,
// with how many requests it made retry and how they ended (see topologyChange).
// topologyEchoes are the delays after a topology change at which the signal repeats.
var topologyEchoes = [...]time.Duration{750 * time.Millisecond, 2 * time.Second}

type departures struct {
	mu      sync.Mutex
	sig     *topologySignal
	es      *eventstream.EventStream
	sub     *eventstream.Subscription
	log     *zap.Logger
	stopped atomic.Bool
}

// topologySignal is one wait for the next topology signal: ch closes when it comes, and
// cause is set, before that, to the change it belongs to.
type topologySignal struct {
	ch    chan struct{}
	cause *topologyChange
}

// watchDepartures subscribes to c's topology events.
func watchDepartures(c *protocluster.Cluster, log *zap.Logger) *departures {
	d := &departures{sig: &topologySignal{ch: make(chan struct{})}, log: log}
	if c.ActorSystem == nil || c.ActorSystem.EventStream == nil {
		return d
	}
	d.es = c.ActorSystem.EventStream
	d.sub = d.es.Subscribe(func(evt any) {
		if t, ok := evt.(*protocluster.ClusterTopology); ok && (len(t.Left) > 0 || len(t.Joined) > 0) {
			change := newTopologyChange(t, time.Now())
			d.fire(change)
			for _, after := range topologyEchoes {
				time.AfterFunc(after, func() { d.fire(change) })
			}
			time.AfterFunc(topologyEchoes[len(topologyEchoes)-1]+retrySettleGrace, func() { d.summarise(change) })
		}
	})
	return d
}

// next returns the wait for the next signal.
func (d *departures) next() *topologySignal {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sig
}

// fire signals everything waiting, on behalf of change.
func (d *departures) fire(change *topologyChange) {
	d.mu.Lock()
	d.sig.cause = change
	close(d.sig.ch)
	d.sig = &topologySignal{ch: make(chan struct{})}
	d.mu.Unlock()
}

// summarise logs change once the requests it made retry have ended, or once
// retrySummaryMax has passed; until then it looks again every retrySettleGrace.
func (d *departures) summarise(change *topologyChange) {
	if d.stopped.Load() {
		return
	}
	if !change.report(d.log, time.Now()) {
		time.AfterFunc(retrySettleGrace, func() { d.summarise(change) })
	}
}

// stop unsubscribes; changes not yet summarised are not logged.
func (d *departures) stop() {
	d.stopped.Store(true)
	if d.es != nil {
		d.es.Unsubscribe(d.sub)
	}
}

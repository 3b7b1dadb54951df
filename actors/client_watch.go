package actors

import (
	"sync"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/eventstream"
)

// departures tells the Client when members join or leave the topology. A request
// waiting on a member that died would otherwise wait out its whole timeout:
// protoactor's futures do not fail when the member they wait on goes, and a request
// that reached a section actor as it stopped to move (after a join) is dropped without
// an answer. The same drop hits requests sent just after a change, to a cached address of
// an actor that is stopping to move, so the signal repeats twice after each change
// (echoes): whatever still waits then is cut short and retried with its idempotency key.
// Each signal closes the current channel and opens the next.
// topologyEchoes are the delays after a topology change at which the signal repeats.
var topologyEchoes = [...]time.Duration{750 * time.Millisecond, 2 * time.Second}

type departures struct {
	mu  sync.Mutex
	ch  chan struct{}
	es  *eventstream.EventStream
	sub *eventstream.Subscription
}

// watchDepartures subscribes to c's topology events.
func watchDepartures(c *protocluster.Cluster) *departures {
	d := &departures{ch: make(chan struct{})}
	if c.ActorSystem == nil || c.ActorSystem.EventStream == nil {
		return d
	}
	d.es = c.ActorSystem.EventStream
	d.sub = d.es.Subscribe(func(evt any) {
		if t, ok := evt.(*protocluster.ClusterTopology); ok && (len(t.Left) > 0 || len(t.Joined) > 0) {
			d.fire()
			for _, after := range topologyEchoes {
				time.AfterFunc(after, d.fire)
			}
		}
	})
	return d
}

// next returns the channel the next departure closes.
func (d *departures) next() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

func (d *departures) fire() {
	d.mu.Lock()
	close(d.ch)
	d.ch = make(chan struct{})
	d.mu.Unlock()
}

// stop unsubscribes.
func (d *departures) stop() {
	if d.es != nil {
		d.es.Unsubscribe(d.sub)
	}
}

package events

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// lagTraces keeps the outbox lag traces a relay sends.
type lagTraces struct {
	mu   sync.Mutex
	last []actors.Trace
}

func (l *lagTraces) Trace(tr actors.Trace) {
	if tr.Type != TraceOutboxLag {
		return
	}
	l.mu.Lock()
	l.last = append(l.last, tr)
	l.mu.Unlock()
}

// wantLast waits for a lag trace of n records whose oldest is at least minAge old.
func (l *lagTraces) wantLast(n int, minAge time.Duration) func() error {
	return func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.last) == 0 {
			return fmt.Errorf("no outbox lag trace yet")
		}
		tr := l.last[len(l.last)-1]
		if tr.Depth != n || tr.Millis < float64(minAge.Milliseconds()) || tr.Node != "node-a" {
			return fmt.Errorf("last lag trace %+v, want %d records at least %v old from node-a", tr, n, minAge)
		}
		return nil
	}
}

// TestRelayTracesTheOutboxLag: while the broker refuses every produce, the relay's lag
// traces count the records it cannot publish and the age of the oldest; once it takes
// them again, the lag drops to zero.
func TestRelayTracesTheOutboxLag(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	fault := b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotLeaderForPartition, Count: -1})
	spy := newSpyProducer(t, testProducer(t, b.Addrs()))
	o := newMemOutbox(spy.isAcked)
	addRecords(t, o, map[string]int64{}, 30)
	traces := &lagTraces{}
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Tracer: traces, Node: "node-a", BatchSize: 64})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 15*time.Second, traces.wantLast(30, time.Millisecond))
	fault.Remove()
	testenv.Eventually(t, 30*time.Second, o.wantPublished(30))
	testenv.Eventually(t, 10*time.Second, traces.wantLast(0, 0))
}

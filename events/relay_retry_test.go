package events

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestRelayRidesOutRetriableProduceErrorsWithoutCopies fails every produce request for
// a few seconds, longer than a handful of retries take, twice: once with
// NOT_LEADER_OR_FOLLOWER (nothing is stored), as while a partition moves, and once with
// REQUEST_TIMED_OUT (stored, the answer lost), as from a slow broker. The producer must
// keep retrying, so that no later request overtakes a failed one: every stream reaches
// the broker exactly once and in order, with no failure reported to the relay and no
// copy.
func TestRelayRidesOutRetriableProduceErrorsWithoutCopies(t *testing.T) {
	b, spy, o := newRelayRig(t)
	seq := map[string]int64{}
	addRecords(t, o, seq, 120)
	reg := prometheus.NewRegistry()
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Registerer: reg, BatchSize: 40, MaxPerKey: 16})
	var faults []*kfake.FaultHandle
	for i, err := range []*kerr.Error{kerr.NotLeaderForPartition, kerr.RequestTimedOut} {
		f := b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Count: -1, Err: err, When: produceOutage(3 * time.Second)})
		faults = append(faults, f)
		if i == 0 {
			runInBackground(t, r.Run)
		} else {
			addRecords(t, o, seq, 120)
			r.Wake()
		}
		testenv.Eventually(t, 60*time.Second, o.wantPublished(120*(i+1)))
		f.Remove()
	}
	for i, f := range faults {
		if f.Hits() < 6 {
			t.Fatalf("outage %d failed %d produce requests, want more than the retries of old; the test proved little", i+1, f.Hits())
		}
	}
	if _, failures := spy.stats(); failures != 0 {
		t.Errorf("the relay saw %d failed sends, want none: retriable errors are retried", failures)
	}
	copies := checkStream(t, b, o, 0)
	t.Logf("outages failed %d (NOT_LEADER_OR_FOLLOWER) and %d (REQUEST_TIMED_OUT) partitions' produce requests; %d copies",
		faults[0].Hits(), faults[1].Hits(), copies)
	o.check(t)
}

// produceOutage is a kfake.Fault When: it fails every request from the first it sees for d.
func produceOutage(d time.Duration) func(kmsg.Request) bool {
	var until time.Time // only the cluster goroutine calls When
	return func(kmsg.Request) bool {
		if until.IsZero() {
			until = time.Now().Add(d)
		}
		return time.Now().Before(until)
	}
}

package events

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// sections is the test's set of keys; records cycle through them and through topics.
var testTypes = []string{actors.TypeSeatReserved, actors.TypeSeatReleased, actors.TypeBookingCreated}

func testSections() []actors.SectionKey {
	return []actors.SectionKey{{EventID: "e1", SectionID: "A"}, {EventID: "e1", SectionID: "B"}, {EventID: "e2", SectionID: "floor"}, {EventID: "e3", SectionID: "hot"}}
}

// addRecords adds n records spread over the test sections and types, with a hot
// section that gets every other record. seq counts per stream (topic and key), so that
// each stream's versions run 1, 2, 3… and a consumer can tell the next one.
func addRecords(t testing.TB, o *memOutbox, seq map[string]int64, n int) {
	t.Helper()
	secs := testSections()
	for i := 0; i < n; i++ {
		key := secs[3]
		if i%2 == 1 {
			key = secs[(i/2)%3]
		}
		typ := testTypes[(i/3)%len(testTypes)]
		stream := actors.TopicOf(typ) + " " + key.Identity()
		seq[stream]++
		o.add(t, key, typ, seq[stream])
	}
}

type traceCount struct{ n atomic.Int64 }

func (c *traceCount) Trace(tr actors.Trace) {
	if tr.Type == actors.TraceKafka && tr.Topic != "" && tr.Key != "" {
		c.n.Add(1)
	}
}

func TestRelayPublishesEveryRecordOnceInOrder(t *testing.T) {
	b, spy, o := newRelayRig(t)
	seq := map[string]int64{}
	addRecords(t, o, seq, 200)
	traces := &traceCount{}
	reg := prometheus.NewRegistry()
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Tracer: traces, Registerer: reg, BatchSize: 64})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 15*time.Second, o.wantPublished(200))
	addRecords(t, o, seq, 50)
	r.Wake()
	testenv.Eventually(t, 15*time.Second, o.wantPublished(250))
	checkStream(t, b, o, 0)
	o.check(t)
	if got := traces.n.Load(); got != 250 {
		t.Errorf("%d kafka traces, want 250", got)
	}
	if got := metricValue(t, reg, "ticketblitz_outbox_published_total"); got != 250 {
		t.Errorf("published_total = %v, want 250", got)
	}
	if got := metricValue(t, reg, "ticketblitz_outbox_publish_errors_total"); got != 0 {
		t.Errorf("publish_errors_total = %v, want 0", got)
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		if lag := metricValue(t, reg, "ticketblitz_outbox_lag_records"); lag != 0 {
			return fmt.Errorf("outbox lag gauge at %v records, want 0", lag)
		}
		return nil
	})
}

// metricValue sums every series of the named metric family.
func metricValue(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func TestRelayWakeCutsThePollInterval(t *testing.T) {
	b, spy, o := newRelayRig(t)
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, PollInterval: time.Hour})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 5*time.Second, func() error {
		if n, _ := spy.stats(); n != 0 || !o.leaseHeld() {
			return fmt.Errorf("relay sent %d times and holds the relay lease: %v; want no send and the lease held", n, o.leaseHeld())
		}
		return nil
	})
	addRecords(t, o, map[string]int64{}, 5)
	r.Wake()
	testenv.Eventually(t, 10*time.Second, o.wantPublished(5))
	checkStream(t, b, o, 0)
	o.check(t)
}

// TestRelayKeepsOrderWhenProduceFlaps fails every third produce request, so that sarama
// gives up on some records while later ones get through: each stream must still reach
// a consumer complete and in order, and a record that overtook a failed earlier one
// must be sent again after it (those are the only copies).
func TestRelayKeepsOrderWhenProduceFlaps(t *testing.T) {
	b, spy, o := newRelayRig(t)
	seq := map[string]int64{}
	addRecords(t, o, seq, 120)
	var produces atomic.Int64
	fault := b.Cluster().Fault(kfake.Fault{
		Keys:  []kmsg.Key{kmsg.Produce},
		Err:   kerr.UnknownServerError, // not retriable: sarama fails the batch at once
		Count: -1,
		When:  func(kmsg.Request) bool { return produces.Add(1)%3 == 0 },
	})
	reg := prometheus.NewRegistry()
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Registerer: reg, BatchSize: 50, MaxBackoff: 20 * time.Millisecond})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 20*time.Second, o.wantPublished(120))
	fault.Remove()
	if fault.Hits() == 0 {
		t.Fatal("no produce request was failed; the test proved nothing")
	}
	overtaken := metricValue(t, reg, "ticketblitz_outbox_overtaken_resent_total")
	if _, failures := spy.stats(); failures == 0 {
		t.Fatal("the relay saw no failed send")
	}
	if got := metricValue(t, reg, "ticketblitz_outbox_publish_errors_total"); got == 0 {
		t.Error("publish_errors_total stayed zero")
	}
	copies := checkStream(t, b, o, int(overtaken))
	t.Logf("%d produce requests failed; %d records overtook a failure and were sent again; %d copies in the stream",
		fault.Hits(), int(overtaken), copies)
	o.check(t)
}

// TestRelaySurvivesBrokerRestart stops the broker while records keep arriving, then
// starts it again on the same address and data directory.
func TestRelaySurvivesBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	b1, err := StartBroker(BrokerConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	addr := b1.Addrs()[0]
	spy := newSpyProducer(t, testProducer(t, b1.Addrs()))
	o := newMemOutbox(spy.isAcked)
	seq := map[string]int64{}
	addRecords(t, o, seq, 40)
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), PollInterval: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 15*time.Second, o.wantPublished(40))

	b1.Close()
	addRecords(t, o, seq, 20)
	r.Wake()
	testenv.Eventually(t, 15*time.Second, func() error {
		if sends, failures := spy.stats(); failures == 0 {
			return fmt.Errorf("%d sends to the stopped broker and none failed", sends)
		}
		return nil
	})
	addRecords(t, o, seq, 20)
	if _, p := o.counts(); p != 40 {
		t.Fatalf("%d records marked published while the broker was down, want 40", p)
	}

	b2 := testBroker(t, BrokerConfig{Addr: addr, DataDir: dir})
	addRecords(t, o, seq, 20)
	testenv.Eventually(t, 20*time.Second, o.wantPublished(100))
	// Records in flight when the broker stopped may have been stored before their
	// acknowledgement was lost: they are sent again, and consumers drop the copies.
	copies := checkStream(t, b2, o, -1)
	t.Logf("%d copies in the stream", copies)
	o.check(t)
}

func TestRelayLeaseLetsOneNodePublish(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	spyA, spyB := newSpyProducer(t, testProducer(t, b.Addrs())), newSpyProducer(t, testProducer(t, b.Addrs()))
	o := newMemOutbox(func(id string) bool { return spyA.isAcked(id) || spyB.isAcked(id) })
	seq := map[string]int64{}
	addRecords(t, o, seq, 60)
	reg := prometheus.NewRegistry() // shared, as two relays in one process would share it
	relayA := NewRelay(RelayConfig{Outbox: o, Producer: spyA, Registerer: reg, PollInterval: 10 * time.Millisecond, LeaseRetry: 20 * time.Millisecond})
	relayB := NewRelay(RelayConfig{Outbox: o, Producer: spyB, Registerer: reg, PollInterval: 10 * time.Millisecond, LeaseRetry: 20 * time.Millisecond})
	stopA := runInBackground(t, relayA.Run)
	testenv.Eventually(t, 15*time.Second, o.wantPublished(60))
	stopB := runInBackground(t, relayB.Run)
	for i := 0; i < 5; i++ {
		addRecords(t, o, seq, 10)
		relayA.Wake()
		relayB.Wake()
		want := 70 + 10*i
		testenv.Eventually(t, 15*time.Second, o.wantPublished(want))
	}
	if sends, _ := spyB.stats(); sends != 0 {
		t.Fatalf("relay B sent %d times while relay A held the lease", sends)
	}

	stopA()
	addRecords(t, o, seq, 10)
	testenv.Eventually(t, 15*time.Second, o.wantPublished(120))
	if sends, _ := spyB.stats(); sends == 0 {
		t.Fatal("relay B never sent")
	}
	stopB()
	checkStream(t, b, o, 0)
	o.check(t)
	if got := metricValue(t, reg, "ticketblitz_outbox_published_total"); got != 120 {
		t.Errorf("published_total = %v, want 120", got)
	}
}

func TestRelayWithoutPortsFails(t *testing.T) {
	r := NewRelay(RelayConfig{})
	if err := r.Run(context.Background()); err == nil {
		t.Fatal("Run without outbox and producer returned nil")
	}
}

// TestRelayStuckPartitionHoldsUpNoOtherKey makes one partition refuse every record while
// records of every key keep coming: the streams of that partition wait and retry, every
// other stream is published meanwhile, and once the partition recovers its streams
// catch up, complete and in order.
func TestRelayStuckPartitionHoldsUpNoOtherKey(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	// The partition of each key on the stuck topic, as the producer's partitioner picks it.
	stuckTopic := actors.TopicOf(actors.TypeSeatReserved)
	partitioner := sarama.NewHashPartitioner(stuckTopic)
	partOf := map[string]int32{}
	for _, s := range testSections() {
		p, err := partitioner.Partition(&sarama.ProducerMessage{Topic: stuckTopic, Key: sarama.StringEncoder(s.Identity())}, DefaultPartitions)
		if err != nil {
			t.Fatal(err)
		}
		partOf[s.Identity()] = p
	}
	stuckPart := partOf[testSections()[3].Identity()] // the hot section's
	fault := b.Cluster().Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.Produce}, Topic: stuckTopic, Partitions: []int32{stuckPart},
		Err: kerr.NotEnoughReplicas, Count: -1, // retriable: sarama retries, then gives up
	})
	spy := newSpyProducer(t, testProducer(t, b.Addrs()))
	o := newMemOutbox(spy.isAcked)
	seq := map[string]int64{}
	addRecords(t, o, seq, 300)
	stuck := 0
	o.mu.Lock()
	for _, r := range o.recs {
		if r.topic == stuckTopic && partOf[r.key] == stuckPart {
			stuck++
		}
	}
	o.mu.Unlock()
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), BatchSize: 64, MaxBackoff: 50 * time.Millisecond})
	runInBackground(t, r.Run)
	if stuck == 0 || stuck == 300 {
		t.Fatalf("%d of 300 records on the stuck partition; the test proves nothing", stuck)
	}
	testenv.Eventually(t, 20*time.Second, o.wantPublished(300-stuck))
	fault.Remove()
	testenv.Eventually(t, 20*time.Second, o.wantPublished(300))
	copies := checkStream(t, b, o, -1)
	t.Logf("%d of 300 records on the stuck partition; %d copies in the stream", stuck, copies)
	o.check(t)
}

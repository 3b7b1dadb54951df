package events

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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
// section that gets every other record; seq counts per section.
func addRecords(t testing.TB, o *memOutbox, seq map[string]int64, n int) {
	t.Helper()
	secs := testSections()
	for i := 0; i < n; i++ {
		key := secs[3]
		if i%2 == 1 {
			key = secs[(i/2)%3]
		}
		seq[key.Identity()]++
		o.add(t, key, testTypes[(i/3)%len(testTypes)], seq[key.Identity()])
	}
}

type traceCount struct{ n atomic.Int64 }

func (c *traceCount) Trace(tr actors.Trace) {
	if tr.Type == actors.TraceKafka && tr.Topic != "" && tr.Key != "" {
		c.n.Add(1)
	}
}

func TestRelayPublishesEveryRecordOnceInOrder(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	spy := newSpyProducer(testProducer(t, b.Addrs()))
	o := newMemOutbox(spy.isAcked)
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
	checkStream(t, b, o)
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
	b := testBroker(t, BrokerConfig{})
	spy := newSpyProducer(testProducer(t, b.Addrs()))
	o := newMemOutbox(spy.isAcked)
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
	checkStream(t, b, o)
	o.check(t)
}

// TestRelayKeepsOrderWhenProduceFlaps fails some produce requests, so that sarama gives
// up on some records while later ones get through: the relay must never let a later
// record of a key overtake a failed earlier one.
func TestRelayKeepsOrderWhenProduceFlaps(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	spy := newSpyProducer(testProducer(t, b.Addrs()))
	o := newMemOutbox(spy.isAcked)
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
	if _, failures := spy.stats(); failures == 0 {
		t.Fatal("the relay saw no failed send")
	}
	if got := metricValue(t, reg, "ticketblitz_outbox_publish_errors_total"); got == 0 {
		t.Error("publish_errors_total stayed zero")
	}
	checkStream(t, b, o)
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
	spy := newSpyProducer(testProducer(t, b1.Addrs()))
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
	checkStream(t, b2, o)
	o.check(t)
}

func TestRelayLeaseLetsOneNodePublish(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	producer := testProducer(t, b.Addrs())
	spyA, spyB := newSpyProducer(producer), newSpyProducer(producer)
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
	checkStream(t, b, o)
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

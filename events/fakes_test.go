package events

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ticketblitz/ticketblitz/actors"
)

// memOutbox is an in-memory Outbox. It checks, when records are marked published, that
// the producer spy saw the broker acknowledge each of them.
type memOutbox struct {
	mu       sync.Mutex
	recs     []memRecord // id = index + 1
	epoch    int64       // the lease's fencing token
	holder   string      // "" when the lease is free
	expires  time.Time
	acked    func(envelopeID string) bool
	problems []string
	reads    int // calls of Pending
}

type memRecord struct {
	topic, key, envelopeID string
	payload                []byte
	created                time.Time
	published              bool
	hidden                 bool // written by a transaction that has not committed yet
}

func newMemOutbox(acked func(string) bool) *memOutbox { return &memOutbox{acked: acked} }

// add appends a SeatReserved envelope whose section version is seq.
func (o *memOutbox) add(t testing.TB, key actors.SectionKey, envType string, seq int64) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	id := fmt.Sprintf("env-%d", len(o.recs)+1)
	msg, err := actors.NewOutboxMessage(id, envType, time.Now(), key, actors.SeatReserved{HoldID: id, SectionVersion: seq})
	if err != nil {
		t.Fatal(err)
	}
	o.recs = append(o.recs, memRecord{topic: msg.Topic, key: msg.Key, envelopeID: id, payload: msg.Payload, created: time.Now()})
}

func (o *memOutbox) Pending(_ context.Context, after int64, holes [][2]int64, limit int, skipKeys []string, fn func(int64, string, string, []byte, time.Time)) error {
	o.mu.Lock()
	o.reads++
	inHole := func(id int64) bool {
		return slices.ContainsFunc(holes, func(h [2]int64) bool { return h[0] <= id && id <= h[1] && id <= after })
	}
	var out []int
	for i := 0; i < len(o.recs); i++ {
		if id := int64(i + 1); id <= after && !inHole(id) {
			continue
		}
		if !o.recs[i].published && !o.recs[i].hidden && len(out) < limit && !slices.Contains(skipKeys, o.recs[i].key) {
			out = append(out, i)
		}
	}
	recs := append([]memRecord(nil), o.recs...)
	o.mu.Unlock()
	for _, i := range out {
		fn(int64(i+1), recs[i].topic, recs[i].key, append([]byte(nil), recs[i].payload...), recs[i].created)
	}
	return nil
}

func (o *memOutbox) MarkPublished(_ context.Context, token int64, ids []int64) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if token != o.epoch {
		return false, nil
	}
	for _, id := range ids {
		r := &o.recs[id-1]
		if o.acked != nil && !o.acked(r.envelopeID) {
			o.problems = append(o.problems, fmt.Sprintf("record %d (%s) marked published before the broker acknowledged it", id, r.envelopeID))
		}
		if r.published {
			o.problems = append(o.problems, fmt.Sprintf("record %d marked published twice", id))
		}
		r.published = true
	}
	return true, nil
}

func (o *memOutbox) Lag(context.Context) (int, time.Duration, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	var oldest time.Duration
	for _, r := range o.recs {
		if !r.published {
			if n == 0 {
				oldest = time.Since(r.created)
			}
			n++
		}
	}
	return n, oldest, nil
}

func (o *memOutbox) AcquireRelayLease(_ context.Context, owner string, ttl time.Duration) (int64, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.holder != "" && time.Now().Before(o.expires) {
		return 0, false, nil
	}
	o.epoch++
	o.holder, o.expires = owner, time.Now().Add(ttl)
	return o.epoch, true, nil
}

func (o *memOutbox) RenewRelayLease(_ context.Context, token int64, ttl time.Duration) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if token != o.epoch {
		return false, nil
	}
	o.expires = time.Now().Add(ttl)
	return true, nil
}

func (o *memOutbox) RelayLeaseHolder(context.Context) (string, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.holder, o.holder != "" && time.Now().Before(o.expires), nil
}

func (o *memOutbox) TakeOverRelayLease(_ context.Context, owner, from string, ttl time.Duration) (int64, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.holder != from {
		return 0, false, nil
	}
	o.epoch++
	o.holder, o.expires = owner, time.Now().Add(ttl)
	return o.epoch, true, nil
}

func (o *memOutbox) ReleaseRelayLease(_ context.Context, token int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if token == o.epoch {
		o.holder = ""
	}
	return nil
}

func (o *memOutbox) counts() (total, published int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.recs {
		if r.published {
			published++
		}
	}
	return len(o.recs), published
}

// wantPublished is a check for testenv.Eventually: it passes once exactly n records are
// marked published.
func (o *memOutbox) wantPublished(n int) func() error {
	return func() error {
		if total, published := o.counts(); published != n {
			return fmt.Errorf("published %d of %d outbox records, want %d", published, total, n)
		}
		return nil
	}
}

func (o *memOutbox) check(t testing.TB) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range o.problems {
		t.Error(p)
	}
}

// spyProducer wraps the relay's producer: it records which envelopes the broker
// acknowledged, how many records were handed over and how many failed.
type spyProducer struct {
	sarama.AsyncProducer
	in       chan *sarama.ProducerMessage
	succ     chan *sarama.ProducerMessage
	errs     chan *sarama.ProducerError
	mu       sync.Mutex
	acked    map[string]bool
	sends    int
	failures int
}

// newRelayRig is the usual relay test setting: an in-process broker, a spy on a
// producer to it, and an in-memory outbox whose records count as published once the
// spy saw them acknowledged.
func newRelayRig(t testing.TB) (*Broker, *spyProducer, *memOutbox) {
	b := testBroker(t, BrokerConfig{})
	spy := newSpyProducer(t, testProducer(t, b.Addrs()))
	return b, spy, newMemOutbox(spy.isAcked)
}

func newSpyProducer(t testing.TB, p sarama.AsyncProducer) *spyProducer {
	s := &spyProducer{
		AsyncProducer: p, acked: make(map[string]bool),
		in: make(chan *sarama.ProducerMessage), succ: make(chan *sarama.ProducerMessage), errs: make(chan *sarama.ProducerError),
	}
	go func() {
		for m := range s.in {
			s.mu.Lock()
			s.sends++
			s.mu.Unlock()
			p.Input() <- m
		}
	}()
	go func() {
		for m := range p.Successes() {
			s.mu.Lock()
			if id := envelopeHeader(m); id != "" {
				s.acked[id] = true
			}
			s.mu.Unlock()
			s.succ <- m
		}
	}()
	go func() {
		for e := range p.Errors() {
			s.mu.Lock()
			s.failures++
			s.mu.Unlock()
			s.errs <- e
		}
	}()
	t.Cleanup(func() { close(s.in) })
	return s
}

func (s *spyProducer) Input() chan<- *sarama.ProducerMessage     { return s.in }
func (s *spyProducer) Successes() <-chan *sarama.ProducerMessage { return s.succ }
func (s *spyProducer) Errors() <-chan *sarama.ProducerError      { return s.errs }

func envelopeHeader(m *sarama.ProducerMessage) string {
	for _, h := range m.Headers {
		if string(h.Key) == HeaderEnvelopeID {
			return string(h.Value)
		}
	}
	return ""
}

func (s *spyProducer) isAcked(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked[id]
}

// stats returns how many records were handed to the producer and how many failed.
func (s *spyProducer) stats() (sends, failures int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends, s.failures
}

// testBroker starts an in-memory broker for the test.
func testBroker(t testing.TB, cfg BrokerConfig) *Broker {
	t.Helper()
	b, err := StartBroker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// testSyncProducer returns a synchronous producer for the test, closed at its end.
func testSyncProducer(t testing.TB, addrs []string) sarama.SyncProducer {
	t.Helper()
	p, err := NewProducer(addrs, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// testProducer returns a relay producer for the test, closed at its end.
func testProducer(t testing.TB, addrs []string) sarama.AsyncProducer {
	t.Helper()
	p, err := NewRelayProducer(addrs, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// runInBackground runs fn until the returned stop is called or the test ends; stop
// waits for fn to return and fails the test if fn returned an error.
func runInBackground(t testing.TB, fn func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run returned %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("run did not return after its context was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// storedRecords returns how many records the broker holds across every topic.
func storedRecords(b *Broker) int64 {
	var n int64
	for _, topic := range actors.Topics {
		for _, p := range b.Cluster().PartitionInfos(topic) {
			n += p.HighWatermark - p.LogStartOffset
		}
	}
	return n
}

// readAll reads every record of every topic from the start, until it has want.
func readAll(t testing.TB, addrs []string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addrs...),
		kgo.ConsumeTopics(actors.Topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records before the deadline", len(out), want)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

// checkStream verifies the records the broker holds against the outbox as a consumer
// sees them that keeps a record only when it carries the next version of its stream
// (topic and key) and drops every other: it must keep every envelope once, in the
// order the outbox wrote them. Copies (records seen again, or seen ahead of an earlier
// record of their stream and again after it) must number at most maxCopies; a
// negative maxCopies allows any number. It returns how many copies there were.
func checkStream(t testing.TB, b *Broker, o *memOutbox, maxCopies int) int {
	t.Helper()
	total, _ := o.counts()
	stored := int(storedRecords(b))
	recs := readAll(t, b.Addrs(), stored)
	kept := make(map[string]int)
	last := make(map[string]int64) // topic + key -> the version last kept
	for _, r := range recs {
		var env actors.Envelope
		if err := json.Unmarshal(r.Value, &env); err != nil {
			t.Fatalf("record %s/%d@%d: %v", r.Topic, r.Partition, r.Offset, err)
		}
		var data actors.SeatReserved
		if err := json.Unmarshal(env.Data, &data); err != nil {
			t.Fatal(err)
		}
		if id := headerValue(r, HeaderEnvelopeID); id != env.ID {
			t.Errorf("record %s has id header %q", env.ID, id)
		}
		k := r.Topic + " " + string(r.Key)
		if data.SectionVersion == last[k]+1 {
			last[k] = data.SectionVersion
			kept[env.ID]++
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.recs {
		if kept[r.envelopeID] != 1 {
			t.Errorf("envelope %s kept %d times by a consumer of the next versions", r.envelopeID, kept[r.envelopeID])
		}
	}
	copies := stored - total
	if copies < 0 || (maxCopies >= 0 && copies > maxCopies) {
		t.Errorf("broker holds %d records, outbox wrote %d: %d copies, want at most %d", stored, total, copies, maxCopies)
	}
	return copies
}

func headerValue(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// leaseHeld reports whether a relay holds the lease and its time has not run out.
func (o *memOutbox) leaseHeld() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.holder != "" && time.Now().Before(o.expires)
}

// isPublished reports whether the record with this id is marked published.
func (o *memOutbox) isPublished(id int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.recs[id-1].published
}

// record returns the record with this id as the relay reads it, and its envelope id.
func (o *memOutbox) record(id int64) (OutboxRecord, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.recs[id-1]
	return OutboxRecord{ID: id, Topic: r.topic, Key: r.key, Payload: r.payload, CreatedAt: r.created}, r.envelopeID
}

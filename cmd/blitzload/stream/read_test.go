package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
)

// startBroker starts an in-process Kafka-protocol broker with the given topics of
// three partitions each. It would create other topics on demand, so tests can tell
// that Read does not ask it to.
func startBroker(t *testing.T, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.SeedTopics(3, topics...),
		kfake.AllowAutoTopicCreation(),
	)
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func newProducer(t *testing.T, addrs []string) sarama.SyncProducer {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	p, err := sarama.NewSyncProducer(addrs, cfg)
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// produce sends m (its topic, key and value) and returns it with where it landed.
func produce(t *testing.T, p sarama.SyncProducer, m Message) Message {
	t.Helper()
	part, off, err := p.SendMessage(&sarama.ProducerMessage{
		Topic: m.Topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Value),
	})
	if err != nil {
		t.Fatalf("produce to %s: %v", m.Topic, err)
	}
	m.Partition, m.Offset = part, off
	return m
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestReadReturnsEveryRecord(t *testing.T) {
	c := startBroker(t, TopicSeatReserved, TopicSectionChanged, TopicBookingCreated)
	p := newProducer(t, c.ListenAddrs())
	s := &stream{}
	var want []Message
	for i := range 12 {
		key := fmt.Sprintf("e%d/S%d", i%2, i%5)
		want = append(want, produce(t, p, s.reserved(key, fmt.Sprintf("h%d", i), int64(i+1))))
		want = append(want, produce(t, p, s.changed(key, int64(i+1))))
	}

	topics := []string{TopicSectionChanged, "not.yet", TopicBookingCreated, TopicSeatReserved}
	got, err := Read(testContext(t, 10*time.Second), c.ListenAddrs(), topics)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	order := func(m Message) string {
		return fmt.Sprintf("%d/%d/%08d", slices.Index(topics, m.Topic), m.Partition, m.Offset)
	}
	slices.SortFunc(want, func(a, b Message) int { return strings.Compare(order(a), order(b)) })
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	partitions := map[int32]bool{}
	for i := range want {
		g, w := got[i], want[i]
		if g.Topic != w.Topic || g.Partition != w.Partition || g.Offset != w.Offset || g.Key != w.Key || string(g.Value) != string(w.Value) {
			t.Fatalf("record %d is %s key %q, want %s key %q", i, g, g.Key, w, w.Key)
		}
		partitions[g.Partition] = true
	}
	if len(partitions) < 2 {
		t.Fatalf("the records landed in partitions %v only; the test needs several", partitions)
	}
	if infos := c.PartitionInfos("not.yet"); len(infos) != 0 {
		t.Fatalf("Read created topic not.yet with %d partitions", len(infos))
	}
}

func TestReadMissingAndEmptyTopics(t *testing.T) {
	c := startBroker(t, TopicSeatReserved)
	got, err := Read(testContext(t, 10*time.Second), c.ListenAddrs(), []string{"not.yet", TopicSeatReserved})
	if err != nil || len(got) != 0 {
		t.Fatalf("Read = %v, %v; want nothing and no error", got, err)
	}
	if infos := c.PartitionInfos("not.yet"); len(infos) != 0 {
		t.Fatalf("Read created topic not.yet")
	}
}

func TestReadStopsAtTheHighWaterMarkOfTheCall(t *testing.T) {
	c := startBroker(t, TopicSeatReserved)
	p := newProducer(t, c.ListenAddrs())
	s := &stream{}
	produce(t, p, s.reserved(keyA, "h1", 1))
	first, err := Read(testContext(t, 10*time.Second), c.ListenAddrs(), []string{TopicSeatReserved})
	if err != nil || len(first) != 1 {
		t.Fatalf("Read = %v, %v", first, err)
	}
	produce(t, p, s.reserved(keyA, "h2", 2))
	second, err := Read(testContext(t, 10*time.Second), c.ListenAddrs(), []string{TopicSeatReserved})
	if err != nil || len(second) != 2 || second[1].Offset != 1 {
		t.Fatalf("second Read = %v, %v", second, err)
	}
}

func TestReadErrors(t *testing.T) {
	c := startBroker(t, TopicSeatReserved)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, c.ListenAddrs(), []string{TopicSeatReserved}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with a cancelled context: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := ln.Addr().String()
	ln.Close()
	if _, err := Read(testContext(t, 10*time.Second), []string{nobody}, []string{TopicSeatReserved}); err == nil {
		t.Fatal("Read from an address nobody listens on succeeded")
	}
}

func TestWaitCompleteWaitsForTheRelay(t *testing.T) {
	c := startBroker(t, Topics()...)
	p := newProducer(t, c.ListenAddrs())
	s := &stream{}
	produce(t, p, s.reserved(keyA, "h1", 1))
	produce(t, p, s.changed(keyA, 1))
	produce(t, p, s.changed(keyB, 1))
	late := []Message{s.changed(keyA, 2), s.changed(keyB, 2)}

	produced := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		for _, m := range late {
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: m.Topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Value)}); err != nil {
				produced <- err
				return
			}
		}
		produced <- nil
	}()

	final := map[string]int64{keyA: 2, keyB: 2}
	msgs, err := WaitComplete(testContext(t, 10*time.Second), c.ListenAddrs(), Topics(), final, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("WaitComplete: %v", err)
	}
	if err := <-produced; err != nil {
		t.Fatalf("produce: %v", err)
	}
	rep := Check(msgs, Expect{FinalVersions: final, Holds: []string{"h1"}})
	if !rep.OK() || rep.Messages != 5 {
		t.Fatalf("stream after WaitComplete: %s", rep)
	}
}

func TestWaitCompleteGivesUpWithTheLastRead(t *testing.T) {
	c := startBroker(t, Topics()...)
	p := newProducer(t, c.ListenAddrs())
	s := &stream{}
	produce(t, p, s.changed(keyA, 1))
	produce(t, p, s.changed(keyA, 2))

	final := map[string]int64{keyA: 5, keyB: 1}
	msgs, err := WaitComplete(testContext(t, 500*time.Millisecond), c.ListenAddrs(), Topics(), final, 50*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "e1/A at 2 of 5, e1/B at 0 of 1") {
		t.Fatalf("WaitComplete error %v", err)
	}
	if len(msgs) != 2 {
		t.Fatalf("WaitComplete returned %d records, want the 2 read", len(msgs))
	}
	if rep := Check(msgs, Expect{FinalVersions: final}); rep.Counts[KindMissingVersions] != 2 {
		t.Fatalf("report %s", rep)
	}
}

func TestWaitCompleteWithNothingToWaitFor(t *testing.T) {
	c := startBroker(t, Topics()...)
	msgs, err := WaitComplete(testContext(t, 5*time.Second), c.ListenAddrs(), Topics(), nil, 0)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("WaitComplete = %v, %v", msgs, err)
	}
}

func TestDescribeBehind(t *testing.T) {
	var b []behindSection
	for i := range 5 {
		b = append(b, behindSection{key: fmt.Sprintf("e/%d", i), reached: int64(i), end: 9})
	}
	want := "e/0 at 0 of 9, e/1 at 1 of 9, e/2 at 2 of 9 and 2 more"
	if got := describeBehind(b); got != want {
		t.Fatalf("describeBehind = %q, want %q", got, want)
	}
}

// The final versions are in the stream before a hold's seat.reserved: WaitExpected
// keeps reading until the event is there too, and gives up naming what is missing.
func TestWaitExpectedWaitsForDomainEvents(t *testing.T) {
	c := startBroker(t, Topics()...)
	p := newProducer(t, c.ListenAddrs())
	s := &stream{}
	produce(t, p, s.changed(keyA, 1))
	late := s.reserved(keyA, "h1", 1)
	produced := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: late.Topic, Key: sarama.StringEncoder(late.Key), Value: sarama.ByteEncoder(late.Value)})
		produced <- err
	}()
	exp := Expect{FinalVersions: map[string]int64{keyA: 1}, Holds: []string{"h1"}}
	msgs, err := WaitExpected(testContext(t, 10*time.Second), c.ListenAddrs(), Topics(), exp, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("WaitExpected: %v", err)
	}
	if err := <-produced; err != nil {
		t.Fatalf("produce: %v", err)
	}
	if rep := Check(msgs, exp); !rep.OK() || rep.Messages != 2 {
		t.Fatalf("stream after WaitExpected: %s", rep)
	}

	exp.Holds = append(exp.Holds, "h-never")
	msgs, err = WaitExpected(testContext(t, 300*time.Millisecond), c.ListenAddrs(), Topics(), exp, 50*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || len(msgs) != 2 {
		t.Fatalf("WaitExpected = %d records, %v; want the 2 read and the deadline", len(msgs), err)
	}
	if rep := Check(msgs, exp); rep.Counts[KindMissingEvent] != 1 {
		t.Fatalf("report %s", rep)
	}
}

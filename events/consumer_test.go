package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// memSink is an in-memory NotificationSink that counts how often each envelope was
// recorded and can fail the first attempts.
type memSink struct {
	mu       sync.Mutex
	got      map[string]int
	types    map[string]string
	failLeft int
	failed   int
}

func newMemSink(failFirst int) *memSink {
	return &memSink{got: make(map[string]int), types: make(map[string]string), failLeft: failFirst}
}

func (s *memSink) RecordNotifications(_ context.Context, ns []actors.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLeft > 0 {
		s.failLeft--
		s.failed++
		return errors.New("sink unavailable")
	}
	for _, n := range ns {
		if n.Topic == "" || n.Key == "" || n.Offset < 0 || len(n.Payload) == 0 {
			return fmt.Errorf("incomplete notification %s %q %q %d", n.EnvelopeID, n.Topic, n.Key, n.Offset)
		}
	}
	for _, n := range ns {
		s.got[n.EnvelopeID]++
		s.types[n.EnvelopeID] = n.Type
	}
	return nil
}

func (s *memSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// wantRecorded is a check for testenv.Eventually: it passes once the sink holds exactly
// n distinct envelopes.
func (s *memSink) wantRecorded(n int) func() error {
	return func() error {
		if got := s.count(); got != n {
			return fmt.Errorf("sink recorded %d envelopes, want %d", got, n)
		}
		return nil
	}
}

// produceEnvelopes sends n envelopes over every topic and returns their ids and types.
func produceEnvelopes(t testing.TB, p sarama.SyncProducer, prefix string, n int) map[string]string {
	t.Helper()
	types := []string{actors.TypeSeatReserved, actors.TypeSeatReleased, actors.TypeBookingCreated, actors.TypeBookingCancelled, actors.TypePaymentProcessed}
	want := make(map[string]string)
	var msgs []*sarama.ProducerMessage
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		typ := types[i%len(types)]
		m, err := actors.NewOutboxMessage(id, typ, time.Now(), actors.SectionKey{EventID: "e1", SectionID: fmt.Sprint(i % 4)}, map[string]int{"n": i})
		if err != nil {
			t.Fatal(err)
		}
		want[id] = typ
		msgs = append(msgs, &sarama.ProducerMessage{Topic: m.Topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Payload)})
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatal(err)
	}
	return want
}

func newTestNotifications(t testing.TB, addrs []string, sink NotificationSink) *Notifications {
	t.Helper()
	n, err := NewNotifications(ConsumerConfig{Brokers: addrs, GroupID: "test-notifications", Sink: sink, Logger: zaptest.NewLogger(t), MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotificationsRecordEachEnvelopeOnce(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	p := testSyncProducer(t, b.Addrs())
	want := produceEnvelopes(t, p, "a", 25)
	// Values that are not envelopes are skipped, not retried forever.
	bad := []*sarama.ProducerMessage{
		{Topic: actors.TopicSeatReserved, Key: sarama.StringEncoder("e1/0"), Value: sarama.StringEncoder("not json")},
		{Topic: actors.TopicSeatReleased, Key: sarama.StringEncoder("e1/1"), Value: sarama.StringEncoder(`{"type":"SeatReleased"}`)},
	}
	if err := p.SendMessages(bad); err != nil {
		t.Fatal(err)
	}
	sink := newMemSink(3)
	n := newTestNotifications(t, b.Addrs(), sink)
	stop := runInBackground(t, n.Run)
	testenv.Eventually(t, 30*time.Second, sink.wantRecorded(len(want)))

	for id, typ := range produceEnvelopes(t, p, "b", 10) {
		want[id] = typ
	}
	testenv.Eventually(t, 30*time.Second, sink.wantRecorded(len(want)))
	stop()

	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.failed != 3 {
		t.Errorf("sink failed %d times, want 3", sink.failed)
	}
	for id, typ := range want {
		if sink.got[id] != 1 {
			t.Errorf("envelope %s recorded %d times", id, sink.got[id])
		}
		if sink.types[id] != typ {
			t.Errorf("envelope %s recorded as %q, want %q", id, sink.types[id], typ)
		}
	}
	if len(sink.got) != len(want) {
		t.Errorf("sink recorded %d envelopes, want %d", len(sink.got), len(want))
	}
}

// TestNotificationsResumeAfterCommittedOffsets checks that offsets are committed: a
// consumer of the same group started later reads only what came after.
func TestNotificationsResumeAfterCommittedOffsets(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	p := testSyncProducer(t, b.Addrs())
	first := produceEnvelopes(t, p, "a", 15)
	sink1 := newMemSink(0)
	stop1 := runInBackground(t, newTestNotifications(t, b.Addrs(), sink1).Run)
	testenv.Eventually(t, 30*time.Second, sink1.wantRecorded(len(first)))
	stop1()

	later := produceEnvelopes(t, p, "b", 10)
	sink2 := newMemSink(0)
	stop2 := runInBackground(t, newTestNotifications(t, b.Addrs(), sink2).Run)
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := sink2.count(); n < len(later) {
			return fmt.Errorf("the second consumer recorded %d envelopes, want at least the %d later ones", n, len(later))
		}
		return nil
	})
	stop2()
	sink2.mu.Lock()
	defer sink2.mu.Unlock()
	for id := range later {
		if sink2.got[id] != 1 {
			t.Errorf("later envelope %s recorded %d times by the second consumer", id, sink2.got[id])
		}
	}
	for id := range first {
		if sink2.got[id] != 0 {
			t.Errorf("envelope %s, committed by the first consumer, was delivered again", id)
		}
	}
}

func TestNewNotificationsValidates(t *testing.T) {
	if _, err := NewNotifications(ConsumerConfig{Sink: newMemSink(0)}); err == nil {
		t.Error("no brokers accepted")
	}
	if _, err := NewNotifications(ConsumerConfig{Brokers: []string{"127.0.0.1:1"}}); err == nil {
		t.Error("no sink accepted")
	}
}

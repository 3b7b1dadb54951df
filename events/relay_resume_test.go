package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// noMarkOutbox publishes but can never mark: a relay on it is one that dies between the
// broker's acknowledgement and the marking.
type noMarkOutbox struct{ *memOutbox }

func (noMarkOutbox) MarkPublished(context.Context, int64, []int64) (bool, error) {
	return false, errors.New("connection to the database lost")
}

// TestRelayTakingOverDoesNotRepublish: the first relay publishes a batch and never
// marks it; the relay that takes over finds those records at the end of the stream,
// marks them and publishes only the rest, so every envelope is in the stream once.
func TestRelayTakingOverDoesNotRepublish(t *testing.T) {
	b, spy, o := newRelayRig(t)
	seq := map[string]int64{}
	addRecords(t, o, seq, 100)

	first := NewRelay(RelayConfig{Outbox: noMarkOutbox{o}, Producer: spy, Logger: zaptest.NewLogger(t), BatchSize: 64})
	stop := runInBackground(t, first.Run)
	testenv.Eventually(t, 15*time.Second, func() error {
		if sends, _ := spy.stats(); sends < 1 {
			return errors.New("the first relay has not sent a batch yet")
		}
		return nil
	})
	stop()
	if _, published := o.counts(); published != 0 {
		t.Fatalf("%d records marked by a relay that cannot mark", published)
	}
	if storedRecords(b) == 0 {
		t.Fatal("the first relay published nothing")
	}

	tail, err := NewTail(b.Addrs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer tail.Close()
	second := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), BatchSize: 64, Tail: tail})
	runInBackground(t, second.Run)
	testenv.Eventually(t, 15*time.Second, o.wantPublished(100))
	checkStream(t, b, o, 0)
}

// TestRelayTakingOverResendsWhatOvertookAMissingRecord: a relay published the second
// to fourth records of a stream (the first one's request failed and they overtook it)
// and every record of another stream, then died before marking any. The relay that
// takes over marks the second stream's records, found at the end of the stream, but
// must send the first stream whole: marking what overtook its first record would make
// that record follow them.
func TestRelayTakingOverResendsWhatOvertookAMissingRecord(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	spy := newSpyProducer(t, testProducer(t, b.Addrs()))
	direct := map[string]bool{} // envelopes the dead relay published
	o := newMemOutbox(func(id string) bool { return direct[id] || spy.isAcked(id) })
	first, second := actors.SectionKey{EventID: "e1", SectionID: "A"}, actors.SectionKey{EventID: "e1", SectionID: "B"}
	for v := int64(1); v <= 4; v++ {
		o.add(t, first, actors.TypeSeatReserved, v) // ids 1-4
	}
	for v := int64(1); v <= 3; v++ {
		o.add(t, second, actors.TypeSeatReserved, v) // ids 5-7
	}
	dead := testSyncProducer(t, b.Addrs())
	for _, id := range []int64{2, 3, 4, 5, 6, 7} {
		rec, env := o.record(id)
		if _, _, err := dead.SendMessage(producerMessage(rec, nil)); err != nil {
			t.Fatal(err)
		}
		direct[env] = true
	}

	tail, err := NewTail(b.Addrs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer tail.Close()
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), BatchSize: 16, Tail: tail})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 15*time.Second, o.wantPublished(7))
	if copies := checkStream(t, b, o, 3); copies != 3 {
		t.Errorf("%d copies in the stream, want 3: the first stream's 2-4 sent again, the second's marked", copies)
	}
	o.check(t)
}

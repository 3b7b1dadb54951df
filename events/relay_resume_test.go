package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

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
	b := testBroker(t, BrokerConfig{})
	spy := newSpyProducer(t, testProducer(t, b.Addrs()))
	o := newMemOutbox(spy.isAcked)
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

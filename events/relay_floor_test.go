package events

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// manualClock is a clock that moves only when the test moves it.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) actors.Timer {
	return time.AfterFunc(d, f) // the relay does not use it
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// hide makes the record with this id invisible to reads, as if its transaction had not
// committed yet, or shows it again.
func (o *memOutbox) hide(id int64, hidden bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recs[id-1].hidden = hidden
}

// readsAfter is a check for testenv.Eventually: it passes once Pending was called n
// more times than the reads count it was given.
func (o *memOutbox) readsAfter(start, n int) func() error {
	return func() error {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.reads < start+n {
			return fmt.Errorf("%d reads since, want %d", o.reads-start, n)
		}
		return nil
	}
}

func (o *memOutbox) readCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.reads
}

func TestReadFloorHoleDoesNotGrowOverALaterID(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var f readFloor
	f.note([]int64{2}) // 1 is not committed yet
	if !f.advance(t0, holeWait) || f.at != 0 {
		t.Fatalf("floor %d past a fresh hole at 1", f.at)
	}
	// 2 is published since, 3 is taken and not committed, 4 is read.
	f.note([]int64{4})
	if !f.advance(t0.Add(holeWait/2), holeWait) || f.at != 0 {
		t.Fatalf("floor %d past a young hole at 1", f.at)
	}
	// The hole at 1 is old enough; 3 was taken after it was found and must wait.
	if !f.advance(t0.Add(holeWait), holeWait) {
		t.Fatal("no hole holds the floor at 3")
	}
	if f.at != 2 {
		t.Fatalf("floor at %d, want 2: past the old hole at 1, before the young one at 3", f.at)
	}
	f.note([]int64{3, 5})
	if f.advance(t0.Add(holeWait), holeWait) || f.at != 5 {
		t.Fatalf("floor at %d once 3 and 5 are read, want 5", f.at)
	}
	f.note([]int64{4, 5, 7})
	if f.advance(t0.Add(2*holeWait), holeWait); f.at != 5 || len(f.seen) != 1 {
		t.Fatalf("floor at %d with seen %v, want 5 below the fresh hole at 6 and 7 kept", f.at, f.seen)
	}
}

// TestRelayFloorKeepsAStreamInOrderAcrossAHole: a hole in the ids (a transaction that
// has not committed) holds the floor while the records read above it are published;
// a record of another stream taken later, in the same hole's range, commits only after
// the old hole is due to be passed, followed by the next record of its stream. The
// relay must publish that stream in order: the later record may not go first, and the
// earlier one may not be left behind.
func TestRelayFloorKeepsAStreamInOrderAcrossAHole(t *testing.T) {
	b, spy, o := newRelayRig(t)
	clock := &manualClock{now: time.Unix(1_000_000, 0)}
	a, c := actors.SectionKey{EventID: "e1", SectionID: "A"}, actors.SectionKey{EventID: "e1", SectionID: "C"}
	hot := actors.SectionKey{EventID: "e1", SectionID: "hot"}

	o.add(t, a, actors.TypeSeatReserved, 1) // id 1: its transaction is slow
	o.hide(1, true)
	o.add(t, hot, actors.TypeSeatReserved, 1) // id 2
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Clock: clock, BatchSize: 16})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 10*time.Second, o.wantPublished(1))

	clock.advance(holeWait / 2)
	o.add(t, c, actors.TypeSeatReserved, 1) // id 3: taken now, not committed yet
	o.hide(3, true)
	o.add(t, hot, actors.TypeSeatReserved, 2) // id 4
	testenv.Eventually(t, 10*time.Second, o.wantPublished(2))

	// The hole at 1 is due, however late a read found it; the relay reads with 3
	// still invisible and 5 above it.
	o.add(t, hot, actors.TypeSeatReserved, 3) // id 5
	reads := o.readCount()                    // before the advance, whose read may come at once
	clock.advance(holeWait + holeRecheck)
	testenv.Eventually(t, 10*time.Second, o.readsAfter(reads, 1))

	o.hide(3, false)                        // C's first record commits, then its second one
	o.add(t, c, actors.TypeSeatReserved, 2) // id 6
	clock.advance(holeRecheck)
	testenv.Eventually(t, 10*time.Second, func() error {
		if err := o.wantPublished(5)(); err != nil {
			return err
		}
		if !o.isPublished(3) {
			return errors.New("C's second record is published and its first is not")
		}
		return nil
	})

	o.hide(1, false) // A's slow transaction commits at last; a sweep finds it
	clock.advance(sweepInterval)
	testenv.Eventually(t, 10*time.Second, o.wantPublished(6))
	checkStream(t, b, o, 0)
	o.check(t)
}

// TestRelayKeyLeftOutIsReadAgainFromWhereItWasLeftOut: a key that cannot publish is left
// out of the reads once it has MaxPerKey records unmarked, and the floor moves on over
// its records written meanwhile. When it publishes again, those records must go before
// its next ones, which a read from the floor finds first.
func TestRelayKeyLeftOutIsReadAgainFromWhereItWasLeftOut(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	k, other := actors.SectionKey{EventID: "e1", SectionID: "K"}, actors.SectionKey{EventID: "e1", SectionID: "J"}
	topic := actors.TopicOf(actors.TypeSeatReserved)
	part, err := sarama.NewHashPartitioner(topic).Partition(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(k.Identity())}, DefaultPartitions)
	if err != nil {
		t.Fatal(err)
	}
	fault := b.Cluster().Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Partitions: []int32{part},
		Err: kerr.UnknownServerError, Count: -1, // not retriable: sarama fails the batch at once
	})
	spy := newSpyProducer(t, testProducer(t, b.Addrs()))
	o := newMemOutbox(spy.isAcked)
	clock := &manualClock{now: time.Unix(1_000_000, 0)}
	for v := int64(1); v <= 3; v++ {
		o.add(t, k, actors.TypeSeatReserved, v) // ids 1-3
	}
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Clock: clock, BatchSize: 16, MaxPerKey: 2, MaxBackoff: 10 * time.Millisecond})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 10*time.Second, func() error {
		if _, failures := spy.stats(); failures == 0 {
			return errors.New("K has not failed yet")
		}
		return nil
	})

	// K is at its cap and left out; the floor moves on over its record 4.
	o.add(t, k, actors.TypeSeatReserved, 4)     // id 4
	o.add(t, other, actors.TypeSeatReleased, 1) // id 5
	testenv.Eventually(t, 10*time.Second, o.wantPublished(1))
	o.add(t, other, actors.TypeSeatReleased, 2) // id 6, read above the hole
	clock.advance(holeWait + holeRecheck)
	testenv.Eventually(t, 10*time.Second, o.wantPublished(2))

	// K publishes again, and its next record is written.
	fault.Remove()
	clock.advance(time.Second) // its backoff ends
	testenv.Eventually(t, 10*time.Second, func() error {
		clock.advance(holeRecheck)
		for id := int64(1); id <= 3; id++ {
			if !o.isPublished(id) {
				return fmt.Errorf("K's record %d is not published", id)
			}
		}
		return nil
	})
	o.add(t, k, actors.TypeSeatReserved, 5) // id 7
	testenv.Eventually(t, 10*time.Second, func() error {
		clock.advance(holeRecheck)
		return o.wantPublished(7)()
	})
	checkStream(t, b, o, -1)
	o.check(t)
}

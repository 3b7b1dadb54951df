package events

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestRelayKeepsAStreamInOrderWhenASlowCommitLandsAfterTheFloorPassedIt: a
// transaction slower than holeWait holds the first record of stream A while another
// stream's record is read above it, so the floor passes its id. Then it commits, and
// only then (the section row lock makes the writers of a stream wait for each other)
// the next record of A is written. The relay must publish A in order: the earlier
// record first, not the later one read from the floor with the earlier one left to a
// sweep that sends it late.
func TestRelayKeepsAStreamInOrderWhenASlowCommitLandsAfterTheFloorPassedIt(t *testing.T) {
	b, spy, o := newRelayRig(t)
	clock := &manualClock{now: time.Unix(1_000_000, 0)}
	a, other := actors.SectionKey{EventID: "e1", SectionID: "A"}, actors.SectionKey{EventID: "e1", SectionID: "B"}

	o.add(t, a, actors.TypeSeatReserved, 1) // id 1: its transaction is slow
	o.hide(1, true)
	o.add(t, other, actors.TypeSeatReserved, 1) // id 2
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Clock: clock, BatchSize: 16})
	reads := o.readCount()
	runInBackground(t, r.Run)
	testenv.Eventually(t, 10*time.Second, o.wantPublished(1))
	testenv.Eventually(t, 10*time.Second, o.readsAfter(reads, 1))
	reads = o.readCount()
	clock.advance(holeWait + holeRecheck) // the floor passes the hole at 1
	r.Wake()
	testenv.Eventually(t, 10*time.Second, o.readsAfter(reads, 2))

	o.hide(1, false)                        // the slow transaction commits
	o.add(t, a, actors.TypeSeatReserved, 2) // id 3: the next batch of A, after it
	r.Wake()
	testenv.Eventually(t, 10*time.Second, func() error {
		if !o.isPublished(3) {
			return errors.New("record 3 is not published")
		}
		return nil
	})
	for i := 0; i < 3 && !o.isPublished(1); i++ { // a sweep finds what the reads left behind
		reads := o.readCount()
		clock.advance(sweepInterval)
		r.Wake()
		testenv.Eventually(t, 10*time.Second, o.readsAfter(reads, 1))
	}
	testenv.Eventually(t, 10*time.Second, o.wantPublished(3))
	checkStream(t, b, o, 0)
	o.check(t)
}

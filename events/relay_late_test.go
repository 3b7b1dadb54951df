package events

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestRelayPublishesARecordThatCommitsAfterLaterOnesOfItsStream: a record becomes
// visible after the floor passed its id and after a later record of its stream was read
// and published (a writer that broke the section lock rule; the rule keeps it from
// happening within holeKeep). The sweep, or the read of the passed hole, finds it; the
// relay must publish it (late) instead of taking it for one it already has and leaving
// it unpublished until the lease moves.
func TestRelayPublishesARecordThatCommitsAfterLaterOnesOfItsStream(t *testing.T) {
	b, spy, o := newRelayRig(t)
	clock := &manualClock{now: time.Unix(1_000_000, 0)}
	a := actors.SectionKey{EventID: "e1", SectionID: "A"}

	o.add(t, a, actors.TypeSeatReserved, 1) // id 1: its transaction is slow
	o.hide(1, true)
	o.add(t, a, actors.TypeSeatReserved, 2) // id 2, same stream, visible first
	reg := prometheus.NewRegistry()
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Clock: clock, BatchSize: 16, Registerer: reg})
	reads := o.readCount() // counted before the relay starts, which reads at once
	runInBackground(t, r.Run)
	testenv.Eventually(t, 10*time.Second, o.readsAfter(reads, 1))
	clock.advance(holeWait + holeRecheck) // the hole at 1 is passed
	testenv.Eventually(t, 10*time.Second, o.wantPublished(1))
	if !o.isPublished(2) {
		t.Fatal("record 2 is not the one published")
	}

	o.hide(1, false) // the slow transaction commits; a sweep finds it
	for i := 0; i < 3; i++ {
		reads := o.readCount() // before the wake, whose read may come at once
		clock.advance(sweepInterval)
		r.Wake()
		testenv.Eventually(t, 10*time.Second, o.readsAfter(reads, 1))
	}
	testenv.Eventually(t, 10*time.Second, o.wantPublished(2))
	if got := storedRecords(b); got != 2 {
		t.Errorf("%d records in the stream, want 2 (no copies)", got)
	}
	if got := metricValue(t, reg, "ticketblitz_outbox_late_records_total"); got != 1 {
		t.Errorf("late_records_total = %v, want 1", got)
	}
	o.check(t)
}

package persistence

import (
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// An attempt's arrival time is written with it and read back to the microsecond; an
// attempt without one (an expiry, an older row) reads back as unknown.
func TestStoreAttemptArrivalIsKeptAndNullWhenUnknown(t *testing.T) {
	s, _ := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	snap := storeActivate(t, s, key)
	v := snap.Version + 1
	at := snap.DBNow.Truncate(time.Microsecond)
	received := at.Add(-1234 * time.Microsecond)
	b := storeHoldBatch(snap, snap.Version, "h_arr1", "u1", "A-1")
	b.Attempts = []actors.Attempt{
		{Seq: 1, At: at, ReceivedAt: received, Version: v, UserID: "u1", Action: actors.ActionHold, Seats: []string{"A-1"}, Ref: "h_arr1"},
		{Seq: 2, At: at, Version: v, UserID: "u2", Action: actors.ActionHold, Seats: []string{"A-1"},
			Code: actors.CodeSeatUnavailable, CauseSeq: 1},
	}
	b.LastSeq = 2
	storeCommit(t, s, b)

	p, err := s.SectionRecord(storeCtx(t), key, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Attempts) != 2 {
		t.Fatalf("record = %+v", p.Attempts)
	}
	got := p.Attempts[0]
	if !got.ReceivedAt.Equal(received) || got.ReceivedAt.After(got.At) {
		t.Fatalf("attempt #1 received at %v, decided at %v; want received at %v", got.ReceivedAt, got.At, received)
	}
	if !p.Attempts[1].ReceivedAt.IsZero() {
		t.Fatalf("attempt #2 has no arrival, read back %v", p.Attempts[1].ReceivedAt)
	}
}

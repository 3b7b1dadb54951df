package persistence

import (
	"errors"
	"slices"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestStoreAttemptLogIsWrittenWithItsBatchAndRead(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	snap := storeActivate(t, s, key)
	if snap.AttemptSeq != 0 {
		t.Fatalf("new section's attempt seq = %d", snap.AttemptSeq)
	}
	b := storeHoldBatch(snap, snap.Version, "h_att1", "u1", "A-1", "A-2")
	b.Attempts = []actors.Attempt{
		{Seq: 1, At: snap.DBNow, Version: snap.Version + 1, UserID: "u1", Action: actors.ActionHold, Seats: []string{"A-1", "A-2"},
			Ref: "h_att1", Kind: "HoldCommand", Command: []byte{1, 2}},
		{Seq: 2, At: snap.DBNow, Version: snap.Version + 1, UserID: "u2", Action: actors.ActionHold, Seats: []string{"A-2"},
			Code: actors.CodeSeatUnavailable, CauseSeq: 1},
	}
	b.LastSeq = 2
	storeCommit(t, s, b)
	// Refusals alone: under the fence, the version stays.
	only := &actors.Batch{Key: key, Epoch: snap.Epoch, Version: snap.Version + 1, RecordOnly: true, LastSeq: 3,
		Attempts: []actors.Attempt{{Seq: 3, At: snap.DBNow, Version: snap.Version + 1, UserID: "u3", Action: actors.ActionHold,
			Seats: []string{"A-1"}, Code: actors.CodeSeatUnavailable, CauseSeq: 1}}}
	storeCommit(t, s, only)
	if v := storeVersion(t, pool, key); v != snap.Version+1 {
		t.Fatalf("version = %d after a batch of refusals, want %d", v, snap.Version+1)
	}
	// A stale activation's batch of refusals is fenced.
	stale := *only
	stale.Epoch--
	stale.Attempts = []actors.Attempt{{Seq: 4, At: snap.DBNow, UserID: "u4", Action: actors.ActionHold}}
	stale.LastSeq = 4
	if err := s.Commit(storeCtx(t), &stale); !errors.Is(err, actors.ErrFenced) {
		t.Fatalf("stale batch of refusals: %v, want fenced", err)
	}

	hist, causes, err := s.SeatHistory(storeCtx(t), key, "A-2", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Seq != 1 || hist[1].Seq != 2 || hist[1].Code != actors.CodeSeatUnavailable ||
		!slices.Equal(hist[0].Seats, []string{"A-1", "A-2"}) || !slices.Equal(hist[0].Command, []byte{1, 2}) {
		t.Fatalf("history of A-2 = %+v", hist)
	}
	if c, ok := causes[1]; !ok || c.UserID != "u1" {
		t.Fatalf("causes = %+v", causes)
	}
	if _, _, err := s.SeatHistory(storeCtx(t), key, "Z-9", 100); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("history of a seat the section does not have: %v", err)
	}
	all, err := s.Attempts(storeCtx(t), key, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Seq != 2 || all[1].Seq != 3 {
		t.Fatalf("attempts after 1 = %+v", all)
	}
	if again := storeActivate(t, s, key); again.AttemptSeq != 3 {
		t.Fatalf("attempt seq after activation = %d, want 3", again.AttemptSeq)
	}
}

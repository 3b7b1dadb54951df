package persistence

import (
	"errors"
	"strings"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestStoreSectionRecordGroupsAttemptsByBatch(t *testing.T) {
	s, _ := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	snap := storeActivate(t, s, key)
	v := snap.Version + 1
	b := storeHoldBatch(snap, snap.Version, "h_rec1", "u1", "A-1")
	b.Attempts = []actors.Attempt{
		{Seq: 1, At: snap.DBNow, Version: v, UserID: "u1", Action: actors.ActionHold, Seats: []string{"A-1"}, Ref: "h_rec1"},
		{Seq: 2, At: snap.DBNow, Version: v, UserID: "u2", Action: actors.ActionHold, Seats: []string{"A-1"},
			Code: actors.CodeSeatUnavailable, CauseSeq: 1},
	}
	b.LastSeq = 2
	storeCommit(t, s, b)
	storeCommit(t, s, &actors.Batch{Key: key, Epoch: snap.Epoch, Version: v, RecordOnly: true, LastSeq: 3,
		Attempts: []actors.Attempt{{Seq: 3, At: snap.DBNow, Version: v, UserID: "u3", Action: actors.ActionHold,
			Seats: []string{"A-1"}, Code: actors.CodeSeatUnavailable, CauseSeq: 1}}})

	p, err := s.SectionRecord(storeCtx(t), key, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if p.FirstSeq != 1 || p.LastSeq != 3 || len(p.Attempts) != 3 {
		t.Fatalf("record = first %d, last %d, %d attempts", p.FirstSeq, p.LastSeq, len(p.Attempts))
	}
	if p.RecordOnly(p.Attempts[0]) || p.RecordOnly(p.Attempts[1]) || !p.RecordOnly(p.Attempts[2]) {
		t.Fatalf("batches: committed %v, attempts %+v", p.Committed, p.Attempts)
	}
	p, err = s.SectionRecord(storeCtx(t), key, 2, 10)
	if err != nil || len(p.Attempts) != 1 || p.Attempts[0].Seq != 3 {
		t.Fatalf("after #2: %+v, %v", p.Attempts, err)
	}
	if _, err := s.SectionRecord(storeCtx(t), actors.SectionKey{EventID: ev.ID, SectionID: "ZZ"}, 0, 10); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("record of a section that does not exist: %v", err)
	}
}

// A seat's history reads attempts_seats, not every attempt of the section.
func TestSeatHistoryUsesTheSeatIndex(t *testing.T) {
	_, pool := storeNew(t)
	ctx := storeCtx(t)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	// A section of 20,000 attempts over 2,000 seats, gone with the rollback.
	if _, err := tx.Exec(ctx, `INSERT INTO attempts
SELECT 'seat-index-plan', 'A', g, now(), g, 'u', 'hold', ARRAY['S-' || (g % 2000)], '', '', 0, '', ''
FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `ANALYZE attempts`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, "EXPLAIN "+seatAttemptsSQL, "seat-index-plan", "A", "S-7", 200)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "attempts_seats") {
		t.Fatalf("the seat history's plan does not use attempts_seats:\n%s", strings.Join(plan, "\n"))
	}
}

package events

import (
	"errors"
	"testing"
	"time"
)

// sendRound hands up to n queued records of the next stream over, as the relay does.
func sendRound(t *testing.T, ks *keys, now time.Time, n int) []*flight {
	t.Helper()
	var out []*flight
	for len(out) < n {
		k := ks.next(now, n)
		if k == nil {
			break
		}
		f := &flight{rec: k.queue[0], key: k}
		ks.take(f)
		out = append(out, f)
	}
	return out
}

func ids(fs []*flight) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.rec.ID
	}
	return out
}

// TestKeysMarkInOrderAndResendWhatOvertookAFailure: a stream's round of four records
// comes back out of order, its second record failed and the fourth overtook it. Only the
// first may be marked; the stream then sends again from the second, the overtaking
// ones included, after its backoff; another stream sends while the round is out.
func TestKeysMarkInOrderAndResendWhatOvertookAFailure(t *testing.T) {
	ks := newKeys(time.Second)
	now := time.Unix(0, 0)
	for id := int64(1); id <= 4; id++ {
		ks.add(OutboxRecord{ID: id, Topic: "seat.reserved", Key: "e/A"})
	}
	ks.add(OutboxRecord{ID: 5, Topic: "seat.reserved", Key: "e/B"})
	if ks.add(OutboxRecord{ID: 3, Topic: "seat.reserved", Key: "e/A"}) {
		t.Fatal("a record read again was taken as new")
	}
	round := sendRound(t, ks, now, 4)
	if got := ids(round); len(got) != 4 || got[0] != 1 || got[3] != 4 {
		t.Fatalf("first round %v, want records 1-4 of e/A", got)
	}
	if k := ks.next(now, 4); k == nil || k.name != "e/B" {
		t.Fatalf("next stream %v, want e/B while e/A's round is out", k)
	} else {
		ks.take(&flight{rec: k.queue[0], key: k})
	}

	if done := ks.acked(round[3], now); len(done) != 0 {
		t.Fatalf("record 4 acknowledged before 1-3: marked %v, want nothing", ids(done))
	}
	if done := ks.acked(round[0], now); len(done) != 1 || done[0].rec.ID != 1 {
		t.Fatalf("record 1 acknowledged: marked %v, want [1]", ids(done))
	}
	ks.failed(round[1], errors.New("refused"), now)
	if done := ks.acked(round[2], now); len(done) != 0 {
		t.Fatalf("record 3 acknowledged after 2 failed: marked %v, want nothing", ids(done))
	}
	if ks.overtaken != 2 {
		t.Errorf("overtaken = %d, want 2 (records 3 and 4)", ks.overtaken)
	}
	if k := ks.next(now, 4); k != nil {
		t.Fatalf("during e/A's backoff stream %s may send, want none", k.name)
	}
	later := now.Add(2 * time.Second)
	again := sendRound(t, ks, later, 4)
	if got := ids(again); len(got) != 3 || got[0] != 2 || got[1] != 3 || got[2] != 4 {
		t.Fatalf("resent %v, want [2 3 4]", got)
	}
	for _, f := range again {
		done := ks.acked(f, later)
		if len(done) != 1 || done[0] != f {
			t.Fatalf("acknowledging %d marked %v, want it alone", f.rec.ID, ids(done))
		}
	}
}

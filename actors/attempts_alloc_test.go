package actors

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
)

// rushDecisions is a batch's decisions as in a rush: n holds, every other one refused
// SOLD_OUT, each refusal resting on the grant before it; every other grant comes after
// an expiry.
func rushDecisions(n int) []*decision {
	ds := make([]*decision, n)
	var last *attemptNote
	for i := range ds {
		d := &decision{reply: HoldReply(Hold{ID: fmt.Sprint("h", i)})}
		if i%2 == 1 {
			d.reply = ErrorReply(ErrSoldOut)
		}
		if i%4 == 0 {
			d.expired = []*attemptNote{{Attempt: Attempt{UserID: "x", Action: ActionExpire}}}
		}
		d.note = &attemptNote{Attempt: Attempt{UserID: fmt.Sprint("u", i), Action: ActionHold},
			cmd: &HoldCommand{UserId: fmt.Sprint("u", i), Quantity: 1, IdempotencyKey: fmt.Sprint("k", i), RequestHash: []byte{byte(i)}}}
		if i%2 == 1 {
			d.note.cause = last
		}
		last = d.note
		ds[i] = d
	}
	return ds
}

// A batch's attempts are recorded into one slice made to their count, their commands
// encoded into one shared buffer made to their size, their codes read without making an error: the
// allocations do not grow with the batch's attempts (one each for the command's
// encoding, the code's error and the list of a decision's attempts, and the slice's
// growth: 328 for these 128 decisions). What is recorded is as before: the
// numbers, causes, codes, and each command as proto.Marshal encodes it.
func TestRecordAttemptsAllocations(t *testing.T) {
	a := &sectionActor{cfg: &SectionConfig{RecordAttempts: true}}
	const n = 128
	batches := make([][]*decision, 12) // AllocsPerRun calls once more than it counts
	for i := range batches {
		batches[i] = rushDecisions(n)
	}
	var out []Attempt
	next := 0
	got := testing.AllocsPerRun(len(batches)-1, func() {
		out = a.recordAttempts(batches[next], 10, 3)
		next++
	})
	if got > 4 {
		t.Errorf("%.0f allocations recording %d decisions' attempts, want at most 4", got, n)
	}
	ds, fresh := batches[len(batches)-1], rushDecisions(n) // the last batch counted, and its commands again
	if len(out) != n+n/4 {
		t.Fatalf("%d attempts, want %d", len(out), n+n/4)
	}
	seq, i := int64(10), 0
	for k, d := range ds {
		if len(d.expired) > 0 {
			seq++
			if at := out[i]; at.Seq != seq || at.Action != ActionExpire || at.Command != nil || at.Version != 3 {
				t.Fatalf("attempt %d: %+v", i, at)
			}
			i++
		}
		seq++
		at := out[i]
		want, err := proto.Marshal(fresh[k].note.cmd)
		if err != nil {
			t.Fatal(err)
		}
		wantCode, wantCause := Code(""), int64(0)
		if k%2 == 1 {
			wantCode, wantCause = CodeSoldOut, ds[k-1].note.Seq
		}
		if at.Seq != seq || at.Version != 3 || at.Code != wantCode || at.CauseSeq != wantCause || wantCause == seq ||
			string(at.Command) != string(want) || at.Kind != "HoldCommand" || at.UserID != d.note.UserID {
			t.Fatalf("attempt %d: %+v, want seq %d code %q cause %d command %x", i, at, seq, wantCode, wantCause, want)
		}
		i++
	}
}

// BenchmarkRecordAttempts records the attempts of a batch of 128 decisions of a rush
// (see rushDecisions): per operation, one batch.
func BenchmarkRecordAttempts(b *testing.B) {
	a := &sectionActor{cfg: &SectionConfig{RecordAttempts: true}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ds := rushDecisions(128)
		b.StartTimer()
		a.recordAttempts(ds, 0, 1)
	}
}

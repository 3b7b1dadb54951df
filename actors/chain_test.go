package actors

import (
	"crypto/sha256"
	"slices"
	"testing"
	"time"
)

// foldAttemptByFields is FoldAttempt as first written, a hash.Hash fed field by field:
// the digests of records already written must not change.
func foldAttemptByFields(digest []byte, a Attempt) []byte {
	h := sha256.New()
	writeBytes(h, digest)
	writeInt(h, a.Seq)
	writeInt(h, a.At.UnixMicro())
	writeInt(h, a.Version)
	writeString(h, a.UserID)
	writeString(h, a.Action)
	writeInt(h, int64(len(a.Seats)))
	for _, s := range a.Seats {
		writeString(h, s)
	}
	writeString(h, a.Ref)
	writeString(h, string(a.Code))
	writeInt(h, a.CauseSeq)
	writeString(h, a.Kind)
	writeBytes(h, a.Command)
	return h.Sum(nil)
}

func TestFoldAttemptDigestIsUnchanged(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.UTC)
	long := make([]byte, 2000) // past the stack buffer
	for i := range long {
		long[i] = byte(i)
	}
	var want, got []byte
	for i, a := range []Attempt{
		{},
		{Seq: 1, At: t0, Version: 3, UserID: "u1", Action: ActionHold, Seats: []string{"A-1", "A-2"}, Ref: "h_1", Kind: "HoldCommand", Command: []byte{1, 2, 3}},
		{Seq: 2, At: t0, Version: 3, UserID: "u2", Action: ActionHold, Seats: []string{"A-2"}, Code: CodeSeatUnavailable, CauseSeq: 1},
		{Seq: 3, At: t0.Add(time.Second), Version: 4, UserID: "u1", Action: ActionExpire, Seats: []string{"A-1", "A-2"}, Ref: "h_1"},
		{Seq: 4, At: t0, Version: 4, UserID: "u3", Action: ActionConfirm, Kind: "ConfirmCommand", Command: long},
	} {
		want, got = foldAttemptByFields(want, a), FoldAttempt(got, a)
		if !slices.Equal(want, got) {
			t.Fatalf("digest after attempt %d = %x, want %x", i, got, want)
		}
	}
}

func BenchmarkFoldAttempt(b *testing.B) {
	a := Attempt{Seq: 41, At: time.Now(), Version: 12, UserID: "fan-123", Action: ActionHold, Seats: []string{"C-14", "C-15"},
		Ref: "h_3kPq9Zt2", Kind: "HoldCommand", Command: make([]byte, 60)}
	digest := FoldAttempt(nil, a)
	b.ReportAllocs()
	for b.Loop() {
		digest = FoldAttempt(digest, a)
	}
}

func BenchmarkFoldAttemptByFields(b *testing.B) {
	a := Attempt{Seq: 41, At: time.Now(), Version: 12, UserID: "fan-123", Action: ActionHold, Seats: []string{"C-14", "C-15"},
		Ref: "h_3kPq9Zt2", Kind: "HoldCommand", Command: make([]byte, 60)}
	digest := FoldAttempt(nil, a)
	b.ReportAllocs()
	for b.Loop() {
		digest = foldAttemptByFields(digest, a)
	}
}

package actors

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// The record of a sale is chained: every attempt a section records is folded, in
// sequence order, into the section's attempt digest (FoldAttempt), and every batch that
// commits a version links it to the previous version (ChainLink) over the version, the
// seat changes it published, the number of the last attempt it covers and the attempt
// digest there. The section row carries both, each batch writes its link beside it and
// publishes it in its section.changed record, so a verifier that reads only the stream
// and the store can recompute every link: a version missing, a record changed, an
// attempt changed or a store row that disagrees breaks the chain at a known place.

// FoldAttempt returns the attempt digest after a: SHA-256 over the digest before it
// and a's fields.
func FoldAttempt(digest []byte, a Attempt) []byte {
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

// ChainLink returns the link of a version: SHA-256 over the previous version's link,
// the version, the last attempt number and the attempt digest after the version's
// batch, and the seat changes it published, in order.
func ChainLink(prev []byte, version, lastSeq int64, digest []byte, changes []SeatStatusChange) []byte {
	h := sha256.New()
	writeBytes(h, prev)
	writeInt(h, version)
	writeInt(h, lastSeq)
	writeBytes(h, digest)
	writeInt(h, int64(len(changes)))
	for _, c := range changes {
		writeString(h, c.ID)
		writeString(h, string(c.Status))
	}
	return h.Sum(nil)
}

func writeInt(h hash.Hash, n int64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	h.Write(b[:])
}

func writeBytes(h hash.Hash, b []byte) {
	writeInt(h, int64(len(b)))
	h.Write(b)
}

func writeString(h hash.Hash, s string) {
	writeInt(h, int64(len(s)))
	h.Write([]byte(s))
}

// foldAttempts folds attempts, in order, into digest.
func foldAttempts(digest []byte, attempts []Attempt) []byte {
	for _, a := range attempts {
		digest = FoldAttempt(digest, a)
	}
	return digest
}

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
	var stack [512]byte
	sum := sha256.Sum256(appendAttempt(stack[:0], digest, a))
	return sum[:]
}

// appendAttempt appends what FoldAttempt hashes: the digest before a, then a's fields,
// each length-prefixed (see appendInt, appendBytes). It is built in one buffer and hashed
// in one call, since a hash.Hash written field by field costs an allocation a field.
func appendAttempt(b, digest []byte, a Attempt) []byte {
	b = appendBytes(b, digest)
	b = appendInt(b, a.Seq)
	b = appendInt(b, a.At.UnixMicro())
	b = appendInt(b, a.Version)
	b = appendString(b, a.UserID)
	b = appendString(b, a.Action)
	b = appendInt(b, int64(len(a.Seats)))
	for _, s := range a.Seats {
		b = appendString(b, s)
	}
	b = appendString(b, a.Ref)
	b = appendString(b, string(a.Code))
	b = appendInt(b, a.CauseSeq)
	b = appendString(b, a.Kind)
	return appendBytes(b, a.Command)
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

func appendInt(b []byte, n int64) []byte { return binary.BigEndian.AppendUint64(b, uint64(n)) }

func appendBytes(b, p []byte) []byte { return append(appendInt(b, int64(len(p))), p...) }

func appendString(b []byte, s string) []byte { return append(appendInt(b, int64(len(s))), s...) }

// foldAttempts folds attempts, in order, into digest.
//
// It is FoldAttempt over each in turn, with one buffer for the digests on the way: a
// batch of a rush carries a thousand refusals' attempts or more, and a digest of its own
// for each was an allocation an attempt. digest itself is not written to.
func foldAttempts(digest []byte, attempts []Attempt) []byte {
	if len(attempts) == 0 {
		return digest
	}
	var stack [512]byte
	out := make([]byte, sha256.Size)
	for _, a := range attempts {
		sum := sha256.Sum256(appendAttempt(stack[:0], digest, a))
		copy(out, sum[:])
		digest = out
	}
	return out
}

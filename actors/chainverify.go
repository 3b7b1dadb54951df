package actors

import (
	"bytes"
	"encoding/hex"
	"fmt"
)

// ChainRow is one version's link as the store keeps it.
type ChainRow struct {
	Version    int64
	AttemptSeq int64
	Digest     []byte
	Chain      []byte
}

// SectionRecord is what a verifier knows of one section: its section.changed records
// as the stream carried them, in stream order, and from the store its links by
// version, its attempts in sequence order (from some number on), its version and its
// seats' statuses.
type SectionRecord struct {
	Key      SectionKey
	Stream   []SectionChanged
	Rows     map[int64]ChainRow
	Attempts []Attempt
	Version  int64
	Seats    map[string]SeatStatus
}

// BrokenLinkError names the first place where a section's record does not hold.
type BrokenLinkError struct {
	Key     SectionKey
	Version int64
	What    string
}

func (e *BrokenLinkError) Error() string {
	return fmt.Sprintf("%s version %d: %s", e.Key.Identity(), e.Version, e.What)
}

// VerifySection checks that the section's versions in the stream follow one another
// without a gap up to the store's version, that each record's link follows from the
// link before it, the record's seat changes and the store's attempts, that the store
// keeps the same link for each version, that no seat is sold twice, and, when the
// stream starts at the first version, that the store's seats are as the records left
// them. It returns the first broken link, or nil.
func VerifySection(r SectionRecord) error {
	broken := func(v int64, format string, args ...any) error {
		return &BrokenLinkError{Key: r.Key, Version: v, What: fmt.Sprintf(format, args...)}
	}
	if len(r.Stream) == 0 {
		if r.Version > 0 {
			return broken(r.Version, "the stream has no record of the section, whose store is at this version")
		}
		return nil
	}
	first := r.Stream[0].Version
	var link, digest []byte
	var seq int64
	if first > 1 {
		prev, ok := r.Rows[first-1]
		if !ok {
			return broken(first-1, "the store has no link for the version before the stream's first record")
		}
		link, digest, seq = prev.Chain, prev.Digest, prev.AttemptSeq
	}
	next := 0
	for next < len(r.Attempts) && r.Attempts[next].Seq <= seq {
		next++
	}
	seats := make(map[string]SeatStatus)
	soldAt := make(map[string]int64)
	version := first - 1
	var last SectionChanged
	for i, rec := range r.Stream {
		if i > 0 && rec.Version == last.Version && rec.Chain == last.Chain {
			continue // a record delivered twice
		}
		if rec.Version != version+1 {
			return broken(rec.Version, "gap: the stream's record follows version %d", version)
		}
		version, last = rec.Version, rec
		for _, c := range rec.Changes {
			if c.Status == SeatSold && seats[c.ID] == SeatSold {
				return broken(rec.Version, "seat %s sold twice (first at version %d)", c.ID, soldAt[c.ID])
			}
			if c.Status == SeatSold {
				soldAt[c.ID] = rec.Version
			}
			seats[c.ID] = c.Status
		}
		row, ok := r.Rows[rec.Version]
		if !ok {
			return broken(rec.Version, "the store has no link for this version")
		}
		if hex.EncodeToString(row.Chain) != rec.Chain {
			return broken(rec.Version, "the store's link disagrees with the stream's record")
		}
		for ; seq < rec.AttemptSeq; seq++ {
			if next >= len(r.Attempts) || r.Attempts[next].Seq != seq+1 {
				return broken(rec.Version, "attempt #%d is missing from the store", seq+1)
			}
			digest = FoldAttempt(digest, r.Attempts[next])
			next++
		}
		if !bytes.Equal(digest, row.Digest) {
			return broken(rec.Version, "the attempts up to #%d were changed: their digest differs from the one the version chained", rec.AttemptSeq)
		}
		link = ChainLink(link, rec.Version, rec.AttemptSeq, digest, rec.Changes)
		if hex.EncodeToString(link) != rec.Chain {
			return broken(rec.Version, "the record was changed: its link does not follow from the one before and its contents")
		}
	}
	if version != r.Version {
		return broken(version+1, "gap: the stream ends at version %d, the store is at %d", version, r.Version)
	}
	if first == 1 {
		for id, st := range r.Seats {
			want := seats[id]
			if want == "" {
				want = SeatAvailable
			}
			if st != want {
				return broken(version, "the store's seat %s is %s, the chain says %s", id, st, want)
			}
		}
	}
	return nil
}

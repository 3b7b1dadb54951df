package events

import (
	"slices"
	"time"
)

// readFloor is the id below which the relay has read every record it may need: a read
// from it misses nothing of any stream that is not left out (see relayLoop.behind).
//
// Ids are taken when records are written and become visible when their transaction
// commits, so a read may see an id while a smaller one is still uncommitted. The floor
// moves over the ids reads returned (published since or not) and stops below the first
// id no read returned, a hole, until the hole is holeWait old: a transaction that rolled
// back leaves a hole for good.
//
// The hole's age is counted from the read that first found it with a returned id above
// it, so every id in it was taken before then: ids rise in the order they are taken.
// Counting only returned ids as present matters: a record read and published meanwhile
// is no hole, and a hole that grew over it would swallow an id taken later, which the
// floor would pass before its transaction had time to commit.
//
// A hole the floor passed is not forgotten: its ids may still be a slow transaction's,
// which commits later, and only after that can the next record of its stream be
// written (the section lock makes the writers of a stream wait for each other). Every
// read takes the passed holes again, in the same snapshot as the ids above the floor,
// for holeKeep: so a read that returns a later record of a stream returns a record of
// it that committed in a passed hole too, before it in id order. Only a transaction
// that commits more than holeKeep after its record's id was passed escapes that; the
// sweep finds its record, and the relay sends it late (see addLate).
type readFloor struct {
	at        int64        // every id up to this one is read or passed
	seen      []int64      // ids above at that reads returned, ascending
	holeAt    int64        // the first id of the hole the floor waits at
	holeSince time.Time    // when a read first found that hole
	passed    []passedHole // holes the floor passed less than holeKeep ago, ascending
}

// passedHole is a range of ids the floor passed without a read returning them.
type passedHole struct {
	lo, hi int64
	at     time.Time // when the floor passed it
}

// The passed holes the floor keeps: for how long, and how many at most (the oldest
// go first).
const (
	holeKeep      = time.Minute
	maxPassedHole = 1024
)

// holes drops the passed holes older than keep and returns the parts of the others at
// or below after (a read takes the ids above after anyway) as inclusive id ranges, for
// Outbox.Pending.
func (f *readFloor) holes(now time.Time, keep time.Duration, after int64) [][2]int64 {
	n := 0
	for n < len(f.passed) && now.Sub(f.passed[n].at) >= keep {
		n++
	}
	f.passed = slices.Delete(f.passed, 0, n)
	var out [][2]int64
	for _, h := range f.passed {
		if h.lo <= after {
			out = append(out, [2]int64{h.lo, min(h.hi, after)})
		}
	}
	return out
}

// pass records that the floor passed the ids lo..hi.
func (f *readFloor) pass(lo, hi int64, now time.Time) {
	if len(f.passed) == maxPassedHole {
		f.passed = slices.Delete(f.passed, 0, 1)
	}
	f.passed = append(f.passed, passedHole{lo: lo, hi: hi, at: now})
}

// note records the ids a read returned, in ascending order.
func (f *readFloor) note(ids []int64) {
	if len(ids) == 0 {
		return
	}
	merged := make([]int64, 0, len(f.seen)+len(ids))
	i, j := 0, 0
	for i < len(f.seen) || j < len(ids) {
		var id int64
		switch {
		case j == len(ids) || (i < len(f.seen) && f.seen[i] < ids[j]):
			id, i = f.seen[i], i+1
		default:
			id, j = ids[j], j+1
		}
		if id > f.at && (len(merged) == 0 || merged[len(merged)-1] != id) {
			merged = append(merged, id)
		}
	}
	f.seen = merged
}

// advance moves the floor up over the ids reads returned, and over holes at least wait
// old, and reports whether a younger hole holds it.
func (f *readFloor) advance(now time.Time, wait time.Duration) (holeOpen bool) {
	n := 0
	for n < len(f.seen) {
		next := f.seen[n]
		if next > f.at+1 {
			if f.holeAt != f.at+1 {
				f.holeAt, f.holeSince = f.at+1, now
			}
			if now.Sub(f.holeSince) < wait {
				holeOpen = true
				break
			}
			f.pass(f.at+1, next-1, now)
		}
		f.at = next
		n++
	}
	f.seen = slices.Delete(f.seen, 0, n)
	return holeOpen
}

// holeAge is how long the hole the floor waits at has been known.
func (f *readFloor) holeAge(now time.Time) time.Duration {
	return now.Sub(f.holeSince)
}

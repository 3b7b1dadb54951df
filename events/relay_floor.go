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
type readFloor struct {
	at        int64     // every id up to this one is read or passed
	seen      []int64   // ids above at that reads returned, ascending
	holeAt    int64     // the first id of the hole the floor waits at
	holeSince time.Time // when a read first found that hole
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

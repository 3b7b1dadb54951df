package events

import (
	"slices"

	"go.uber.org/zap"
)

// addLate takes a record read below its stream's highest id read that the relay does
// not have: not queued, not in flight, not acknowledged and being marked (has tells).
// Reads take the holes the floor passed again for holeKeep (see readFloor), so such a
// record was committed more than holeKeep after the floor passed its id, and later
// records of its stream were read (and maybe published) before a sweep found it; or a
// writer broke the rule that a stream's records become visible in id order. It is
// queued in id order among the stream's unsent records and sent with the next round,
// late but at once, rather than left unpublished until the lease moves. It reports
// whether the record was taken.
func (ks *keys) addLate(rec OutboxRecord, has func(id int64) bool) bool {
	k := ks.byName[streamID{rec.Topic, rec.Key}]
	if k == nil || rec.ID > k.lastID {
		return false
	}
	i, found := slices.BinarySearchFunc(k.queue, rec.ID, func(r OutboxRecord, id int64) int {
		switch {
		case r.ID < id:
			return -1
		case r.ID > id:
			return 1
		}
		return 0
	})
	if found {
		return false
	}
	for _, f := range k.window {
		if f.rec.ID == rec.ID {
			return false
		}
	}
	if has(rec.ID) {
		return false
	}
	k.queue = slices.Insert(k.queue, i, rec)
	ks.queued++
	if k.inflight == 0 && !k.failed {
		ks.enqueue(k)
	}
	return true
}

// noteLate logs the records addLate took in one read.
func (l *relayLoop) noteLate(late []int64) {
	if len(late) == 0 {
		return
	}
	l.metrics.late.Add(float64(len(late)))
	l.log.Warn("records committed after later records of their stream were read; sent late, after them",
		zap.Int64s("ids", late))
}

package live

import "time"

// traceRing keeps the most recent encoded traces, at most cap of them and none older
// than maxAge, so that a viewer who opens the page late is first shown what just
// happened. It is not safe for concurrent use: the hub guards it.
type traceRing struct {
	maxAge time.Duration
	items  []ringItem // circular
	start  int        // index of the oldest item
	n      int
}

type ringItem struct {
	at  time.Time
	msg *frame
}

func newTraceRing(capacity int, maxAge time.Duration) *traceRing {
	return &traceRing{maxAge: maxAge, items: make([]ringItem, capacity)}
}

// add records msg, traced at at, evicting the oldest item when the ring is full.
func (r *traceRing) add(at time.Time, msg *frame) {
	if len(r.items) == 0 {
		return
	}
	if r.n == len(r.items) {
		r.items[r.start] = ringItem{}
		r.start = (r.start + 1) % len(r.items)
		r.n--
	}
	r.items[(r.start+r.n)%len(r.items)] = ringItem{at: at, msg: msg}
	r.n++
}

// recent returns the items traced after now-maxAge, oldest first, and forgets the
// older ones. Items are kept in arrival order, which on a cluster is not exactly time
// order: an item older than the window behind a newer one is dropped with the rest.
func (r *traceRing) recent(now time.Time) []*frame {
	cutoff := now.Add(-r.maxAge)
	for r.n > 0 && !r.items[r.start].at.After(cutoff) {
		r.items[r.start] = ringItem{}
		r.start = (r.start + 1) % len(r.items)
		r.n--
	}
	out := make([]*frame, 0, r.n)
	for i := 0; i < r.n; i++ {
		it := r.items[(r.start+i)%len(r.items)]
		if it.at.After(cutoff) {
			out = append(out, it.msg)
		}
	}
	return out
}

package actors

import (
	"container/heap"
	"time"
)

// expiryQueue orders a section's holds by expiry: a min-heap of (expires at, hold id).
// Entries are never updated in place: a hold that is extended gets a new entry, and an
// entry whose hold has since finished, moved its expiry or left memory is skipped when it
// comes up (lazy deletion). A tick then costs O(expired · log n) and a new expiry
// O(log n). Stale entries are dropped by a rebuild once they outnumber the live holds, so
// the queue stays proportional to what is live.
type expiryQueue struct{ entries expiryHeap }

type expiryEntry struct {
	at     time.Time
	holdID string
}

// expiryCompactSlack is how many stale entries the queue tolerates beyond twice the live
// holds before it rebuilds.
const expiryCompactSlack = 64

// push adds an expiry.
func (q *expiryQueue) push(at time.Time, holdID string) {
	heap.Push(&q.entries, expiryEntry{at: at, holdID: holdID})
}

// len is the number of entries, stale ones included.
func (q *expiryQueue) len() int { return len(q.entries) }

// peek returns the earliest entry whose hold is still due then (ok false when none),
// dropping the stale ones it finds on top.
func (q *expiryQueue) peek(live func(expiryEntry) bool) (expiryEntry, bool) {
	for len(q.entries) > 0 {
		if e := q.entries[0]; live(e) {
			return e, true
		}
		heap.Pop(&q.entries)
	}
	return expiryEntry{}, false
}

// popDue removes and returns the earliest entry if it is due at now (live or not).
func (q *expiryQueue) popDue(now time.Time) (expiryEntry, bool) {
	if len(q.entries) == 0 || q.entries[0].at.After(now) {
		return expiryEntry{}, false
	}
	return heap.Pop(&q.entries).(expiryEntry), true
}

// compact rebuilds the queue from the live holds when stale entries outnumber them:
// each rebuild costs O(live) and follows at least live+expiryCompactSlack pushes, so its
// cost per push is O(1).
func (q *expiryQueue) compact(liveHolds int, live func() []expiryEntry) {
	if len(q.entries) <= 2*liveHolds+expiryCompactSlack {
		return
	}
	q.entries = expiryHeap(live())
	heap.Init(&q.entries)
}

// expiryHeap implements heap.Interface, earliest first.
type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

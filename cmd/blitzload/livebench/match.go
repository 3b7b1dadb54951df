package livebench

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// holdKey names the n-th successful hold of a seat in a run (n from 1).
type holdKey struct {
	seat string
	n    int32
}

// HoldBook is the load's side of the matching: for each seat, the answer time of its
// n-th successful hold. A seat is held again only after its previous hold was
// released, and the load records a hold before it sends the release, so the book's
// order per seat is the order of the commits — the order in which the seat turns
// "held" in the section's version stream.
type HoldBook struct {
	mu       sync.Mutex
	counts   map[string]int32
	answered sync.Map // holdKey → time.Time of the 201
}

// NewHoldBook returns an empty book.
func NewHoldBook() *HoldBook { return &HoldBook{counts: map[string]int32{}} }

// Held records that seat's hold was answered 201 at at.
func (b *HoldBook) Held(seat string, at time.Time) {
	b.mu.Lock()
	b.counts[seat]++
	k := holdKey{seat: seat, n: b.counts[seat]}
	b.mu.Unlock()
	b.answered.Store(k, at)
}

// answer returns when the n-th hold of seat was answered.
func (b *HoldBook) answer(seat string, n int32) (time.Time, bool) {
	v, ok := b.answered.Load(holdKey{seat: seat, n: n})
	if !ok {
		return time.Time{}, false
	}
	return v.(time.Time), true
}

// Latencies collects delivery latencies from many subscribers in a few locked HDR
// histograms (microseconds, 1 µs to 10 min, 3 significant digits).
type Latencies struct {
	shards []latencyShard
}

type latencyShard struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
	// early counts deliveries that arrived before the hold's 201 (recorded as 0).
	early int64
}

const maxMicros = int64(10 * time.Minute / time.Microsecond)

// NewLatencies returns a collector of n shards.
func NewLatencies(n int) *Latencies {
	l := &Latencies{shards: make([]latencyShard, max(n, 1))}
	for i := range l.shards {
		l.shards[i].h = hdrhistogram.New(1, maxMicros, 3)
	}
	return l
}

// Record adds one latency into shard i (mod the shard count); a negative one is
// counted as early and recorded as zero.
func (l *Latencies) Record(i int, d time.Duration) {
	s := &l.shards[i%len(l.shards)]
	s.mu.Lock()
	if d < 0 {
		s.early++
		d = 0
	}
	_ = s.h.RecordValue(min(max(d.Microseconds(), 1), maxMicros))
	s.mu.Unlock()
}

// Summary is a delivery latency distribution in milliseconds.
type Summary struct {
	Count int64   `json:"count"`
	Early int64   `json:"early"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
}

// Summarize merges the shards.
func (l *Latencies) Summarize() Summary {
	all := hdrhistogram.New(1, maxMicros, 3)
	var early int64
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		all.Merge(s.h)
		early += s.early
		s.mu.Unlock()
	}
	if all.TotalCount() == 0 {
		return Summary{Early: early}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Summary{
		Count: all.TotalCount(), Early: early,
		P50: ms(all.ValueAtQuantile(50)), P90: ms(all.ValueAtQuantile(90)),
		P99: ms(all.ValueAtQuantile(99)), P999: ms(all.ValueAtQuantile(99.9)), Max: ms(all.Max()),
	}
}

// pending is a delivery seen before the load had recorded the hold's answer.
type pending struct {
	seat string
	n    int32
	at   time.Time
}

// Tracker is one subscriber's view of the section: version continuity and, for each
// seat, how many times it has turned "held". The n-th "held" of a seat in the version
// stream is the n-th hold of the HoldBook; its latency is the delta's arrival minus
// the hold's 201. Not safe for concurrent use: one per subscriber.
type Tracker struct {
	idx     int
	book    *HoldBook
	lat     *Latencies
	version int64
	started bool
	held    map[string]int32
	pending []pending
	// arrivals records when each version arrived, for the fan-out spread.
	arrivals []arrival

	// Messages, Gaps and Duplicates count deltas, versions skipped over and versions
	// seen again.
	Messages, Gaps, Duplicates int64
}

// NewTracker returns subscriber idx's tracker, recording into lat.
func NewTracker(idx int, book *HoldBook, lat *Latencies) *Tracker {
	return &Tracker{idx: idx, book: book, lat: lat, held: map[string]int32{}}
}

// Snapshot sets the version the subscriber starts from.
func (t *Tracker) Snapshot(version int64) {
	t.version, t.started = version, true
}

// Delta takes one delta of version v that arrived at at, with its seats turned held.
func (t *Tracker) Delta(v int64, heldSeats []string, at time.Time) {
	t.Messages++
	switch {
	case !t.started:
		t.started = true
	case v <= t.version:
		t.Duplicates++
		return
	case v > t.version+1:
		t.Gaps++
	}
	t.version = v
	t.arrivals = append(t.arrivals, arrival{version: v, at: at.UnixNano()})
	for _, seat := range heldSeats {
		t.held[seat]++
		n := t.held[seat]
		if ans, ok := t.book.answer(seat, n); ok {
			t.lat.Record(t.idx, at.Sub(ans))
		} else {
			t.pending = append(t.pending, pending{seat: seat, n: n, at: at})
		}
	}
}

// Finish resolves the deliveries that beat their hold's answer and returns how many
// held changes matched no hold of the book.
func (t *Tracker) Finish() (unmatched int64) {
	for _, p := range t.pending {
		ans, ok := t.book.answer(p.seat, p.n)
		if !ok {
			unmatched++
			continue
		}
		t.lat.Record(t.idx, p.at.Sub(ans))
	}
	t.pending = nil
	return unmatched
}

package livebench

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// arrival is when one subscriber received one version.
type arrival struct {
	version int64
	at      int64 // unix nanoseconds
}

// Spread is, over the versions every subscriber received, the time from the first
// subscriber's copy to the last one's: how long one fan-out takes, apart from the way
// from the commit to the server's live feed.
func Spread(arrivals [][]arrival) Summary {
	type span struct{ first, last int64 }
	spans := map[int64]*span{}
	counts := map[int64]int{}
	for _, sub := range arrivals {
		for _, a := range sub {
			s := spans[a.version]
			if s == nil {
				spans[a.version] = &span{first: a.at, last: a.at}
				counts[a.version]++
				continue
			}
			s.first, s.last = min(s.first, a.at), max(s.last, a.at)
			counts[a.version]++
		}
	}
	h := hdrhistogram.New(1, maxMicros, 3)
	for v, s := range spans {
		if counts[v] < len(arrivals) {
			continue // not everyone got it (joined later, or lost): no full fan-out
		}
		_ = h.RecordValue(min(max((s.last-s.first)/int64(time.Microsecond), 1), maxMicros))
	}
	if h.TotalCount() == 0 {
		return Summary{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Summary{Count: h.TotalCount(), P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P99: ms(h.ValueAtQuantile(99)), P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max())}
}

package waitingroom

import (
	"runtime/metrics"
	"time"
)

// schedLatencyMetric is the runtime's histogram of how long goroutines waited, runnable,
// for a processor.
const schedLatencyMetric = "/sched/latencies:seconds"

// SchedLatency reads how long this process's runnable goroutines waited for a CPU since
// the last read: a node whose cores are saturated (a join burst, say) makes every
// request wait, an admitted fan's hold included, whatever its HTTP backlog says, since
// the requests still unread in its sockets are in no backlog. Not safe for concurrent
// use; the signal publisher is its only reader.
type SchedLatency struct {
	sample []metrics.Sample
	prev   []uint64
}

// NewSchedLatency returns a reader whose first Read covers the process's life so far.
func NewSchedLatency() *SchedLatency {
	return &SchedLatency{sample: []metrics.Sample{{Name: schedLatencyMetric}}}
}

// Read returns the 99th percentile of the scheduling latencies since the last Read
// (zero when nothing was scheduled, or the runtime does not keep them).
func (s *SchedLatency) Read() time.Duration {
	metrics.Read(s.sample)
	if s.sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0
	}
	h := s.sample[0].Value.Float64Histogram()
	counts := make([]uint64, len(h.Counts))
	var total uint64
	for i, c := range h.Counts {
		if i < len(s.prev) && c >= s.prev[i] {
			counts[i] = c - s.prev[i]
		} else {
			counts[i] = c
		}
		total += counts[i]
	}
	s.prev = append(s.prev[:0], h.Counts...)
	return quantile(counts, total, h.Buckets, 0.99)
}

// quantile returns the upper bound of the bucket holding the q quantile of counts,
// whose bucket i spans buckets[i] to buckets[i+1]; zero when total is.
func quantile(counts []uint64, total uint64, buckets []float64, q float64) time.Duration {
	if total == 0 {
		return 0
	}
	want := uint64(float64(total) * q)
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen > want {
			upper := buckets[i+1]
			if upper > 3600 { // the last bucket is unbounded
				upper = buckets[i]
			}
			return time.Duration(upper * float64(time.Second))
		}
	}
	return 0
}

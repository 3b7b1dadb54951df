package stats

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histograms record microseconds from 1 µs to 10 minutes.
const (
	minMicros = 1
	maxMicros = int64(10 * time.Minute / time.Microsecond)
)

func newHistogram(sigfigs int) *hdrhistogram.Histogram {
	return hdrhistogram.New(minMicros, maxMicros, sigfigs)
}

// record adds d, clamped into the histogram's range.
func record(h *hdrhistogram.Histogram, d time.Duration) {
	us := d.Microseconds()
	if us < minMicros {
		us = minMicros
	}
	if us > maxMicros {
		us = maxMicros
	}
	_ = h.RecordValue(us)
}

// Latency summarises a latency distribution in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
}

func ms(us int64) float64 { return float64(us) / 1000 }

func summarize(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		Count: h.TotalCount(),
		Mean:  h.Mean() / 1000,
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}

// Bar is one bucket of a latency histogram: the requests at most UpTo ms (and above
// the previous bar).
type Bar struct {
	UpTo  float64 `json:"up_to_ms"`
	Count int64   `json:"count"`
}

// bars cuts h into buckets on a 1-2-5 scale from 0.1 ms up to its maximum.
func bars(h *hdrhistogram.Histogram) []Bar {
	if h.TotalCount() == 0 {
		return nil
	}
	var out []Bar
	var prev int64
	for _, limit := range scale(h.Max()) {
		n := countUpTo(h, limit)
		out = append(out, Bar{UpTo: ms(limit), Count: n - prev})
		prev = n
	}
	return out
}

// scale returns 1-2-5 limits in microseconds from 100 µs until one reaches max.
func scale(max int64) []int64 {
	var out []int64
	for decade := int64(100); ; decade *= 10 {
		for _, m := range []int64{1, 2, 5} {
			out = append(out, decade*m)
			if decade*m >= max {
				return out
			}
		}
	}
}

func countUpTo(h *hdrhistogram.Histogram, limit int64) int64 {
	var n int64
	for _, b := range h.Distribution() {
		if b.To <= limit {
			n += b.Count
		}
	}
	return n
}

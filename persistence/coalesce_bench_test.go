package persistence

import (
	"context"
	"testing"
	"time"
)

// echoCoalescer answers each request with itself, in batches of up to 512, 4 in flight,
// as the rate limit's coalescer runs them.
func echoCoalescer() *coalescer[int, int] {
	return &coalescer[int, int]{max: 512, timeout: time.Minute, inflight: 4,
		run: func(_ context.Context, qs []int) ([]int, error) { return qs, nil }}
}

// BenchmarkCoalescer is the coalescer's own cost per request (a lookup or a rate-limit
// check on the hold path), its batches answered at once: callers on every processor.
func BenchmarkCoalescer(b *testing.B) {
	c := echoCoalescer()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if a, err := c.do(ctx, i); err != nil || a != i {
				b.Errorf("do(%d) = %d, %v", i, a, err)
				return
			}
		}
	})
}

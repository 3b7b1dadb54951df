package waitingroom

import (
	"testing"
	"time"
)

// BenchmarkCheckPass is the pass check a hold on a queued event pays: the cached
// room lookup and the HMAC and claims of the pass.
func BenchmarkCheckPass(b *testing.B) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s := &Service{cfg: ServiceConfig{Clock: fixedClock{now}}, passes: NewPasses([]byte("secret")),
		enabled: map[string]bool{"ev_1": true}}
	pass := s.passes.Issue("ev_1", "fan-1", "q_1", now, now.Add(PassTTL))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CheckPass("ev_1", "fan-1", pass); err != nil {
			b.Fatal(err)
		}
	}
}

// fixedClock always tells the same time.
type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

func TestSectionStatsFollowTheActor(t *testing.T) {
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, reserved(1, 10), func(_ *harness, cfg *SectionConfig) { cfg.Metrics = metrics })
	wantCode(t, h.hold("alice", "A-1"), nil)
	wantCode(t, h.hold("bob", "A-1"), ErrSeatUnavailable)
	wantCode(t, h.hold("carol", "A-2", "A-3"), nil)

	// The last answer may go out a moment before its decision is counted.
	testenv.Eventually(t, 5*time.Second, func() error {
		stats := metrics.SectionStats()
		if len(stats) != 1 {
			return fmt.Errorf("stats of %d sections, want 1: %+v", len(stats), stats)
		}
		s := stats[0]
		if s.Key != (SectionKey{EventID: "ev", SectionID: "S"}) {
			return fmt.Errorf("key %v", s.Key)
		}
		if s.Decisions != 3 || s.Batches < 1 || s.CommitTime < s.LastCommit || s.Depth != 0 {
			return fmt.Errorf("stats %+v: want 3 decisions, a batch or more, an empty mailbox", s)
		}
		return nil
	})

	h.sys.Root.Stop(h.pid)
	testenv.Eventually(t, 5*time.Second, func() error {
		if stats := metrics.SectionStats(); len(stats) != 0 {
			return fmt.Errorf("a stopped section is still listed: %+v", stats)
		}
		return nil
	})
}

func TestSectionTableCountsActivations(t *testing.T) {
	var tab sectionTable
	key := SectionKey{EventID: "ev", SectionID: "A"}
	tab.activate(key, func() int { return 7 })
	tab.activate(key, func() int { return 9 }) // a second activation overlapping the first
	tab.lookup(key).decisions.Add(2)
	tab.passivate(key)
	stats := tab.snapshot()
	if len(stats) != 1 || stats[0].Depth != 9 || stats[0].Decisions != 2 {
		t.Fatalf("after one of two passivations: %+v", stats)
	}
	tab.passivate(key)
	if stats := tab.snapshot(); len(stats) != 0 || tab.lookup(key) != nil {
		t.Fatalf("after both passivations: %+v", stats)
	}
	var m *Metrics
	if m.SectionStats() != nil {
		t.Fatal("a nil Metrics reported sections")
	}
}

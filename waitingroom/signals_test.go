package waitingroom

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

type fakeSections struct{ stats []actors.SectionStats }

func (f *fakeSections) SectionStats() []actors.SectionStats { return f.stats }

type fakeSink struct {
	mu  sync.Mutex
	got [][]Signal
}

func (f *fakeSink) PublishSignals(_ context.Context, s []Signal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, s)
	return nil
}

func TestPublisherTurnsCountersIntoSignals(t *testing.T) {
	clock := newFakeClock()
	sections := &fakeSections{}
	p, err := NewPublisher(PublisherConfig{Sections: sections, Sink: &fakeSink{}, Rooms: func() []string { return []string{"ev1"} },
		Node: "n1", Logger: zap.NewNop(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	key := func(ev, sec string) actors.SectionKey { return actors.SectionKey{EventID: ev, SectionID: sec} }
	sections.stats = []actors.SectionStats{
		{Key: key("ev1", "A"), Decisions: 100, Batches: 10, CommitTime: 20 * time.Millisecond, Depth: 1},
		{Key: key("ev1", "B"), Decisions: 50, Batches: 5, CommitTime: 10 * time.Millisecond},
		{Key: key("ev2", "A"), Decisions: 1000, Batches: 100, Depth: 99},
	}
	if got := p.collect(clock.Now()); got != nil {
		t.Fatalf("first collect = %+v, want nothing (no interval yet)", got)
	}
	clock.Advance(500 * time.Millisecond)
	sections.stats = []actors.SectionStats{
		{Key: key("ev1", "A"), Decisions: 300, Batches: 14, CommitTime: 60 * time.Millisecond, Depth: 4},
		{Key: key("ev1", "B"), Decisions: 5, Batches: 1, CommitTime: 6 * time.Millisecond, Depth: 2}, // reactivated
		{Key: key("ev2", "A"), Decisions: 2000, Batches: 200, Depth: 99},
	}
	got := p.collect(clock.Now())
	if len(got) != 1 {
		t.Fatalf("signals %+v, want one for ev1 (ev2 has no room)", got)
	}
	s := got[0]
	// A: 200 decisions, 4 batches, 40 ms; B (new activation): 5 decisions, 1 batch, 6 ms.
	want := Signal{EventID: "ev1", Node: "n1", At: clock.Now(), Sections: 2, DecisionsPerS: 410, MaxDepth: 4, Batches: 5, CommitMs: 9.2}
	if s.EventID != want.EventID || s.Node != want.Node || !s.At.Equal(want.At) || s.Sections != want.Sections ||
		s.DecisionsPerS != want.DecisionsPerS || s.MaxDepth != want.MaxDepth || s.Batches != want.Batches ||
		s.CommitMs < 9.19 || s.CommitMs > 9.21 {
		t.Fatalf("signal %+v, want %+v", s, want)
	}
}

func TestAggregateSumsFreshSignals(t *testing.T) {
	now := newFakeClock().Now()
	h := Aggregate([]Signal{
		{Node: "a", At: now, Sections: 2, DecisionsPerS: 100, MaxDepth: 3, Batches: 10, CommitMs: 2},
		{Node: "b", At: now.Add(-time.Second), Sections: 1, DecisionsPerS: 50, MaxDepth: 9, Batches: 30, CommitMs: 6},
		{Node: "dead", At: now.Add(-3 * time.Second), Sections: 5, DecisionsPerS: 1e6, MaxDepth: 1e6, Batches: 1, CommitMs: 1e6},
	}, now)
	if h.Nodes != 2 || h.Sections != 3 || h.DecisionsPerS != 150 || h.MaxDepth != 9 || h.CommitMs != 5 {
		t.Fatalf("headroom %+v", h)
	}
}

// With a backlog reader, every enabled event gets a signal carrying the node's
// backlog, whether or not its sections live on the node.
func TestPublisherCarriesTheBacklog(t *testing.T) {
	p, err := NewPublisher(PublisherConfig{Sections: noSections{}, Sink: nopSink{}, Rooms: func() []string { return []string{"ev1"} },
		Node: "n1", Logger: zap.NewNop(), Backlog: func() int { return 700 }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p.collect(now)
	got := p.collect(now.Add(DefaultSignalEvery))
	if len(got) != 1 || got[0].EventID != "ev1" || got[0].Backlog != 700 || got[0].Sections != 0 {
		t.Fatalf("signals %+v; want one for ev1 with backlog 700 and no sections", got)
	}
	if h := Aggregate(got, now.Add(DefaultSignalEvery)); h.MaxBacklog != 700 {
		t.Fatalf("headroom %+v; want the backlog", h)
	}
}

// The node's scheduling latency rides on every signal, and the headroom keeps the
// largest node's.
func TestPublisherCarriesTheSchedulingLatency(t *testing.T) {
	p, err := NewPublisher(PublisherConfig{Sections: noSections{}, Sink: nopSink{}, Rooms: func() []string { return []string{"ev1"} },
		Node: "n1", Logger: zap.NewNop(), Backlog: func() int { return 0 }, Sched: func() time.Duration { return 1500 * time.Microsecond }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p.collect(now)
	got := p.collect(now.Add(DefaultSignalEvery))
	if len(got) != 1 || got[0].SchedMs != 1.5 {
		t.Fatalf("signals %+v; want one with 1.5 ms", got)
	}
	other := Signal{EventID: "ev1", Node: "n2", At: now, SchedMs: 40}
	if h := Aggregate(append(got, other), now.Add(DefaultSignalEvery)); h.MaxSchedMs != 40 {
		t.Fatalf("headroom %+v; want the largest node's 40 ms", h)
	}
}

// The scheduling latency's 99th percentile is the upper bound of its bucket, over the
// latencies since the last read only.
func TestSchedLatencyQuantile(t *testing.T) {
	buckets := []float64{0, 0.001, 0.01, 0.1, math.Inf(1)}
	if got := quantile([]uint64{0, 0, 0, 0}, 0, buckets, 0.99); got != 0 {
		t.Fatalf("nothing scheduled: %v", got)
	}
	if got := quantile([]uint64{990, 5, 5, 0}, 1000, buckets, 0.99); got != 10*time.Millisecond {
		t.Fatalf("1%% of 1,000 between 1 and 100 ms: %v; want 10 ms", got)
	}
	if got := quantile([]uint64{0, 0, 0, 3}, 3, buckets, 0.99); got != 100*time.Millisecond {
		t.Fatalf("every wait in the unbounded bucket: %v; want its lower bound", got)
	}
	s := NewSchedLatency()
	s.Read()
	if got := s.Read(); got > time.Second {
		t.Fatalf("an idle process: %v", got)
	}
}

type noSections struct{}

func (noSections) SectionStats() []actors.SectionStats { return nil }

type nopSink struct{}

func (nopSink) PublishSignals(context.Context, []Signal) error { return nil }

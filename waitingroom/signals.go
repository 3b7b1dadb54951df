package waitingroom

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Defaults of the headroom signal.
const (
	// DefaultSignalEvery is how often each node publishes its sections' signals.
	DefaultSignalEvery = 250 * time.Millisecond
	// SignalMaxAge is how old a node's signal may be before the controller ignores it
	// (the node stopped publishing: it died, or its sections of the event moved away).
	SignalMaxAge = 2 * time.Second
)

// Signal is how busy one node's sections of one event were over the last publishing
// interval.
type Signal struct {
	EventID string
	Node    string
	At      time.Time
	// Sections counts the event's sections active on the node.
	Sections int
	// DecisionsPerS is the decisions those sections answered per second.
	DecisionsPerS float64
	// MaxDepth is the deepest of their mailboxes now.
	MaxDepth int
	// Batches counts the batches they wrote in the interval, and CommitMs is their
	// mean write time (zero when none was written).
	Batches  int64
	CommitMs float64
	// DecisionsPerBatch is the mean number of decisions a batch carried in the
	// interval (zero when none was written).
	DecisionsPerBatch float64
	// Backlog is how many requests the node was answering when it published: a hold
	// admitted now queues behind them, however idle the sections are.
	Backlog int
	// SchedMs is the 99th percentile of how long the node's runnable goroutines waited
	// for a CPU over the interval (SchedLatency): a hold admitted now waits as long.
	SchedMs float64
}

// capacity is the decisions per second the signal's sections sustain writing batches
// of the size they wrote, back to back: each section commits one batch every CommitMs.
// Group commit makes batches larger under load, so this is what they can do at least.
// Zero when no batch was written.
func (s Signal) capacity() float64 {
	if s.CommitMs <= 0 || s.DecisionsPerBatch <= 0 {
		return 0
	}
	return float64(s.Sections) * s.DecisionsPerBatch * 1000 / s.CommitMs
}

// Headroom is an event's signals summed over the nodes: what the controller follows.
type Headroom struct {
	Nodes         int
	Sections      int
	DecisionsPerS float64
	MaxDepth      int
	// CommitMs is the mean batch write time, weighted by batches.
	CommitMs float64
	// Capacity is the decisions per second the sections showed they sustain (see
	// Signal.capacity), summed over the nodes; zero until they write a batch.
	Capacity float64
	// MaxBacklog is the largest node's backlog (Signal.Backlog).
	MaxBacklog int
	// MaxSchedMs is the largest node's scheduling latency (Signal.SchedMs).
	MaxSchedMs float64
}

// Aggregate sums the signals no older than SignalMaxAge at now.
func Aggregate(signals []Signal, now time.Time) Headroom {
	var h Headroom
	var batches int64
	var commitSum float64
	for _, s := range signals {
		if now.Sub(s.At) > SignalMaxAge {
			continue
		}
		h.Nodes++
		h.Sections += s.Sections
		h.DecisionsPerS += s.DecisionsPerS
		h.MaxDepth = max(h.MaxDepth, s.MaxDepth)
		h.MaxBacklog = max(h.MaxBacklog, s.Backlog)
		h.MaxSchedMs = max(h.MaxSchedMs, s.SchedMs)
		batches += s.Batches
		commitSum += s.CommitMs * float64(s.Batches)
		h.Capacity += s.capacity()
	}
	if batches > 0 {
		h.CommitMs = commitSum / float64(batches)
	}
	return h
}

// PublisherConfig configures a Publisher. Sections, Sink, Rooms and Logger are required.
type PublisherConfig struct {
	// Sections reads this node's section actors.
	Sections LocalSections
	// Sink stores the signals.
	Sink SignalSink
	// Rooms lists the events whose rooms are enabled (the Service's cache): only their
	// sections are published.
	Rooms func() []string
	// Node names this node.
	Node   string
	Logger *zap.Logger
	// Every is the publishing interval (DefaultSignalEvery when zero).
	Every time.Duration
	// Backlog reads how many requests the node is answering (nil: not published).
	// With it, every enabled event gets a signal, sections on the node or not: the
	// backlog matters before the first hold reaches a section.
	Backlog func() int
	// Sched reads how long the node's runnable goroutines waited for a CPU since the
	// last call (SchedLatency.Read; nil: not published).
	Sched func() time.Duration
	// Clock tells time (the system clock when nil).
	Clock Clock
}

// Publisher publishes, every interval, the signals of this node's sections of every
// event with an enabled room: decisions per second, the deepest mailbox and the mean
// batch write time, computed from two snapshots of the sections' counters.
type Publisher struct {
	cfg     PublisherConfig
	prev    map[actors.SectionKey]actors.SectionStats
	prevAt  time.Time
	failing bool
}

// NewPublisher checks cfg and returns a publisher; Run starts it.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	if cfg.Sections == nil || cfg.Sink == nil || cfg.Rooms == nil || cfg.Logger == nil {
		return nil, errors.New("signal publisher: Sections, Sink, Rooms and Logger are required")
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultSignalEvery
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	return &Publisher{cfg: cfg}, nil
}

// Run publishes until ctx ends. A failed publication is logged once until one succeeds.
func (p *Publisher) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		signals := p.collect(p.cfg.Clock.Now())
		if len(signals) == 0 {
			continue
		}
		err := p.cfg.Sink.PublishSignals(ctx, signals)
		switch {
		case err != nil && !p.failing && ctx.Err() == nil:
			p.failing = true
			p.cfg.Logger.Warn("publishing the waiting rooms' section signals failed; retrying", zap.Error(err))
		case err == nil && p.failing:
			p.failing = false
			p.cfg.Logger.Info("publishing the waiting rooms' section signals again")
		}
	}
}

// collect turns the sections' counters into one signal per enabled event with
// sections on this node, over the time since the previous call.
func (p *Publisher) collect(now time.Time) []Signal {
	stats := p.cfg.Sections.SectionStats()
	prev, prevAt := p.prev, p.prevAt
	p.prev = make(map[actors.SectionKey]actors.SectionStats, len(stats))
	for _, s := range stats {
		p.prev[s.Key] = s
	}
	p.prevAt = now
	enabled := p.cfg.Rooms()
	if len(enabled) == 0 || prevAt.IsZero() {
		return nil
	}
	dt := now.Sub(prevAt).Seconds()
	if dt <= 0 {
		return nil
	}
	type sum struct {
		signal   Signal
		commitNs int64
	}
	byEvent := make(map[string]*sum, len(enabled))
	for _, id := range enabled {
		byEvent[id] = nil
	}
	for _, s := range stats {
		acc, wanted := byEvent[s.Key.EventID]
		if !wanted {
			continue
		}
		if acc == nil {
			acc = &sum{signal: Signal{EventID: s.Key.EventID, Node: p.cfg.Node, At: now}}
			byEvent[s.Key.EventID] = acc
		}
		before := prev[s.Key]
		if s.Decisions < before.Decisions || s.Batches < before.Batches {
			before = actors.SectionStats{} // a new activation: its counters started again
		}
		acc.signal.Sections++
		acc.signal.DecisionsPerS += float64(s.Decisions-before.Decisions) / dt
		acc.signal.MaxDepth = max(acc.signal.MaxDepth, s.Depth)
		acc.signal.Batches += s.Batches - before.Batches
		acc.commitNs += int64(s.CommitTime - before.CommitTime)
	}
	backlog, schedMs := 0, 0.0
	if p.cfg.Backlog != nil {
		backlog = p.cfg.Backlog()
	}
	if p.cfg.Sched != nil {
		schedMs = float64(p.cfg.Sched()) / float64(time.Millisecond)
	}
	var out []Signal
	for _, id := range enabled {
		acc := byEvent[id]
		if acc == nil {
			if p.cfg.Backlog == nil {
				continue
			}
			acc = &sum{signal: Signal{EventID: id, Node: p.cfg.Node, At: now}}
		}
		acc.signal.Backlog, acc.signal.SchedMs = backlog, schedMs
		if acc.signal.Batches > 0 {
			acc.signal.CommitMs = float64(acc.commitNs) / float64(acc.signal.Batches) / 1e6
			acc.signal.DecisionsPerBatch = acc.signal.DecisionsPerS * dt / float64(acc.signal.Batches)
		}
		out = append(out, acc.signal)
	}
	return out
}

package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Defaults of TraceHubConfig.
const (
	DefaultTraceQueue               = 4096
	DefaultVisualizerMaxConnections = 64
	DefaultVisualizerSendBuffer     = 1024
	// DefaultTraceRate is the per-second budget of a trace type without its own.
	DefaultTraceRate = 200
)

// DefaultTraceRates are the per-second budgets of each trace type. Batches carry the
// story of a sale and get the most; mailbox traces are already sampled by each actor.
func DefaultTraceRates() map[string]int {
	return map[string]int{
		actors.TraceBatch:       2000,
		actors.TraceMailbox:     500,
		actors.TraceKafka:       500,
		actors.TraceLease:       200,
		actors.TraceActivation:  500,
		actors.TracePassivation: 500,
		actors.TraceMember:      100,
		actors.TraceSections:    100,
		actors.TraceLock:        1000,
		actors.TraceTx:          1000,
		actors.TraceRetry:       500,
	}
}

// TraceHubConfig configures a TraceHub. Logger is required.
type TraceHubConfig struct {
	// Node names this node in hello messages and in traces that do not say.
	Node string
	// Logger receives panics and encoding failures.
	Logger *zap.Logger
	// Registerer receives the trace and websocket metrics; nil means none.
	Registerer prometheus.Registerer
	// Endpoint tunes the viewers' connections. MaxConnections defaults to
	// DefaultVisualizerMaxConnections and SendBuffer to DefaultVisualizerSendBuffer.
	Endpoint EndpointConfig
	// Queue is how many traces may wait for the dispatcher; DefaultTraceQueue when zero.
	Queue int
	// Rates caps each trace type per second; types it does not name get DefaultRate.
	// DefaultTraceRates() when nil.
	Rates map[string]int
	// DefaultRate caps the trace types Rates does not name; DefaultTraceRate when zero.
	DefaultRate int
	// Clock tells time for traces that carry none (default time.Now).
	Clock func() time.Time
	// Replay, when positive, keeps the traces of that last stretch of time (at most
	// ReplayMax of them) and shows them to a viewer right after its hello, so that a page
	// opened late does not start empty. Zero keeps nothing.
	Replay time.Duration
	// ReplayMax caps the kept traces; DefaultReplayMax when zero. It is also capped
	// below the viewers' send buffer, which must hold the hello and the replay.
	ReplayMax int
	// Share, when set, receives every accepted trace of this node, encoded, for the
	// other nodes' hubs (which hand it to Receive), and every SectionsEvery this node's
	// sections trace. It must not block. Nil keeps the view to this node.
	Share func(raw []byte)
	// SectionsEvery is how often a sharing hub traces the sections it hosts;
	// DefaultSectionsEvery when zero.
	SectionsEvery time.Duration
}

// Defaults of the cluster view.
const (
	DefaultReplayMax     = 900
	DefaultSectionsEvery = 5 * time.Second
)

// queuedTrace is a trace waiting for the dispatcher: this node's, or another node's
// with the encoding it arrived in.
type queuedTrace struct {
	t   actors.Trace
	raw []byte // set for another node's trace
}

// TraceHub is the node's actors.Tracer and the source of /ws/visualizer. Trace never
// blocks and costs a few atomic operations: each type has a per-second budget, and a
// trace over budget, or arriving while the dispatcher's queue is full, is dropped and
// counted. Run dispatches the accepted traces, each encoded once, to every viewer; a
// viewer that cannot keep up loses its oldest traces. Nothing a viewer does reaches
// the sale.
//
// The hub also follows activations and passivations, from every trace whatever its
// budget, to greet each viewer with the sections active on this node.
type TraceHub struct {
	cfg      TraceHubConfig
	log      *zap.Logger
	now      func() time.Time
	in       chan queuedTrace
	budgets  map[string]*traceBudget // read-only after construction
	other    *traceBudget
	endpoint *endpoint

	viewers  atomic.Int64
	viewerMu sync.Mutex
	viewList atomic.Pointer[[]*conn] // copy on write

	activeMu sync.Mutex
	active   map[string]map[string]struct{} // node → its active sections

	ring *traceRing // guarded by viewerMu; nil without Replay

	accepted     atomic.Int64
	droppedRate  atomic.Int64
	droppedQueue atomic.Int64
	metrics      traceMetrics
}

// TraceStats counts what Trace did with the traces it was given.
type TraceStats struct {
	// Accepted traces were queued for the viewers.
	Accepted int64
	// DroppedRate traces were over their type's budget.
	DroppedRate int64
	// DroppedQueue traces found the dispatcher's queue full.
	DroppedQueue int64
}

// traceBudget is one type's per-second allowance, kept with atomics so that Trace takes
// no lock. A window that rolls over while two callers race may grant a few extra
// traces; sampling does not need to be exact.
type traceBudget struct {
	limit  int64
	window atomic.Int64 // unix second
	used   atomic.Int64
}

func (b *traceBudget) take(sec int64) bool {
	if w := b.window.Load(); w != sec {
		if b.window.CompareAndSwap(w, sec) {
			b.used.Store(0)
		}
	}
	return b.used.Add(1) <= b.limit
}

// NewTraceHub builds a hub. Call Run to dispatch traces; until then they are dropped.
func NewTraceHub(cfg TraceHubConfig) (*TraceHub, error) {
	var problems []error
	if cfg.Logger == nil {
		problems = append(problems, errors.New("logger is required"))
	}
	if cfg.Queue < 0 {
		problems = append(problems, fmt.Errorf("queue %d is negative", cfg.Queue))
	}
	if cfg.DefaultRate < 0 {
		problems = append(problems, fmt.Errorf("default rate %d is negative", cfg.DefaultRate))
	}
	for typ, r := range cfg.Rates {
		if r < 0 {
			problems = append(problems, fmt.Errorf("rate of %s traces %d is negative", typ, r))
		}
	}
	if cfg.Endpoint.MaxConnections == 0 {
		cfg.Endpoint.MaxConnections = DefaultVisualizerMaxConnections
	}
	if cfg.Endpoint.SendBuffer == 0 {
		cfg.Endpoint.SendBuffer = DefaultVisualizerSendBuffer
	}
	cfg.Endpoint = cfg.Endpoint.withDefaults()
	if err := cfg.Endpoint.validate(); err != nil {
		problems = append(problems, err)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("trace hub config: %w", err)
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultTraceQueue
	}
	if cfg.Rates == nil {
		cfg.Rates = DefaultTraceRates()
	}
	if cfg.DefaultRate == 0 {
		cfg.DefaultRate = DefaultTraceRate
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.ReplayMax == 0 {
		cfg.ReplayMax = DefaultReplayMax
	}
	if limit := cfg.Endpoint.SendBuffer - 2; cfg.ReplayMax > limit {
		cfg.ReplayMax = max(limit, 0)
	}
	if cfg.SectionsEvery <= 0 {
		cfg.SectionsEvery = DefaultSectionsEvery
	}
	h := &TraceHub{
		cfg:     cfg,
		log:     cfg.Logger,
		now:     cfg.Clock,
		in:      make(chan queuedTrace, cfg.Queue),
		budgets: make(map[string]*traceBudget, len(cfg.Rates)),
		other:   &traceBudget{limit: int64(cfg.DefaultRate)},
		active:  make(map[string]map[string]struct{}),
	}
	if cfg.Replay > 0 {
		h.ring = newTraceRing(cfg.ReplayMax, cfg.Replay)
	}
	for typ, r := range cfg.Rates {
		h.budgets[typ] = &traceBudget{limit: int64(r)}
	}
	tm, err := newTraceMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	h.metrics = tm
	m, err := newConnMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	empty := []*conn{}
	h.viewList.Store(&empty)
	h.endpoint = newEndpoint("visualizer", cfg.Endpoint, cfg.Logger, m, endpointMode{dropOldest: true}, h.session)
	return h, nil
}

// Trace implements actors.Tracer. It never blocks.
func (h *TraceHub) Trace(t actors.Trace) {
	if t.Node == "" {
		t.Node = h.cfg.Node
	}
	h.follow(t)
	if h.viewers.Load() == 0 && !h.recording() {
		return
	}
	if t.At.IsZero() {
		t.At = h.now()
	}
	b := h.budgets[t.Type]
	if b == nil {
		b = h.other
	}
	if !b.take(t.At.Unix()) {
		h.droppedRate.Add(1)
		h.metrics.droppedRate.Inc()
		return
	}
	select {
	case h.in <- queuedTrace{t: t}:
		h.accepted.Add(1)
		h.metrics.accepted.Inc()
	default:
		h.droppedQueue.Add(1)
		h.metrics.droppedQueue.Inc()
	}
}

// recording reports whether traces are kept or shared even while nobody here watches.
func (h *TraceHub) recording() bool { return h.ring != nil || h.cfg.Share != nil }

// Receive takes a trace another node's hub shared. Like Trace it never blocks; a
// trace that finds the queue full is dropped and counted. Traces of this node, and
// anything that is not a trace, are ignored.
func (h *TraceHub) Receive(raw []byte) {
	var t actors.Trace
	if err := json.Unmarshal(raw, &t); err != nil || t.Type == "" || t.Node == "" || t.Node == h.cfg.Node {
		return
	}
	h.follow(t)
	select {
	case h.in <- queuedTrace{t: t, raw: raw}:
		h.accepted.Add(1)
		h.metrics.accepted.Inc()
	default:
		h.droppedQueue.Add(1)
		h.metrics.droppedQueue.Inc()
	}
}

// follow keeps the sections active on each node: an activation moves its section to
// the node that traced it, a passivation or a fenced batch stops it there, a node's
// sections trace replaces its list and a member that left hosts nothing.
func (h *TraceHub) follow(t actors.Trace) {
	h.activeMu.Lock()
	defer h.activeMu.Unlock()
	switch {
	case t.Type == actors.TraceSections:
		set := make(map[string]struct{}, len(t.Sections))
		for _, id := range t.Sections {
			set[id] = struct{}{}
		}
		h.active[t.Node] = set
	case t.Type == actors.TraceMember && t.Action == "leave" && t.Member != "" && t.Member != h.cfg.Node:
		delete(h.active, t.Member)
	case t.Actor == "":
	case t.Type == actors.TraceActivation:
		for node, set := range h.active {
			if node != t.Node {
				delete(set, t.Actor)
			}
		}
		set := h.active[t.Node]
		if set == nil {
			set = make(map[string]struct{})
			h.active[t.Node] = set
		}
		set[t.Actor] = struct{}{}
	case t.Type == actors.TracePassivation, t.Type == actors.TraceBatch && t.Outcome == "fenced":
		delete(h.active[t.Node], t.Actor)
	}
}

// ActiveSections returns the identities of the sections this node has activated and
// not yet seen stop, sorted.
func (h *TraceHub) ActiveSections() []string { return h.sectionsOf(h.cfg.Node) }

func (h *TraceHub) sectionsOf(node string) []string {
	h.activeMu.Lock()
	out := make([]string, 0, len(h.active[node]))
	for id := range h.active[node] {
		out = append(out, id)
	}
	h.activeMu.Unlock()
	sort.Strings(out)
	return out
}

// NodeSections returns every node the hub knows of, this one first and the others by
// name, with the sections it hosts, sorted.
func (h *TraceHub) NodeSections() []NodeSections {
	h.activeMu.Lock()
	names := make([]string, 0, len(h.active))
	for node := range h.active {
		if node != h.cfg.Node {
			names = append(names, node)
		}
	}
	h.activeMu.Unlock()
	sort.Strings(names)
	out := []NodeSections{{Name: h.cfg.Node, Sections: h.sectionsOf(h.cfg.Node)}}
	for _, n := range names {
		out = append(out, NodeSections{Name: n, Sections: h.sectionsOf(n)})
	}
	return out
}

// NodeSections is one node of the hello and the sections it hosts.
type NodeSections struct {
	Name     string   `json:"name"`
	Sections []string `json:"sections"`
}

// Stats returns what Trace did so far.
func (h *TraceHub) Stats() TraceStats {
	return TraceStats{Accepted: h.accepted.Load(), DroppedRate: h.droppedRate.Load(), DroppedQueue: h.droppedQueue.Load()}
}

// Viewers returns how many viewers are connected.
func (h *TraceHub) Viewers() int { return int(h.viewers.Load()) }

// Run dispatches queued traces to the viewers until ctx ends; it returns nil then. A
// sharing hub also traces the sections it hosts every SectionsEvery.
func (h *TraceHub) Run(ctx context.Context) error {
	var tick <-chan time.Time
	if h.cfg.Share != nil {
		ticker := time.NewTicker(h.cfg.SectionsEvery)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case q := <-h.in:
			h.dispatch(q)
		case <-tick:
			h.dispatch(queuedTrace{t: actors.Trace{Type: actors.TraceSections, At: h.now(), Node: h.cfg.Node, Sections: h.ActiveSections()}})
		}
	}
}

// dispatch encodes t once (another node's trace comes encoded), keeps it for late
// viewers, shares it when it is this node's, and queues it for every viewer. The ring
// and the viewer list are read under one lock, so that a new viewer gets every trace
// once: in its replay or live.
func (h *TraceHub) dispatch(q queuedTrace) {
	t := q.t
	t.At = t.At.UTC()
	raw := q.raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(t); err != nil {
			h.log.Error("encode trace", zap.String("type", t.Type), zap.Error(err))
			return
		}
	}
	if q.raw == nil && t.Node == h.cfg.Node && h.cfg.Share != nil {
		h.cfg.Share(raw)
	}
	msg := newTextFrame(raw)
	h.viewerMu.Lock()
	if h.ring != nil && t.Type != actors.TraceSections {
		h.ring.add(t.At, msg)
	}
	viewers := *h.viewList.Load()
	h.viewerMu.Unlock()
	for _, c := range viewers {
		c.send(msg)
	}
}

// Close disconnects every viewer and waits for the connections to end, or for ctx.
func (h *TraceHub) Close(ctx context.Context) error { return h.endpoint.Close(ctx) }

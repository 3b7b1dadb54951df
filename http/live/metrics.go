package live

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// connMetrics are the websocket series, labelled by endpoint ("events", "visualizer").
// Both endpoints share them, so each is registered once and found again by the second.
type connMetrics struct {
	open    *prometheus.GaugeVec
	sent    *prometheus.CounterVec
	dropped *prometheus.CounterVec
	evicted *prometheus.CounterVec
	refused *prometheus.CounterVec
	// upgrades counts the upgrades a gate holds, by endpoint and state (upgradeGate).
	upgrades *prometheus.GaugeVec
}

// The states of ticketblitz_ws_upgrades: an upgrade in progress holds one of its
// gate's slots, a waiting one waits for a slot.
const (
	upgradeInProgress = "in_progress"
	upgradeWaiting    = "waiting"
)

// endpointMetrics are one endpoint's children of connMetrics.
type endpointMetrics struct {
	open      prometheus.Gauge
	sent      prometheus.Counter
	dropped   prometheus.Counter
	slow      prometheus.Counter
	heartbeat prometheus.Counter
	refused   prometheus.Counter
}

// The eviction reasons of ticketblitz_ws_evictions_total.
const (
	evictSlow      = "slow"
	evictHeartbeat = "heartbeat"
)

func newConnMetrics(reg prometheus.Registerer) (*connMetrics, error) {
	m := &connMetrics{
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "connections",
			Help: "Open websocket connections, by endpoint.",
		}, []string{"endpoint"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "messages_sent_total",
			Help: "Websocket messages written to clients, by endpoint.",
		}, []string{"endpoint"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "messages_dropped_total",
			Help: "Messages a slow visualizer lost because its send buffer was full.",
		}, []string{"endpoint"}),
		evicted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "evictions_total",
			Help: "Connections the server closed: slow (send buffer full) or heartbeat (no pong in time).",
		}, []string{"endpoint", "reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "refused_total",
			Help: "Websocket upgrades refused because the endpoint was full or shutting down.",
		}, []string{"endpoint"}),
		upgrades: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "upgrades",
			Help: "Websocket upgrades the endpoint's gate holds: in_progress (with a slot) or waiting (for one).",
		}, []string{"endpoint", "state"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.open, err = registerOrExisting(reg, m.open); err != nil {
		return nil, err
	}
	if m.sent, err = registerOrExisting(reg, m.sent); err != nil {
		return nil, err
	}
	if m.dropped, err = registerOrExisting(reg, m.dropped); err != nil {
		return nil, err
	}
	if m.evicted, err = registerOrExisting(reg, m.evicted); err != nil {
		return nil, err
	}
	if m.refused, err = registerOrExisting(reg, m.refused); err != nil {
		return nil, err
	}
	if m.upgrades, err = registerOrExisting(reg, m.upgrades); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *connMetrics) endpoint(name string) *endpointMetrics {
	return &endpointMetrics{
		open:      m.open.WithLabelValues(name),
		sent:      m.sent.WithLabelValues(name),
		dropped:   m.dropped.WithLabelValues(name),
		slow:      m.evicted.WithLabelValues(name, evictSlow),
		heartbeat: m.evicted.WithLabelValues(name, evictHeartbeat),
		refused:   m.refused.WithLabelValues(name),
	}
}

// feedMetrics count the committed versions that reach the event feed.
type feedMetrics struct {
	deltas prometheus.Counter
	gaps   prometheus.Counter
}

func newFeedMetrics(reg prometheus.Registerer) (feedMetrics, error) {
	m := feedMetrics{
		deltas: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "section_deltas_total",
			Help: "Committed section versions the live feed delivered to this node.",
		}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "section_version_gaps_total",
			Help: "Section versions that skipped ahead of the newest one seen (feed restarts); passed on as they are.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.deltas, err = registerOrExisting(reg, m.deltas); err != nil {
		return feedMetrics{}, err
	}
	if m.gaps, err = registerOrExisting(reg, m.gaps); err != nil {
		return feedMetrics{}, err
	}
	return m, nil
}

// traceMetrics count what TraceHub.Trace did with the traces it was given.
type traceMetrics struct {
	accepted     prometheus.Counter
	droppedRate  prometheus.Counter
	droppedQueue prometheus.Counter
}

func newTraceMetrics(reg prometheus.Registerer) (traceMetrics, error) {
	accepted := prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "ticketblitz", Subsystem: "visualizer", Name: "traces_total",
		Help: "Traces queued for the visualizer's viewers.",
	})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ticketblitz", Subsystem: "visualizer", Name: "traces_dropped_total",
		Help: "Traces dropped before any viewer saw them: over their type's budget (rate) or the queue was full (queue).",
	}, []string{"reason"})
	if reg != nil {
		var err error
		if accepted, err = registerOrExisting(reg, accepted); err != nil {
			return traceMetrics{}, err
		}
		if dropped, err = registerOrExisting(reg, dropped); err != nil {
			return traceMetrics{}, err
		}
	}
	return traceMetrics{
		accepted:     accepted,
		droppedRate:  dropped.WithLabelValues("rate"),
		droppedQueue: dropped.WithLabelValues("queue"),
	}, nil
}

// registerOrExisting registers c, or returns the collector already registered under its
// name, so that several users of one registry share a series.
func registerOrExisting[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register websocket metrics: %w", err)
}

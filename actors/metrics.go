package actors

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the section actors' Prometheus collectors. A nil *Metrics records nothing.
type Metrics struct {
	decisions     *prometheus.CounterVec
	batches       *prometheus.CounterVec
	recordOnly    *prometheus.CounterVec
	batchSize     prometheus.Histogram
	commitSeconds prometheus.Histogram
	mailboxDepth  *prometheus.GaugeVec
	activations   prometheus.Counter
	active        prometheus.Gauge
	failovers     prometheus.Histogram
	refusals      *prometheus.CounterVec
	pausedCount   prometheus.Gauge
	pausedSection *prometheus.GaugeVec
	// sections are the per-section counters SectionStats reads.
	sections sectionTable
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketblitz_decisions_total", Help: "Section decisions answered, by operation and outcome (ok, refused, failed).",
		}, []string{"op", "outcome"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketblitz_batches_total", Help: "Group-commit batches by outcome (commit, rollback, fenced).",
		}, []string{"outcome"}),
		recordOnly: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketblitz_record_batches_total",
			Help: "Committed batches that changed no seat: attempts alone (attempts=\"some\"), or none, only confirming the fence " +
				"before refusals are answered (attempts=\"none\": one read of the section row, whether the attempt log is on or off).",
		}, []string{"attempts"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ticketblitz_batch_decisions", Help: "Decisions per group-commit batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ticketblitz_batch_commit_seconds", Help: "Time to write one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		mailboxDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ticketblitz_mailbox_depth", Help: "Messages waiting in a section actor's mailbox (sampled).",
		}, []string{"section"}),
		activations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ticketblitz_activations_total", Help: "Section actor activations on this node.",
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ticketblitz_active_sections", Help: "Section actors active on this node.",
		}),
		failovers: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ticketblitz_failover_seconds",
			Help: "Section takeovers from an owner that did not hand over (crash, kill, partition; a drain hands over and is not counted): " +
				"seconds from the previous owner's last lease renewal, estimated as now - (lease TTL - remaining TTL) when the new " +
				"activation first found the lease held, until the new activation was ready. The owner stopped at most one renewal " +
				"interval (TTL/3, 1 s by default) after its last renewal, so this overstates the time since it stopped by up to TTL/3. " +
				"A takeover whose previous owner's lease had run out before the new activation (the section row says that owner never " +
				"handed over) records the lower bound: the lease TTL plus the time from finding the lease free until ready.",
			Buckets: []float64{0.25, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10, 15, 20, 30, 60},
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketblitz_commands_refused_total",
			Help: "Commands a section answered without deciding them, by reason: expired (their deadline passed before the " +
				"section reached them) or overloaded (the section's mailbox was full when they arrived).",
		}, []string{"reason"}),
		pausedCount: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ticketblitz_sections_paused", Help: "Sections paused in the classroom on this node: they decide nothing until resumed, stepped or the pause limit.",
		}),
		pausedSection: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ticketblitz_section_paused", Help: "1 while a section is paused in the classroom (the series exists only then).",
		}, []string{"section"}),
	}
	for _, r := range []string{RefusedExpired, RefusedOverloaded} {
		m.refusals.WithLabelValues(r)
	}
	for _, c := range []prometheus.Collector{m.decisions, m.batches, m.recordOnly, m.batchSize, m.commitSeconds, m.mailboxDepth, m.activations, m.active, m.failovers, m.refusals, m.pausedCount, m.pausedSection} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// decisionTally counts the decisions one activation answers, in
// ticketblitz_decisions_total and its section's counters. It keeps the counter of each
// operation and outcome it met and its section's counters, found once: a rush answers
// thousands of decisions a second, and the labels' lookup (a hash of the values under
// a lock) and the section's (its key boxed for a sync.Map) were each paid for every one
// of them. It is the actor's own, used on its goroutine only; nil counts nothing.
type decisionTally struct {
	m       *Metrics
	section *sectionCounters // nil before the activation registered its section
	byLabel map[[2]string]prometheus.Counter
}

// newDecisionTally returns the tally of an activation of key counting into m (nil when
// m is nil). Made before the section is registered (activated), it counts only into
// the labelled counter.
func newDecisionTally(m *Metrics, key SectionKey) *decisionTally {
	if m == nil {
		return nil
	}
	return &decisionTally{m: m, section: m.sections.lookup(key), byLabel: make(map[[2]string]prometheus.Counter)}
}

// add counts one decision of op with outcome.
func (t *decisionTally) add(op, outcome string) {
	if t == nil {
		return
	}
	k := [2]string{op, outcome}
	c := t.byLabel[k]
	if c == nil {
		c = t.m.decisions.WithLabelValues(op, outcome)
		t.byLabel[k] = c
	}
	c.Inc()
	if t.section != nil {
		t.section.decisions.Add(1)
	}
}

// The reasons of ticketblitz_commands_refused_total.
const (
	// RefusedExpired counts commands whose deadline passed before their section reached them.
	RefusedExpired = "expired"
	// RefusedOverloaded counts commands a section's full mailbox refused.
	RefusedOverloaded = "overloaded"
)

// refused counts a command answered undecided for reason.
func (m *Metrics) refused(reason string) {
	if m != nil {
		m.refusals.WithLabelValues(reason).Inc()
	}
}

// recordBatch counts a committed batch of attempts alone (none: a fence confirmation).
func (m *Metrics) recordBatch(attempts int) {
	if m == nil {
		return
	}
	label := "some"
	if attempts == 0 {
		label = "none"
	}
	m.recordOnly.WithLabelValues(label).Inc()
}

func (m *Metrics) batch(key SectionKey, outcome string, decisions int, took time.Duration) {
	if m == nil {
		return
	}
	m.batches.WithLabelValues(outcome).Inc()
	m.batchSize.Observe(float64(decisions))
	m.commitSeconds.Observe(took.Seconds())
	if c := m.sections.lookup(key); c != nil {
		c.batches.Add(1)
		c.commitNs.Add(int64(took))
		c.lastCommit.Store(int64(took))
	}
}

func (m *Metrics) mailbox(key SectionKey, depth int) {
	if m != nil {
		m.mailboxDepth.WithLabelValues(key.Identity()).Set(float64(depth))
	}
}

// activated counts an activation of key, whose mailbox depth depth reads.
func (m *Metrics) activated(key SectionKey, depth func() int) {
	if m != nil {
		m.activations.Inc()
		m.active.Inc()
		m.sections.activate(key, depth)
	}
}

func (m *Metrics) passivated(key SectionKey) {
	if m != nil {
		m.active.Dec()
		m.mailboxDepth.DeleteLabelValues(key.Identity())
		m.sections.passivate(key)
	}
}

func (m *Metrics) failover(d time.Duration) {
	if m != nil {
		m.failovers.Observe(d.Seconds())
	}
}

// paused records that key was paused (on) or resumed, or stopped paused (off).
func (m *Metrics) paused(key SectionKey, on bool) {
	if m == nil {
		return
	}
	if on {
		m.pausedCount.Inc()
		m.pausedSection.WithLabelValues(key.Identity()).Set(1)
		return
	}
	m.pausedCount.Dec()
	m.pausedSection.DeleteLabelValues(key.Identity())
}

package persistence

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// pruneMetrics are the Pruner's metrics, labelled by table.
type pruneMetrics struct {
	pruned *prometheus.CounterVec
	oldest *prometheus.GaugeVec
	errors *prometheus.CounterVec
}

// newPruneMetrics creates the metrics with a series for each of tables and registers
// them on reg, unless reg is nil.
func newPruneMetrics(reg prometheus.Registerer, tables []retainedTable) (*pruneMetrics, error) {
	m := &pruneMetrics{
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketblitz_retention_pruned_rows_total",
			Help: "Rows deleted from a history table because they were older than its retention.",
		}, []string{"table"}),
		oldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ticketblitz_retention_oldest_row_age_seconds",
			Help: "Age of the oldest row a history table keeps (for the outbox, of the oldest published record), read after each prune pass; 0 when there is none.",
		}, []string{"table"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketblitz_retention_errors_total",
			Help: "Prune statements that failed; their rows are tried again at the next pass.",
		}, []string{"table"}),
	}
	for _, t := range tables {
		m.pruned.WithLabelValues(t.name)
		m.oldest.WithLabelValues(t.name)
		m.errors.WithLabelValues(t.name)
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.pruned, m.oldest, m.errors} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("retention metrics: %w", err)
			}
		}
	}
	return m, nil
}

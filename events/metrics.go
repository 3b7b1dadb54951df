package events

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// relayMetrics are the relay's Prometheus series.
type relayMetrics struct {
	published     *prometheus.CounterVec
	publishErrors prometheus.Counter
	lagRecords    prometheus.Gauge
	lagOldest     prometheus.Gauge
	inFlight      prometheus.Gauge
	resent        prometheus.Counter
	late          prometheus.Counter
}

// newRelayMetrics creates the relay's series and registers them with reg when it is
// not nil. A series that is already registered (a second relay on one registry) is
// shared rather than refused.
func newRelayMetrics(reg prometheus.Registerer) (*relayMetrics, error) {
	m := &relayMetrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "outbox", Name: "published_total",
			Help: "Outbox records published to Kafka and acknowledged by the broker.",
		}, []string{"topic"}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "outbox", Name: "publish_errors_total",
			Help: "Outbox records whose publish attempt failed; they stay pending and are retried.",
		}),
		lagRecords: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "ticketblitz", Subsystem: "outbox", Name: "lag_records",
			Help: "Outbox records not yet published (counted up to 100,000: a larger backlog reads as 100,000).",
		}),
		lagOldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "ticketblitz", Subsystem: "outbox", Name: "lag_oldest_seconds",
			Help: "Age of the oldest unpublished outbox record, zero when there is none.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "ticketblitz", Subsystem: "outbox", Name: "in_flight_records",
			Help: "Outbox records handed to the producer and not yet acknowledged or failed.",
		}),
		resent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "outbox", Name: "overtaken_resent_total",
			Help: "Acknowledged records that overtook a failed earlier record of their key, and were sent again after it.",
		}),
		late: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "outbox", Name: "late_records_total",
			Help: "Records found by the sweep below later records of their stream already read (committed long after the floor passed their id), and sent after them.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.published, err = register(reg, m.published); err != nil {
		return nil, err
	}
	if m.publishErrors, err = register(reg, m.publishErrors); err != nil {
		return nil, err
	}
	if m.lagRecords, err = register(reg, m.lagRecords); err != nil {
		return nil, err
	}
	if m.lagOldest, err = register(reg, m.lagOldest); err != nil {
		return nil, err
	}
	if m.inFlight, err = register(reg, m.inFlight); err != nil {
		return nil, err
	}
	if m.resent, err = register(reg, m.resent); err != nil {
		return nil, err
	}
	if m.late, err = register(reg, m.late); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
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
	return c, err
}

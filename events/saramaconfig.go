package events

import (
	"reflect"

	"github.com/IBM/sarama"
	"github.com/rcrowley/go-metrics"
)

// newSaramaConfig returns sarama's defaults at protocolVersion, naming the client
// clientID (sarama's default name when empty) and keeping no client metrics.
//
// By default every sarama client records go-metrics histograms and meters for each
// request, response and batch: an exponentially decaying sample updated under a lock,
// and a registry lookup by name per produced batch. Nothing in TicketBlitz reads them
// (its own series are Prometheus'), yet a flash rush's CPU profile found them at a few
// per cent of the server's CPU. go-metrics' switch to turn them off (metrics.UseNilMetrics) is a
// global of the library; a registry of the config's own, noMetrics, turns them off for
// our clients only.
func newSaramaConfig(clientID string) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = protocolVersion()
	if clientID != "" {
		cfg.ClientID = clientID
	}
	cfg.MetricRegistry = noMetrics{}
	return cfg
}

// noMetrics is a go-metrics registry that keeps nothing: whatever metric a client asks
// it for, it answers with go-metrics' no-op kind of that metric.
type noMetrics struct{}

// Each implements metrics.Registry: it holds no metric to visit.
func (noMetrics) Each(func(string, any)) {}

// Get implements metrics.Registry: it holds no metric.
func (noMetrics) Get(string) any { return nil }

// GetAll implements metrics.Registry: it holds no metric.
func (noMetrics) GetAll() map[string]map[string]any { return nil }

// GetOrRegister implements metrics.Registry, answering the no-op kind of the metric
// given (or built by the constructor given) without keeping it.
func (noMetrics) GetOrRegister(_ string, m any) any { return noOpMetric(m) }

// Register implements metrics.Registry, keeping nothing.
func (noMetrics) Register(string, any) error { return nil }

// RunHealthchecks implements metrics.Registry: there is nothing to check.
func (noMetrics) RunHealthchecks() {}

// Unregister implements metrics.Registry: there is nothing to drop.
func (noMetrics) Unregister(string) {}

// UnregisterAll implements metrics.Registry: there is nothing to drop.
func (noMetrics) UnregisterAll() {}

// noOpMetric returns go-metrics' no-op counterpart of m, a metric or a constructor of
// one, as the registry would return it. sarama asks only for histograms, meters,
// counters and gauges; any other kind is built and returned as it is, so that a newer
// sarama that asks for one still gets what it expects.
func noOpMetric(m any) any {
	switch m.(type) {
	case func() metrics.Histogram, metrics.Histogram:
		return metrics.NilHistogram{}
	case func() metrics.Meter, metrics.Meter:
		return metrics.NilMeter{}
	case func() metrics.Counter, metrics.Counter:
		return metrics.NilCounter{}
	case func() metrics.Gauge, metrics.Gauge:
		return metrics.NilGauge{}
	}
	if v := reflect.ValueOf(m); v.Kind() == reflect.Func && v.Type().NumIn() == 0 && v.Type().NumOut() == 1 {
		return v.Call(nil)[0].Interface()
	}
	return m
}

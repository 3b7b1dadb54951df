package events

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/rcrowley/go-metrics"
)

// TestClientsKeepNoMetrics checks that every sarama config the package builds hands its
// clients the no-op kind of each metric sarama asks for.
func TestClientsKeepNoMetrics(t *testing.T) {
	configs := map[string]*sarama.Config{
		"consumer":  consumerConfig("c"),
		"live feed": liveFeedConfig("n"),
		"producer":  producerConfig("p"),
	}
	for name, cfg := range configs {
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: config does not validate: %v", name, err)
		}
		r := cfg.MetricRegistry
		h := metrics.GetOrRegisterHistogram("h", r, metrics.NewExpDecaySample(1028, 0.015))
		if _, ok := h.(metrics.NilHistogram); !ok {
			t.Errorf("%s: histogram is %T, want a no-op one", name, h)
		}
		h2 := r.GetOrRegister("h2", func() metrics.Histogram { return metrics.NewHistogram(metrics.NewUniformSample(4)) })
		if _, ok := h2.(metrics.NilHistogram); !ok {
			t.Errorf("%s: histogram built by a constructor is %T, want a no-op one", name, h2)
		}
		if m := metrics.GetOrRegisterMeter("m", r); m != (metrics.NilMeter{}) {
			t.Errorf("%s: meter is %T, want a no-op one", name, m)
		}
		if c := metrics.GetOrRegisterCounter("c", r); c != (metrics.NilCounter{}) {
			t.Errorf("%s: counter is %T, want a no-op one", name, c)
		}
		if g := metrics.GetOrRegisterGauge("g", r); g != (metrics.NilGauge{}) {
			t.Errorf("%s: gauge is %T, want a no-op one", name, g)
		}
		n := 0
		r.Each(func(string, any) { n++ })
		if n != 0 || r.Get("m") != nil {
			t.Errorf("%s: registry keeps %d metrics, want none", name, n)
		}
	}
}

// TestNoOpMetricBuildsOtherKinds checks that a metric kind sarama does not ask for
// today is still built as asked.
func TestNoOpMetricBuildsOtherKinds(t *testing.T) {
	ewma := noOpMetric(func() metrics.EWMA { return metrics.NewEWMA1() })
	if _, ok := ewma.(metrics.EWMA); !ok {
		t.Fatalf("EWMA constructor answered %T", ewma)
	}
	if got := noOpMetric("value"); got != "value" {
		t.Fatalf("a plain value answered %v", got)
	}
}

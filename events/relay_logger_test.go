package events

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestRelayLogsUnderTheGivenName checks that the relay logs as the caller named its
// logger, without adding a name of its own.
func TestRelayLogsUnderTheGivenName(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	// A metric of the same name but another meaning makes the relay warn.
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "ticketblitz_outbox_published_total", Help: "something else"}))
	NewRelay(RelayConfig{Registerer: reg, Logger: zap.New(core).Named("relay")})
	entries := logs.FilterMessage("relay metrics not registered").All()
	if len(entries) != 1 {
		t.Fatalf("got %d warnings, want 1: %v", len(entries), logs.All())
	}
	if got := entries[0].LoggerName; got != "relay" {
		t.Errorf("logger name %q, want relay", got)
	}
}

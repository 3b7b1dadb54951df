package actors

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// takeoverRig is a section actor on store with free fake leases (TTL 3 s), its own
// metrics and a log the test reads.
type takeoverRig struct {
	h    *harness
	reg  *prometheus.Registry
	logs *observer.ObservedLogs
}

func newTakeoverRig(t *testing.T, store *fakeStore) takeoverRig {
	t.Helper()
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	h := newHarness(t, store, func(h *harness, cfg *SectionConfig) {
		cfg.Leases, cfg.Metrics, cfg.LeaseTTL = newFakeLeases(h.clock, 500*time.Millisecond), metrics, 3*time.Second
		cfg.Membership = &fakeMembership{}
		cfg.Logger = zap.New(core)
	})
	return takeoverRig{h: h, reg: reg, logs: logs}
}

// activated makes the section activate (a hold answered) and returns its takeover log
// lines, the failover observations and the activation trace.
func (r takeoverRig) activated(t *testing.T, seat string) ([]observer.LoggedEntry, uint64, float64, Trace) {
	t.Helper()
	wantCode(t, r.h.hold("u-"+seat, seat), nil)
	n, sum := failoverObservations(t, r.reg)
	return r.logs.FilterMessage(msgTakeover).All(), n, sum, activationTrace(t, r.h.tracer)
}

// Neither a section's first activation nor one after a clean stop (passivation, drain,
// shutdown: the actor's Stopping) is a takeover.
func TestActivationAfterACleanStopIsNoTakeover(t *testing.T) {
	store := reserved(1, 10)
	first := newTakeoverRig(t, store)
	if lines, n, _, tr := first.activated(t, "A-1"); len(lines) != 0 || n != 0 || tr.Action != "" {
		t.Fatalf("first activation: %d takeover lines, %d failovers, trace %+v; want none", len(lines), n, tr)
	}
	if err := first.h.sys.Root.PoisonFuture(first.h.pid).Wait(); err != nil {
		t.Fatal(err)
	}
	store.mu.Lock()
	handOvers := store.handOvers
	store.mu.Unlock()
	if handOvers != 1 {
		t.Fatalf("%d hand-overs recorded by the stop, want 1", handOvers)
	}
	second := newTakeoverRig(t, store)
	if lines, n, _, tr := second.activated(t, "A-2"); len(lines) != 0 || n != 0 || tr.Action != "" {
		t.Fatalf("activation after a clean stop: %+v, %d failovers, trace %+v; want no takeover", lines, n, tr)
	}
}

// An activation after one that stopped without handing over (a crash: it recorded no
// clean stop), whose lease has run out already, is logged and counted as a takeover
// once, with the previous owner and an unknown failover time.
func TestActivationAfterACrashIsATakeover(t *testing.T) {
	store := reserved(1, 10)
	// The crashed activation: it bumped the epoch and never stopped cleanly.
	if _, err := store.Activate(t.Context(), SectionKey{"ev", "S"}, "node-x/member-x/act_x", time.Minute); err != nil {
		t.Fatal(err)
	}
	r := newTakeoverRig(t, store)
	lines, n, sum, tr := r.activated(t, "A-1")
	if len(lines) != 1 {
		t.Fatalf("%d takeover lines, want 1", len(lines))
	}
	fields := lines[0].ContextMap()
	if fields["previous_owner"] != "node-x/member-x/act_x" || fields["failover"] != "unknown" || fields["section"] != "ev/S" {
		t.Fatalf("takeover line fields %v: want the section, the previous owner and an unknown failover", fields)
	}
	// The lease was free: the crashed owner renewed it a full TTL before at the latest.
	if fields["failover_at_least"] != 3*time.Second {
		t.Errorf("failover_at_least %v, want the lease TTL (3s) on a clock that did not move", fields["failover_at_least"])
	}
	if n != 1 || sum != 3 {
		t.Errorf("failovers: %d observed, sum %vs; want one of the lower bound, 3s", n, sum)
	}
	if tr.Action != ActivationTakeover {
		t.Errorf("activation trace %+v, want action takeover", tr)
	}
	// Asked again, the same activation logs nothing more.
	wantCode(t, r.h.hold("u-again", "A-2"), nil)
	if got := r.logs.FilterMessage(msgTakeover).Len(); got != 1 {
		t.Errorf("%d takeover lines after another command, want still 1", got)
	}
}

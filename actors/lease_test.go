package actors

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// failoverObservations returns the failover histogram's sample count and sum.
func failoverObservations(t *testing.T, reg *prometheus.Registry) (uint64, float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "ticketblitz_failover_seconds" {
			h := f.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	t.Fatal("ticketblitz_failover_seconds is not registered")
	return 0, 0
}

// activationTrace returns the one activation trace.
func activationTrace(t *testing.T, r *recordingTracer) Trace {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var found []Trace
	for _, tr := range r.traces {
		if tr.Type == TraceActivation {
			found = append(found, tr)
		}
	}
	if len(found) != 1 {
		t.Fatalf("activation traces %+v, want one", found)
	}
	return found[0]
}

func TestFailoverMeasuredFromPreviousOwnersLastRenewal(t *testing.T) {
	cases := []struct {
		name         string
		holdLeft     time.Duration // the crashed owner's lease: time left when first seen
		releaseAfter int           // the owner releases after this many refusals (0: never)
		ownerDead    bool          // the membership view says the owner's member is no longer alive
		wantFailover time.Duration // 0: no takeover observed
		wantTaken    bool          // the lease was taken over at once, not waited for
	}{
		// TTL 3s, 2s left: the owner last renewed 1s before the lease was first seen. The
		// lease runs out 2s later; the activation is ready then: 3s without an owner.
		{name: "crashed owner", holdLeft: 2 * time.Second, wantFailover: 3 * time.Second},
		// Only 500ms left: last renewal 2.5s before; ready 500ms later.
		{name: "crashed long ago", holdLeft: 500 * time.Millisecond, wantFailover: 3 * time.Second},
		// The owner releases the lease (a hand-over) a second before it would run out.
		{name: "owner hands over", holdLeft: 2 * time.Second, releaseAfter: 2},
		// A lease that outlives the wait (another owner with a longer TTL, still renewing):
		// the activation proceeds without it and measures nothing.
		{name: "lease never runs out", holdLeft: 10 * time.Second},
		{name: "free lease"},
		// The owner's process is gone (killed, or restarted under a new member id): its
		// lease is taken at once. It last renewed 1s before it was seen; ready at once.
		{name: "owner no longer alive", holdLeft: 2 * time.Second, ownerDead: true, wantFailover: time.Second, wantTaken: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			metrics, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			var leases *fakeLeases
			h := newHarness(t, reserved(1, 10), func(h *harness, cfg *SectionConfig) {
				leases = newFakeLeases(h.clock, 500*time.Millisecond)
				leases.releaseAfter = tc.releaseAfter
				if tc.holdLeft > 0 {
					leases.hold("section:ev/S", "crashed-node/act_1", tc.holdLeft)
				}
				cfg.Leases, cfg.Metrics, cfg.LeaseTTL = leases, metrics, 3*time.Second
				members := &fakeMembership{}
				if tc.ownerDead {
					members.kill("crashed-node")
				}
				cfg.Membership = members
			})
			wantCode(t, h.hold("alice", "A-1"), nil) // answered once activated

			n, sum := failoverObservations(t, reg)
			tr := activationTrace(t, h.tracer)
			if tc.wantFailover == 0 {
				if n != 0 || tr.Action != "" {
					t.Fatalf("%d failovers observed, activation trace %+v; want none", n, tr)
				}
				return
			}
			if n != 1 || sum != tc.wantFailover.Seconds() {
				t.Fatalf("failovers: %d observed, sum %vs; want one of %v", n, sum, tc.wantFailover)
			}
			if tr.Action != ActivationTakeover || tr.Millis != float64(tc.wantFailover.Milliseconds()) {
				t.Fatalf("activation trace %+v, want action takeover with %v", tr, tc.wantFailover)
			}
			var taken string
			var owner string
			h.inspect(func(a *sectionActor) { taken, owner = a.lease.takenFrom, a.lease.owner })
			if want := map[bool]string{true: "crashed-node"}[tc.wantTaken]; taken != want {
				t.Fatalf("lease taken over from %q, want %q", taken, want)
			}
			leases.mu.Lock()
			stored := leases.holder["section:ev/S"]
			leases.mu.Unlock()
			if leaseMember(owner) != h.sys.ID || stored != owner {
				t.Fatalf("lease owner %q (stored: %q), want one of member %s", owner, stored, h.sys.ID)
			}
		})
	}
}

func TestMetricsNilRecordsNothing(t *testing.T) {
	var m *Metrics
	m.failover(time.Second) // must not panic
}

func TestLeaseMemberReadsTheProcess(t *testing.T) {
	for owner, want := range map[string]string{
		"node1/QxEe9hja/act_1":    "QxEe9hja",
		"rack/a/node1/m7/act_2":   "m7",
		"/m8/act_3":               "m8",
		"old-node/act_4":          "old-node",
		"no-activation-id-at-all": "",
	} {
		if got := leaseMember(owner); got != want {
			t.Errorf("leaseMember(%q) = %q, want %q", owner, got, want)
		}
	}
}

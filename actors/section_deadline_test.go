package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// withMetrics gives the harness's section a fresh set of metrics.
func withMetrics(m **Metrics) func(*harness, *SectionConfig) {
	return func(h *harness, c *SectionConfig) {
		var err error
		if *m, err = NewMetrics(prometheus.NewRegistry()); err != nil {
			h.t.Fatal(err)
		}
		c.Metrics = *m
	}
}

// TestCommandPastItsDeadlineIsDroppedUndecided: a command the section reaches after its
// deadline is answered EXPIRED at once, decides nothing, writes nothing and is counted;
// the same command in time is decided as usual.
func TestCommandPastItsDeadlineIsDroppedUndecided(t *testing.T) {
	var m *Metrics
	store := reserved(1, 10)
	h := newHarness(t, store, withMetrics(&m))
	past := h.clock.Now().Add(-time.Millisecond).UnixMicro()
	for _, cmd := range []any{
		&HoldCommand{UserId: "a", Seats: []string{"A-1"}, IdempotencyKey: "k1", DeadlineUnixMicro: past},
		&HoldCommand{UserId: "a", Quantity: 2, DeadlineUnixMicro: past},
		&ReleaseCommand{HoldId: "h_none", UserId: "a", DeadlineUnixMicro: past},
		&ExtendCommand{HoldId: "h_none", UserId: "a", DeadlineUnixMicro: past},
		&ConfirmCommand{HoldId: "h_none", UserId: "a", PaymentToken: "tok_ok", DeadlineUnixMicro: past},
		&CancelCommand{OrderId: "o_none", UserId: "a", DeadlineUnixMicro: past},
	} {
		wantCode(t, h.askSection(cmd), errExpired)
	}
	if n := len(store.committed()); n != 0 {
		t.Fatalf("%d batches written for expired commands", n)
	}
	if got := testutil.ToFloat64(m.refusals.WithLabelValues(RefusedExpired)); got != 6 {
		t.Fatalf("expired refusals counted %v, want 6", got)
	}
	if got := testutil.CollectAndCount(m.decisions); got != 0 {
		t.Fatalf("%d decision series counted for expired commands", got)
	}
	// The same key in time is decided; a late copy of it is answered from that decision.
	future := h.clock.Now().Add(time.Minute).UnixMicro()
	first := h.askSection(&HoldCommand{UserId: "a", Seats: []string{"A-1"}, IdempotencyKey: "k1", DeadlineUnixMicro: future})
	wantCode(t, first, nil)
	late := h.askSection(&HoldCommand{UserId: "a", Seats: []string{"A-1"}, IdempotencyKey: "k1", DeadlineUnixMicro: past})
	wantCode(t, late, nil)
	if late.GetHold().GetId() != first.GetHold().GetId() {
		t.Fatalf("a late copy got hold %s, the first %s", late.GetHold().GetId(), first.GetHold().GetId())
	}
}

// TestDecisionCommittedAfterItsDeadlineIsAnsweredWithItsOutcome: a hold decided in time
// whose batch commits after the deadline is answered with the hold, not undone; a copy
// of it that arrives while the batch is being written waits for it and gets the same
// hold; a command queued behind the batch past its deadline is dropped.
func TestDecisionCommittedAfterItsDeadlineIsAnsweredWithItsOutcome(t *testing.T) {
	store := reserved(1, 10)
	store.gate = make(chan error)
	h := newHarness(t, store)
	deadline := h.clock.Now().Add(time.Second).UnixMicro()
	first := h.future(&HoldCommand{UserId: "a", Seats: []string{"A-1"}, IdempotencyKey: "k", DeadlineUnixMicro: deadline})
	testenv.Eventually(t, 5*time.Second, func() error {
		var err error
		h.inspect(func(a *sectionActor) {
			if len(a.inflight) != 1 {
				err = fmt.Errorf("%d decisions being written, want 1", len(a.inflight))
			}
		})
		return err
	})
	h.clock.Advance(2 * time.Second) // the deadline passes while the batch is written
	copyOf := h.future(&HoldCommand{UserId: "a", Seats: []string{"A-1"}, IdempotencyKey: "k", DeadlineUnixMicro: deadline})
	other := h.future(&HoldCommand{UserId: "b", Seats: []string{"A-2"}, DeadlineUnixMicro: deadline})
	wantCode(t, h.wait(other), errExpired) // answered before the batch ends
	store.gate <- nil
	r := h.wait(first)
	wantCode(t, r, nil)
	c := h.wait(copyOf)
	wantCode(t, c, nil)
	if c.GetHold().GetId() != r.GetHold().GetId() {
		t.Fatalf("the copy got %s, the first %s", c.GetHold().GetId(), r.GetHold().GetId())
	}
	if s := store.seat("A-2"); s.Status != SeatAvailable {
		t.Fatalf("the expired hold took A-2: %+v", s)
	}
}

// TestSectionDecidesOnlyWhatItCanAnswerInTime: while a batch is being written, a command
// whose deadline is nearer than the wait for that batch and its own (the last commit's
// duration each) is dropped; one with room is decided. With no batch being written, a
// command is decided up to its deadline: a slow commit once does not refuse everything
// after it.
func TestSectionDecidesOnlyWhatItCanAnswerInTime(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	h.inspect(func(a *sectionActor) { a.lastCommit = time.Second })
	soon := func(d time.Duration) int64 { return h.clock.Now().Add(d).UnixMicro() }
	wantCode(t, h.askSection(&HoldCommand{UserId: "a", Seats: []string{"A-1"}, DeadlineUnixMicro: soon(500 * time.Millisecond)}), nil)

	h.inspect(func(a *sectionActor) { a.lastCommit = time.Second }) // as if that commit had been slow
	store.mu.Lock()
	store.gate = make(chan error)
	store.mu.Unlock()
	first := h.future(&HoldCommand{UserId: "b", Seats: []string{"A-2"}, DeadlineUnixMicro: soon(time.Minute)})
	testenv.Eventually(t, 5*time.Second, func() error {
		var err error
		h.inspect(func(a *sectionActor) {
			if len(a.inflight) != 1 {
				err = fmt.Errorf("%d decisions being written, want 1", len(a.inflight))
			}
		})
		return err
	})
	wantCode(t, h.askSection(&HoldCommand{UserId: "c", Seats: []string{"A-3"}, DeadlineUnixMicro: soon(1500 * time.Millisecond)}), errExpired)
	later := h.future(&HoldCommand{UserId: "d", Seats: []string{"A-4"}, DeadlineUnixMicro: soon(2500 * time.Millisecond)})
	store.gate <- nil
	wantCode(t, h.wait(first), nil)
	store.gate <- nil
	wantCode(t, h.wait(later), nil)
}

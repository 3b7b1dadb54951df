package actors

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// control sends one of the inspector's messages and returns the section's answer.
func (h *harness) control(msg any) *InspectReply {
	h.t.Helper()
	return h.controlFuture(h.sys.Root.RequestFuture(h.pid, msg, 5*time.Second))
}

func (h *harness) controlFuture(f *actor.Future) *InspectReply {
	h.t.Helper()
	res, err := f.Result()
	if err != nil {
		h.t.Fatalf("no answer: %v", err)
	}
	r, ok := res.(*InspectReply)
	if !ok {
		h.t.Fatalf("answer %T, want *InspectReply", res)
	}
	return r
}

// queuedUsers lists the users of the queued commands the inspector shows, in order.
func queuedUsers(r *InspectReply) []string {
	var out []string
	for _, m := range r.GetMessages() {
		out = append(out, m.GetType()+":"+m.GetUserId())
	}
	return out
}

// TestPausedSectionQueuesStepsAndResumes: a paused section decides nothing: the holds it
// receives wait in its queue, oldest first, where the inspector lists them; a step
// decides exactly the oldest and commits it in a batch of its own before answering;
// a resume decides the rest in order.
func TestPausedSectionQueuesStepsAndResumes(t *testing.T) {
	var m *Metrics
	store := reserved(1, 10)
	h := newHarness(t, store, withMetrics(&m))
	wantCode(t, h.ask(&HoldCommand{UserId: "before", Seats: []string{"A-1"}}), nil)
	if r := h.control(&PauseCommand{By: "teacher"}); !r.GetPaused() || r.Err() != nil {
		t.Fatalf("pause answered %+v", r)
	}
	if got := testutil.ToFloat64(m.pausedCount); got != 1 {
		t.Fatalf("ticketblitz_sections_paused %v, want 1", got)
	}
	deadline := h.clock.Now().Add(time.Minute).UnixMicro()
	var holds []*actor.Future
	for i := 2; i <= 4; i++ {
		holds = append(holds, h.future(&HoldCommand{UserId: fmt.Sprintf("u%d", i), Seats: []string{fmt.Sprintf("A-%d", i)}, DeadlineUnixMicro: deadline}))
	}
	r := h.control(&InspectQuery{})
	if got, want := fmt.Sprint(queuedUsers(r)), "[Hold:u2 Hold:u3 Hold:u4]"; got != want {
		t.Fatalf("queued %s, want %s", got, want)
	}
	if r.GetMailboxDepth() != 3 || r.GetHoldsActive() != 1 || r.GetDecisionsTotal() != 1 || r.GetVersion() != 1 {
		t.Fatalf("inspection %+v", r)
	}
	if n := len(store.committed()); n != 1 {
		t.Fatalf("%d batches written while paused, want the one before", n)
	}

	r = h.control(&StepCommand{By: "teacher"})
	if got, want := fmt.Sprint(queuedUsers(r)), "[Hold:u3 Hold:u4]"; got != want {
		t.Fatalf("after a step queued %s, want %s", got, want)
	}
	if r.GetVersion() != 2 || r.GetBatchWriting() != 0 || r.GetBatchNext() != 0 || !r.GetPaused() {
		t.Fatalf("after a step: %+v", r)
	}
	if n := len(store.committed()); n != 2 {
		t.Fatalf("%d batches after one step, want 2", n)
	}
	wantCode(t, h.wait(holds[0]), nil)
	if s := store.seat("A-2"); s.Status != SeatHeld {
		t.Fatalf("stepped seat %+v, want held", s)
	}
	if s := store.seat("A-3"); s.Status != SeatAvailable {
		t.Fatalf("seat of a queued hold %+v, want available", s)
	}

	r = h.control(&ResumeCommand{By: "teacher"})
	if r.GetPaused() {
		t.Fatalf("resume answered paused")
	}
	for _, f := range holds[1:] {
		wantCode(t, h.wait(f), nil)
	}
	if r := h.control(&InspectQuery{}); len(r.GetMessages()) != 0 || r.GetHoldsActive() != 4 || r.GetDecisionsTotal() != 4 {
		t.Fatalf("after resume: %+v", r)
	}
	if got := testutil.ToFloat64(m.pausedCount); got != 0 {
		t.Fatalf("ticketblitz_sections_paused %v after resume, want 0", got)
	}
	if h.tracer.count(TracePaused, "") != 1 || h.tracer.count(TraceResumed, "") != 1 {
		t.Fatalf("traces: %d paused, %d resumed", h.tracer.count(TracePaused, ""), h.tracer.count(TraceResumed, ""))
	}
}

// TestPauseLimitResumesTheSection: a forgotten pause ends by itself at the limit and the
// queued commands are decided.
func TestPauseLimitResumesTheSection(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store, func(_ *harness, c *SectionConfig) { c.PauseLimit = 30 * time.Second })
	h.control(&PauseCommand{By: "teacher"})
	hold := h.future(&HoldCommand{UserId: "u", Seats: []string{"A-1"}})
	if r := h.control(&InspectQuery{}); len(r.GetMessages()) != 1 {
		t.Fatalf("queued %v", queuedUsers(r))
	}
	h.clock.Advance(29 * time.Second)
	if r := h.control(&InspectQuery{}); !r.GetPaused() {
		t.Fatal("resumed before the limit")
	}
	h.clock.Advance(time.Second)
	wantCode(t, h.wait(hold), nil)
	if r := h.control(&InspectQuery{}); r.GetPaused() || len(r.GetMessages()) != 0 {
		t.Fatalf("after the limit: %+v", r)
	}
	var reason string
	h.tracer.mu.Lock()
	for _, tr := range h.tracer.traces {
		if tr.Type == TraceResumed {
			reason = tr.Reason
		}
	}
	h.tracer.mu.Unlock()
	if reason == "" {
		t.Fatal("no resumed trace naming the limit")
	}
}

// TestQueuedCommandKeepsItsDeadline: a command queued in a paused section whose deadline
// passes is answered EXPIRED, decided nothing, and leaves the queue; the section stays
// paused. A command arriving past its deadline is answered at once.
func TestQueuedCommandKeepsItsDeadline(t *testing.T) {
	var m *Metrics
	store := reserved(1, 10)
	h := newHarness(t, store, withMetrics(&m))
	h.control(&PauseCommand{By: "teacher"})
	soon := h.future(&HoldCommand{UserId: "soon", Seats: []string{"A-1"}, DeadlineUnixMicro: h.clock.Now().Add(time.Second).UnixMicro()})
	later := h.future(&HoldCommand{UserId: "later", Seats: []string{"A-2"}, DeadlineUnixMicro: h.clock.Now().Add(time.Minute).UnixMicro()})
	wantCode(t, h.askSection(&HoldCommand{UserId: "past", Seats: []string{"A-3"}, DeadlineUnixMicro: h.clock.Now().Add(-time.Millisecond).UnixMicro()}), errExpired)
	if r := h.control(&InspectQuery{}); len(r.GetMessages()) != 2 {
		t.Fatalf("queued %v", queuedUsers(r))
	}
	h.clock.Advance(time.Second)
	wantCode(t, h.wait(soon), errExpired)
	r := h.control(&InspectQuery{})
	if got, want := fmt.Sprint(queuedUsers(r)), "[Hold:later]"; got != want || !r.GetPaused() {
		t.Fatalf("after the deadline queued %s paused %v, want %s paused", got, r.GetPaused(), want)
	}
	if n := len(store.committed()); n != 0 {
		t.Fatalf("%d batches written for expired commands", n)
	}
	if got := testutil.ToFloat64(m.refusals.WithLabelValues(RefusedExpired)); got != 2 {
		t.Fatalf("expired refusals %v, want 2", got)
	}
	h.control(&ResumeCommand{})
	wantCode(t, h.wait(later), nil)
}

// TestStepNeedsAPause: a step of a section that is not paused is refused and changes
// nothing; a step of an empty queue answers the state.
func TestStepNeedsAPause(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	r := h.control(&StepCommand{})
	var e *Error
	if err := r.Err(); !errors.As(err, &e) || e.Code != CodeValidation {
		t.Fatalf("step unpaused: %v, want VALIDATION_FAILED", err)
	}
	h.control(&PauseCommand{})
	if r := h.control(&StepCommand{}); r.Err() != nil || !r.GetPaused() {
		t.Fatalf("step of an empty queue: %+v", r)
	}
	if r := h.control(&PauseCommand{}); r.Err() != nil || !r.GetPaused() {
		t.Fatalf("second pause: %+v", r)
	}
	if n := len(store.committed()); n != 0 {
		t.Fatalf("%d batches", n)
	}
}

// TestPausedSectionStoppingAnswersItsQueue: a paused section that stops answers its
// queued commands "retry" (they were never decided) and no longer counts as paused.
func TestPausedSectionStoppingAnswersItsQueue(t *testing.T) {
	var m *Metrics
	store := reserved(1, 10)
	h := newHarness(t, store, withMetrics(&m))
	h.control(&PauseCommand{By: "teacher"})
	hold := h.future(&HoldCommand{UserId: "u", Seats: []string{"A-1"}})
	if r := h.control(&InspectQuery{}); len(r.GetMessages()) != 1 {
		t.Fatalf("queued %v", queuedUsers(r))
	}
	if err := h.sys.Root.StopFuture(h.pid).Wait(); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if err := h.wait(hold).Err(); !errors.As(err, &e) || e.Code != CodeUnavailable {
		t.Fatalf("queued hold answered %v, want UNAVAILABLE", err)
	}
	if n := len(store.committed()); n != 0 {
		t.Fatalf("%d batches written", n)
	}
	if got := testutil.ToFloat64(m.pausedCount); got != 0 {
		t.Fatalf("ticketblitz_sections_paused %v after the stop, want 0", got)
	}
}

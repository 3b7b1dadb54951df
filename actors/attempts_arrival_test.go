package actors

import (
	"testing"
	"time"
)

// A command's attempt records when it entered the mailbox as well as when it was
// decided: a command that waited in a paused section's queue shows the wait; one decided
// as it arrived shows none; an expiry has no arrival.
func TestAttemptRecordsWhenTheCommandArrived(t *testing.T) {
	store := reserved(1, 5)
	h := newHarness(t, store, recording)
	wantCode(t, h.hold("a", "A-1"), nil)
	if r := h.control(&PauseCommand{By: "teacher"}); !r.GetPaused() {
		t.Fatalf("pause answered %+v", r)
	}
	f := h.future(&HoldCommand{UserId: "b", Seats: []string{"A-2"}})
	if r := h.control(&InspectQuery{}); len(r.GetMessages()) != 1 {
		t.Fatalf("queued %+v, want the hold", r.GetMessages())
	}
	const waited = 7 * time.Millisecond
	h.clock.Advance(waited)
	h.control(&StepCommand{By: "teacher"})
	wantCode(t, h.wait(f), nil)
	wantAttempts(t, h, store, 2)

	got := store.recorded()
	if a := got[0]; a.ReceivedAt.IsZero() || !a.ReceivedAt.Equal(a.At) {
		t.Fatalf("attempt decided as it arrived: received %v, decided %v", a.ReceivedAt, a.At)
	}
	if a := got[1]; a.At.Sub(a.ReceivedAt) != waited {
		t.Fatalf("attempt that waited %v in the queue: received %v, decided %v", waited, a.ReceivedAt, a.At)
	}
	h.control(&ResumeCommand{By: "teacher"})
}

// Expiries are decided by the section, not received: they have no arrival.
func TestExpiryAttemptHasNoArrival(t *testing.T) {
	store := reserved(1, 5)
	h := newHarness(t, store, recording)
	wantCode(t, h.hold("a", "A-1"), nil)
	h.clock.Advance(10*time.Minute + time.Second) // the harness holds for 10 minutes
	wantAttempts(t, h, store, 2)
	for _, a := range store.recorded() {
		if a.Action == ActionExpire && !a.ReceivedAt.IsZero() {
			t.Fatalf("expiry with an arrival: %+v", a)
		}
	}
}

package actors

import (
	"slices"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// nextCommit returns the next batch the store starts to commit; the test fails when none
// comes.
func nextCommit(t *testing.T, committing <-chan *Batch) *Batch {
	t.Helper()
	select {
	case b := <-committing:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no batch was sent")
		return nil
	}
}

// gateCommits makes every later Commit of store announce itself and wait for the gate.
func gateCommits(store *fakeStore) (committing chan *Batch, gate chan error) {
	store.mu.Lock()
	defer store.mu.Unlock()
	store.committing, store.gate = make(chan *Batch), make(chan error)
	return store.committing, store.gate
}

// A refusal decided when nothing is uncommitted is answered only once a batch sent after
// it committed under the fence: one of no attempts, a read of the fence (the refusal's
// attempt, when recorded, lingers as before); a replay of a committed answer needs none. When a newer activation took the section meanwhile, that batch is fenced
// and the refusal is answered "retry" instead; the stale activation stops.
func TestRefusalWaitsForTheFencedConfirmation(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []func(*harness, *SectionConfig)
	}{{"attempt log off", nil}, {"attempt log on", []func(*harness, *SectionConfig){recording}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("confirmed", func(t *testing.T) {
				store := reserved(1, 5)
				h := newHarness(t, store, tc.opts...)
				held := &HoldCommand{UserId: "a", Seats: []string{"A-1"}, IdempotencyKey: "k", RequestHash: []byte("h")}
				first := h.askSection(held)
				wantCode(t, first, nil)
				committing, gate := gateCommits(store)
				f := h.future(&HoldCommand{UserId: "b", Seats: []string{"A-1", "A-2"}})
				b := nextCommit(t, committing)
				if !b.RecordOnly || len(b.Seats) != 0 {
					t.Fatalf("confirming batch writes %+v", b)
				}
				if len(b.Attempts) != 0 { // a read of the fence: the attempt lingers
					t.Fatalf("confirming batch carries %d attempts, want none", len(b.Attempts))
				}
				gate <- nil
				r := h.wait(f)
				wantCode(t, r, ErrSeatUnavailable)
				if got := r.GetSeats(); !slices.Equal(got, []string{"A-1"}) {
					t.Fatalf("refusal names seats %v, want [A-1]", got)
				}
				if len(tc.opts) > 0 {
					// The refusal's attempt goes out once its linger is over. The answer
					// leaves before the batch's end has armed the linger's timer: the
					// clock moves once the actor is done with that batch.
					h.inspect(func(*sectionActor) {})
					h.clock.Advance(attemptLinger)
					if b := nextCommit(t, committing); !b.RecordOnly || len(b.Attempts) != 1 {
						t.Fatalf("the lingering attempt's batch: record only %v, %d attempts, want 1", b.RecordOnly, len(b.Attempts))
					}
					gate <- nil
				}
				// A replay of a committed answer is a fact: no batch is sent for it (one
				// would block on the gate, and the answer with it).
				if again := h.askSection(held); again.GetHold().GetId() != first.GetHold().GetId() {
					t.Fatalf("replay answered %v, want hold %s", again, first.GetHold().GetId())
				}
			})
			t.Run("fenced", func(t *testing.T) {
				store := reserved(1, 5)
				h := newHarness(t, store, tc.opts...)
				wantCode(t, h.hold("a", "A-1"), nil)
				committing, gate := gateCommits(store)
				f := h.future(&HoldCommand{UserId: "b", Seats: []string{"A-1"}})
				nextCommit(t, committing)
				// A newer activation takes the section while the confirmation is on its way.
				if _, err := store.Activate(t.Context(), SectionKey{"ev", "S"}, "n/m/act_1", time.Minute); err != nil {
					t.Fatal(err)
				}
				gate <- nil
				wantCode(t, h.wait(f), ErrUnavailable)
				testenv.Eventually(t, 5*time.Second, h.tracer.wantCount(TracePassivation, 1))
			})
		})
	}
}

// A refusal decided while a batch is being written waits for the next batch, not for the
// one in flight, which was sent before it was decided: a confirmation follows the write
// when nothing else is pending.
func TestRefusalBehindAWriteWaitsForTheNextBatch(t *testing.T) {
	store := reserved(1, 5)
	h := newHarness(t, store)
	committing, gate := gateCommits(store)
	first := h.future(&HoldCommand{UserId: "a", Seats: []string{"A-1"}})
	if b := nextCommit(t, committing); len(b.Holds) != 1 {
		t.Fatalf("first batch writes %d holds", len(b.Holds))
	}
	refused := h.future(&HoldCommand{UserId: "b", Seats: []string{"A-1"}})
	h.inspect(func(*sectionActor) {}) // the refusal is decided, behind the write
	gate <- nil
	wantCode(t, h.wait(first), nil)
	if b := nextCommit(t, committing); !b.RecordOnly || b.Version != 1 {
		t.Fatalf("second batch: record only %v at version %d, want a confirmation at 1", b.RecordOnly, b.Version)
	}
	if _, err := store.Activate(t.Context(), SectionKey{"ev", "S"}, "n/m/act_1", time.Minute); err != nil {
		t.Fatal(err)
	}
	gate <- nil
	wantCode(t, h.wait(refused), ErrUnavailable)
}

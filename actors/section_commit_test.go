package actors

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestCommitOfUnknownOutcomeStopsTheSection: a batch whose commit may have happened (its
// COMMIT timed out, or the store could not say) is not undone and decided on again from
// memory that may be stale: the section answers "retry" and stops, and the next activation
// loads the truth. A retry with the same idempotency key then gets the committed hold, never
// a second one; when nothing was written, it is decided afresh.
func TestCommitOfUnknownOutcomeStopsTheSection(t *testing.T) {
	for _, tc := range []struct {
		name      string
		committed bool
		set       func(*fakeStore, error)
		err       error
	}{
		{"committed, then timed out", true, func(s *fakeStore, err error) { s.afterCommit = err },
			fmt.Errorf("commit: %w: i/o timeout", ErrCommitUnknown)},
		{"not written, unclassified error", false, func(s *fakeStore, err error) { s.failAll = err },
			errors.New("the driver said something new")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := reserved(1, 10)
			h := newHarness(t, store)
			wantCode(t, h.hold("a", "A-1"), nil)
			store.mu.Lock()
			tc.set(store, tc.err)
			store.mu.Unlock()

			cmd := &HoldCommand{UserId: "b", Seats: []string{"A-2"}, IdempotencyKey: "k", RequestHash: []byte("x")}
			wantCode(t, h.askSection(cmd), ErrUnavailable)
			testenv.Eventually(t, 5*time.Second, h.tracer.wantCount(TracePassivation, 1))
			if _, err := h.sys.Root.RequestFuture(h.pid, &StatusQuery{}, 200*time.Millisecond).Result(); err == nil {
				t.Fatal("the section carries on after a commit of unknown outcome")
			}
			if got := store.seat("A-2").Status == SeatHeld; got != tc.committed {
				t.Fatalf("A-2 held in the store: %v, want %v", got, tc.committed)
			}

			store.mu.Lock()
			store.afterCommit, store.failAll = nil, nil
			store.mu.Unlock()
			next := newHarness(t, store)
			r := next.ask(cmd)
			wantCode(t, r, nil)
			if held := store.seat("A-2"); held.HoldID != r.GetHold().GetId() {
				t.Fatalf("the retry got hold %s, the store has %s on A-2", r.GetHold().GetId(), held.HoldID)
			}
			if n := store.holdCount(HoldHeld); n != 2 {
				t.Fatalf("%d holds in the store, want 2 (a's and b's, once)", n)
			}
			wantCode(t, next.hold("c", "A-2"), ErrSeatUnavailable)
		})
	}
}

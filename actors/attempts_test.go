package actors

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// wantAttempts waits until store has recorded n attempts. Refusals answered at once are
// written after their answer, with the next batch or once they lingered: the clock moves
// on as it waits.
func wantAttempts(t *testing.T, h *harness, store *fakeStore, n int) {
	t.Helper()
	testenv.Eventually(t, 5*time.Second, func() error {
		h.clock.Advance(attemptLinger)
		if got := len(store.recorded()); got != n {
			return fmt.Errorf("%d attempts recorded, want %d", got, n)
		}
		return nil
	})
}

func recording(_ *harness, c *SectionConfig) { c.RecordAttempts = true }

// attemptView is what a test checks of an attempt.
type attemptView struct {
	seq    int64
	user   string
	action string
	seats  []string
	code   Code
	cause  int64
}

func viewAttempts(as []Attempt) []attemptView {
	out := make([]attemptView, len(as))
	for i, a := range as {
		out[i] = attemptView{a.Seq, a.UserID, a.Action, a.Seats, a.Code, a.CauseSeq}
	}
	return out
}

func TestAttemptLogRecordsEveryDecisionInOrder(t *testing.T) {
	store := reserved(1, 5)
	h := newHarness(t, store, recording)
	a := h.hold("a", "A-1", "A-2")
	wantCode(t, a, nil)
	wantCode(t, h.hold("b", "A-2", "A-3"), ErrSeatUnavailable)
	wantCode(t, h.ask(&HoldCommand{UserId: "b", Quantity: 9}), ErrLimitExceeded)
	c := h.hold("c", "A-3")
	wantCode(t, c, nil)
	wantCode(t, h.ask(&ReleaseCommand{HoldId: a.GetHold().GetId(), UserId: "a"}), nil)
	wantCode(t, h.hold("b", "A-2"), nil)
	wantCode(t, h.ask(&ConfirmCommand{HoldId: c.GetHold().GetId(), UserId: "c", PaymentToken: "tok"}), nil)
	wantCode(t, h.hold("d", "A-3"), ErrSeatUnavailable)

	want := []attemptView{
		{1, "a", ActionHold, []string{"A-1", "A-2"}, "", 0},
		{2, "b", ActionHold, []string{"A-2", "A-3"}, CodeSeatUnavailable, 1},
		{3, "b", ActionHold, nil, CodeLimitExceeded, 0},
		{4, "c", ActionHold, []string{"A-3"}, "", 0},
		{5, "a", ActionRelease, []string{"A-1", "A-2"}, "", 0},
		{6, "b", ActionHold, []string{"A-2"}, "", 0},
		{7, "c", ActionConfirm, []string{"A-3"}, "", 0},
		{8, "d", ActionHold, []string{"A-3"}, CodeSeatUnavailable, 7},
	}
	wantAttempts(t, h, store, len(want))
	got := viewAttempts(store.recorded())
	if !slices.EqualFunc(got, want, func(x, y attemptView) bool {
		return x.seq == y.seq && x.user == y.user && x.action == y.action && slices.Equal(x.seats, y.seats) &&
			x.code == y.code && x.cause == y.cause
	}) {
		t.Fatalf("attempts:\n got %+v\nwant %+v", got, want)
	}
	// The command travels with its attempt, for replay.
	first := store.recorded()[0]
	var cmd HoldCommand
	if first.Kind != "HoldCommand" || proto.Unmarshal(first.Command, &cmd) != nil || cmd.GetUserId() != "a" {
		t.Fatalf("first attempt's command: kind %q, %v", first.Kind, &cmd)
	}
	// Refusals answered at once were written without a version of their own.
	store.mu.Lock()
	recordOnly, v := store.recordOnly, store.snap.Version
	store.mu.Unlock()
	if recordOnly == 0 {
		t.Fatal("no batch of refusals alone")
	}
	if v != 5 {
		t.Fatalf("version = %d after 5 batches that changed seats", v)
	}
}

func TestAttemptLogRecordsExpiriesAsCauses(t *testing.T) {
	store := reserved(1, 5)
	h := newHarness(t, store, recording)
	a := h.hold("a", "A-1")
	wantCode(t, a, nil)
	h.clock.Advance(11 * time.Minute)
	wantAttempts(t, h, store, 2)
	wantCode(t, h.ask(&ConfirmCommand{HoldId: a.GetHold().GetId(), UserId: "a", PaymentToken: "tok"}), ErrHoldExpired)
	got := store.recorded()
	if len(got) < 2 {
		t.Fatalf("attempts = %+v", got)
	}
	if e := got[1]; e.Seq != 2 || e.Action != ActionExpire || e.UserID != "a" || !slices.Equal(e.Seats, []string{"A-1"}) ||
		e.Ref != a.GetHold().GetId() || !e.Granted() {
		t.Fatalf("expiry attempt = %+v", e)
	}
}

func TestAttemptLogOffRecordsNothing(t *testing.T) {
	store := reserved(1, 5)
	h := newHarness(t, store)
	wantCode(t, h.hold("a", "A-1"), nil)
	wantCode(t, h.hold("b", "A-1"), ErrSeatUnavailable)
	// The refusal waited for a batch that only confirmed the fence, and wrote nothing.
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.attempts) != 0 || store.recordOnly != 0 || store.confirms != 1 {
		t.Fatalf("recorded %+v in %d batches of attempts; %d confirmations, want 1", store.attempts, store.recordOnly, store.confirms)
	}
}

func TestAttemptNumbersSurviveAFailedBatchAndAnActivation(t *testing.T) {
	store := reserved(1, 5)
	h := newHarness(t, store, recording)
	wantCode(t, h.hold("a", "A-1"), nil)
	store.mu.Lock()
	store.gate = make(chan error, 1)
	store.mu.Unlock()
	f := h.future(&HoldCommand{UserId: "b", Seats: []string{"A-2"}})
	store.gate <- ErrRolledBack
	wantCode(t, h.wait(f), ErrUnavailable)
	store.mu.Lock()
	store.gate = nil
	store.mu.Unlock()
	wantCode(t, h.hold("c", "A-3"), nil)

	// A new activation goes on from the last committed number.
	h2 := newHarness(t, store, recording)
	wantCode(t, h2.hold("d", "A-4"), nil)
	var seqs []int64
	for _, a := range store.recorded() {
		seqs = append(seqs, a.Seq)
	}
	if !slices.Equal(seqs, []int64{1, 2, 3}) {
		t.Fatalf("seqs = %v", seqs)
	}
}

func TestBatchesChainTheirVersionsOverTheAttempts(t *testing.T) {
	store := reserved(1, 5)
	h := newHarness(t, store, recording)
	a := h.hold("a", "A-1")
	wantCode(t, a, nil)
	wantCode(t, h.hold("b", "A-1"), ErrSeatUnavailable)
	wantCode(t, h.hold("c", "A-2"), nil)
	wantCode(t, h.ask(&ReleaseCommand{HoldId: a.GetHold().GetId(), UserId: "a"}), nil)
	wantAttempts(t, h, store, 4)

	store.mu.Lock()
	batches := slices.Clone(store.batches)
	store.mu.Unlock()
	attempts := store.recorded()
	var digest, link []byte
	next := 0
	for _, b := range batches {
		for next < len(attempts) && attempts[next].Seq <= b.LastSeq {
			digest = FoldAttempt(digest, attempts[next])
			next++
		}
		var changes []SeatStatusChange
		for _, c := range b.Seats {
			changes = append(changes, SeatStatusChange{ID: c.ID, Status: c.Status})
		}
		link = ChainLink(link, b.Version+1, b.LastSeq, digest, changes)
		if !slices.Equal(link, b.Chain) || !slices.Equal(digest, b.Digest) {
			t.Fatalf("version %d: the batch's link does not follow from the record", b.Version+1)
		}
	}
	// A changed attempt breaks the link of its version.
	attempts[1].Code = ""
	if slices.Equal(FoldAttempt(FoldAttempt(nil, attempts[0]), attempts[1]), FoldAttempt(FoldAttempt(nil, store.recorded()[0]), store.recorded()[1])) {
		t.Fatal("a changed attempt folds to the same digest")
	}
}

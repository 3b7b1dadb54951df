package actors

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// recordRandomSale runs a sale of random commands by a few fans on a 2×6 section through
// a recording actor, and returns the store with its record.
func recordRandomSale(t *testing.T, seed uint64, steps int) (*fakeStore, Snapshot) {
	t.Helper()
	store := reserved(2, 6)
	initial := store.snap
	initial.Seats = append([]Seat(nil), store.snap.Seats...)
	h := newHarness(t, store, recording)
	rng := rand.New(rand.NewPCG(seed, 11))
	var holds []*HoldMsg
	var orders []*OrderMsg
	want := 0
	for range steps {
		user := fmt.Sprintf("u%d", rng.IntN(4))
		var r *Reply
		switch n := rng.IntN(10); {
		case n < 4:
			seat := SeatID(string(rune('A'+rng.IntN(2))), 1+rng.IntN(6))
			r = h.askSection(&HoldCommand{UserId: user, Seats: []string{seat}})
			if r.GetHold() != nil {
				holds = append(holds, r.GetHold())
			}
		case n < 5:
			r = h.askSection(&HoldCommand{UserId: user, Quantity: int32(1 + rng.IntN(2))})
			if r.GetHold() != nil {
				holds = append(holds, r.GetHold())
			}
		case n < 8 && len(holds) > 0:
			hm := holds[rng.IntN(len(holds))]
			switch rng.IntN(3) {
			case 0:
				r = h.askSection(&ReleaseCommand{HoldId: hm.GetId(), UserId: user})
			case 1:
				r = h.askSection(&ExtendCommand{HoldId: hm.GetId(), UserId: hm.GetUserId()})
			default:
				token := "tok"
				if rng.IntN(4) == 0 {
					token = DeclinedToken
				}
				r = h.askSection(&ConfirmCommand{HoldId: hm.GetId(), UserId: hm.GetUserId(), PaymentToken: token})
				if r.GetOrder() != nil {
					orders = append(orders, r.GetOrder())
				}
			}
		case n < 9 && len(orders) > 0:
			o := orders[rng.IntN(len(orders))]
			r = h.askSection(&CancelCommand{OrderId: o.GetId(), UserId: o.GetUserId()})
		default:
			h.clock.Advance(time.Duration(1+rng.IntN(6)) * time.Minute) // holds expire
			continue
		}
		if errors.Is(r.Err(), errNotInSection) {
			continue // answered from the store: the section decided nothing
		}
		want++
		_ = r
	}
	// Every command the section decided, and every expiry, is on the record.
	testenvRecorded(t, h, store, want)
	return store, initial
}

// testenvRecorded waits until at least n attempts are recorded (expiries add more).
func testenvRecorded(t *testing.T, h *harness, store *fakeStore, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(store.recorded()) < n && time.Now().Before(deadline) {
		h.inspect(func(*sectionActor) {})
		h.clock.Advance(attemptLinger)
	}
	if got := len(store.recorded()); got < n {
		t.Fatalf("%d attempts recorded, want at least %d", got, n)
	}
}

func replayInput(store *fakeStore, initial Snapshot) ReplayInput {
	store.mu.Lock()
	orderHolds := map[string]string{}
	for id, o := range store.orders {
		orderHolds[id] = o.HoldID
	}
	store.mu.Unlock()
	initial.DBNow = store.recorded()[0].At.Add(-time.Second)
	return ReplayInput{Section: initial, Attempts: store.recorded(), HoldTTL: 10 * time.Minute, OrderHolds: orderHolds}
}

func TestReplayDecidesARandomSaleTheSameWay(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			store, initial := recordRandomSale(t, seed, 120)
			in := replayInput(store, initial)
			n, err := Replay(in)
			if err != nil {
				t.Fatalf("replay of seed %d: %v", seed, err)
			}
			if n != len(in.Attempts) {
				t.Fatalf("replayed %d of %d attempts", n, len(in.Attempts))
			}
		})
	}
}

func TestReplayNamesTheFirstDecisionThatDiffers(t *testing.T) {
	store, initial := recordRandomSale(t, 3, 80)
	in := replayInput(store, initial)
	// The record says a refused hold was granted.
	at := -1
	for i, a := range in.Attempts {
		if a.Action == ActionHold && a.Code == CodeSeatUnavailable {
			at = i
			break
		}
	}
	if at < 0 {
		t.Fatal("the sale has no refused hold")
	}
	in.Attempts[at].Code = ""
	_, err := Replay(in)
	var diff *ReplayDiffError
	if !errors.As(err, &diff) || diff.Recorded.Seq != in.Attempts[at].Seq || diff.Replayed == nil || diff.Replayed.Code != CodeSeatUnavailable {
		t.Fatalf("replay of a changed record: %v, want the difference at #%d", err, in.Attempts[at].Seq)
	}
}

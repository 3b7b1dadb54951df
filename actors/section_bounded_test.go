package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// sizes is what a section holds in memory.
type sizes struct {
	holds, orders, keys, keyAges, users, expiries, paying int
}

func (h *harness) sizes() sizes {
	h.t.Helper()
	var z sizes
	h.inspect(func(a *sectionActor) {
		z = sizes{holds: len(a.st.holds), orders: len(a.st.orders), keys: len(a.st.keys), keyAges: a.st.keyAges.len(),
			users: len(a.st.userTickets), expiries: a.st.expiries.len(), paying: len(a.paying) + len(a.payingKeys)}
	})
	return z
}

// TestMemoryStaysBoundedOverManyCycles runs thousands of hold → release and
// hold → confirm → cancel cycles of many fans, with idempotency keys, through one section
// over simulated hours: what the section keeps in memory follows what is live, never the
// history. Every finished hold and order leaves memory once committed, and every
// idempotency answer once the key window has passed.
func TestMemoryStaysBoundedOverManyCycles(t *testing.T) {
	store := reserved(2, 10)
	h := newHarness(t, store)
	window := 2 * ClientConfig{}.RetryHorizon()
	const cycles = 3000
	step := time.Second // simulated time between two cycles
	maxKeys := 0
	for i := range cycles {
		user := fmt.Sprintf("fan%d", i)
		seat := SeatID("A", 1+i%10)
		held := h.ask(&HoldCommand{UserId: user, Seats: []string{seat}, IdempotencyKey: "hk", RequestHash: []byte(seat)})
		wantCode(t, held, nil)
		id := held.GetHold().GetId()
		if i%3 == 0 {
			o := h.ask(&ConfirmCommand{HoldId: id, UserId: user, PaymentToken: "tok_ok", IdempotencyKey: "ck", RequestHash: []byte(id)})
			wantCode(t, o, nil)
			wantCode(t, h.ask(&CancelCommand{OrderId: o.GetOrder().GetId(), UserId: user, IdempotencyKey: "xk"}), nil)
		} else {
			wantCode(t, h.ask(&ReleaseCommand{HoldId: id, UserId: user, IdempotencyKey: "rk"}), nil)
		}
		h.clock.Advance(step)
		if i%100 == 99 {
			z := h.sizes()
			if z.holds != 0 || z.orders != 0 || z.users != 0 || z.paying != 0 {
				t.Fatalf("after %d cycles nothing is live, yet memory holds %+v", i+1, z)
			}
			if z.expiries > 2+expiryCompactSlack {
				t.Fatalf("after %d cycles the expiry queue has %d entries for no live hold", i+1, z.expiries)
			}
			// Two or three keys per cycle, forgotten once older than the window.
			limit := 3*int(window/step) + 3
			if z.keys > limit || z.keyAges > limit {
				t.Fatalf("after %d cycles %d keys (%d ages) in memory, want at most %d", i+1, z.keys, z.keyAges, limit)
			}
			maxKeys = max(maxKeys, z.keys)
		}
	}
	t.Logf("%d cycles over %v: at most %d idempotency answers in memory (window %v)", cycles, cycles*step, maxKeys, window)
	if n := store.holdCount(HoldReleased) + store.holdCount(HoldConfirmed); n != cycles {
		t.Fatalf("store has %d finished holds, want %d", n, cycles)
	}

	// Forgotten answers are still the first answers: the store keeps them, and the Client
	// finds them there before it asks the section (its first and every later attempt).
	if rec, ok, _ := store.Idempotent(t.Context(), "fan0", "hk"); !ok || len(rec.Response) == 0 {
		t.Fatal("the store lost the first hold's answer")
	}
	h.inspect(func(a *sectionActor) {
		if _, ok := a.st.keys[idemKey{"fan0", "hk"}]; ok {
			t.Error("an answer older than the window is still in memory")
		}
	})
}

// TestExpiryTicksCostWhatExpires: holds placed one second apart expire one tick at a
// time, in order, each tick touching only the due ones; extended holds leave stale
// entries the queue drops; what is left in the queue follows the live holds.
func TestExpiryTicksCostWhatExpires(t *testing.T) {
	store := reserved(5, 20)
	h := newHarness(t, store)
	const n = 60
	ids := make([]string, n)
	for i := range n {
		r := h.hold(fmt.Sprintf("u%d", i), SeatID(RowLabel(i/20), 1+i%20))
		wantCode(t, r, nil)
		ids[i] = r.GetHold().GetId()
		h.clock.Advance(time.Second)
	}
	// Every third hold is extended (and so expires 5 minutes later than placed + TTL).
	h.clock.Advance(5 * time.Minute)
	for i := 0; i < n; i += 3 {
		wantCode(t, h.ask(&ExtendCommand{HoldId: ids[i], UserId: fmt.Sprintf("u%d", i)}), nil)
	}
	// 10 minutes after the first hold, it and the next ones expire one per second.
	h.clock.Advance(10*time.Minute - 5*time.Minute - n*time.Second)
	// The test moves the clock as soon as the holds it expects expired are, and the
	// section may take the tick that came due only after that: the timer it then arms for
	// the next expiry is already due, and a manual clock runs it only when it is moved.
	// Moving it by nothing while waiting runs it, as a real clock would at once.
	expired := func(want int) func() error {
		return func() error {
			h.clock.Advance(0)
			if got := store.holdCount(HoldExpired); got != want {
				return fmt.Errorf("%d holds expired, want %d", got, want)
			}
			return nil
		}
	}
	for i := range n {
		want := i + 1 - (i+3)/3 // the holds up to i, less the extended ones
		testenv.Eventually(t, 5*time.Second, expired(want))
		h.clock.Advance(time.Second)
	}
	// The store counts a batch's expiries before the section has its result: memory
	// follows a moment later.
	var z sizes
	testenv.Eventually(t, 5*time.Second, func() error {
		if z = h.sizes(); z.holds != n/3 {
			return fmt.Errorf("%d holds in memory, want the %d extended ones", z.holds, n/3)
		}
		return nil
	})
	if z.expiries > 2*z.holds+expiryCompactSlack {
		t.Fatalf("expiry queue %d for %d live holds", z.expiries, z.holds)
	}
	h.clock.Advance(5 * time.Minute)
	testenv.Eventually(t, 5*time.Second, expired(n))
	testenv.Eventually(t, 5*time.Second, func() error {
		if z := h.sizes(); z.holds != 0 || z.users != 0 {
			return fmt.Errorf("after every expiry memory holds %+v", z)
		}
		return nil
	})
}

func TestExpiryQueueOrderLazinessAndCompaction(t *testing.T) {
	var q expiryQueue
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	live := map[string]time.Time{}
	for i := range 100 {
		id := fmt.Sprintf("h%d", i)
		at := base.Add(time.Duration((i*37)%100) * time.Second)
		live[id] = at
		q.push(at, id)
	}
	isLive := func(e expiryEntry) bool { at, ok := live[e.holdID]; return ok && at.Equal(e.at) }
	// Move every hold 1000 s later: the old entries become stale.
	for id, at := range live {
		live[id] = at.Add(1000 * time.Second)
		q.push(live[id], id)
	}
	if e, ok := q.peek(isLive); !ok || !e.at.Equal(base.Add(1000*time.Second)) {
		t.Fatalf("peek = %v %v, want the earliest live expiry", e, ok)
	}
	if q.len() != 100 {
		t.Fatalf("peek dropped %d stale entries, want all 100 ahead of the first live one", 200-q.len())
	}
	var prev time.Time
	got := 0
	for {
		e, ok := q.popDue(base.Add(2000 * time.Second))
		if !ok {
			break
		}
		if e.at.Before(prev) {
			t.Fatalf("popped %v after %v", e.at, prev)
		}
		prev = e.at
		got++
	}
	if got != 100 || q.len() != 0 {
		t.Fatalf("popped %d, %d left", got, q.len())
	}
	// Compaction keeps the queue at most twice the live holds plus the slack.
	for i := range 1000 {
		q.push(base.Add(time.Duration(i)*time.Second), "same")
		q.compact(1, func() []expiryEntry { return []expiryEntry{{at: base, holdID: "same"}} })
		if q.len() > 2+expiryCompactSlack {
			t.Fatalf("queue grew to %d for one live hold", q.len())
		}
	}
}

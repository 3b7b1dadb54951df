package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestBatchOverTheLimitIsDecidedAgain: while alice's 8-ticket hold waits for its batch,
// another section commits 8 tickets of hers. The store refuses the batch for her alone;
// the section undoes it and decides its commands again in order, knowing her committed
// total: her holds are refused LIMIT_EXCEEDED, bob's hold and zed's paid confirm go
// through in the next batch, and zed's charge is neither refunded nor taken twice.
func TestBatchOverTheLimitIsDecidedAgain(t *testing.T) {
	store := newFakeStore(KindGeneralAdmission, 100)
	store.snap.EventSections = 2
	ledger := &PaymentLedger{}
	h := newHarness(t, store, withPayments(0, ledger))
	zed := h.ask(&HoldCommand{UserId: "zed", Quantity: 2})
	wantCode(t, zed, nil)

	store.mu.Lock()
	store.gate = make(chan error)
	store.mu.Unlock()
	first := h.future(&HoldCommand{UserId: "yan", Quantity: 1}) // its batch is in flight
	testenv.Eventually(t, 5*time.Second, func() error {
		var inflight int
		h.inspect(func(a *sectionActor) { inflight = len(a.inflight) })
		if inflight != 1 {
			return fmt.Errorf("%d decisions in flight, want yan's", inflight)
		}
		return nil
	})
	alice := h.future(&HoldCommand{UserId: "alice", Quantity: 8})
	bob := h.future(&HoldCommand{UserId: "bob", Quantity: 2})
	aliceMore := h.future(&HoldCommand{UserId: "alice", Quantity: 1}) // refused already: 9 of 8
	confirm := h.future(&ConfirmCommand{HoldId: zed.GetHold().GetId(), UserId: "zed", PaymentToken: "tok_ok"})
	testenv.Eventually(t, 5*time.Second, func() error {
		var pending int
		h.inspect(func(a *sectionActor) { pending = len(a.pending) })
		if pending != 4 {
			return fmt.Errorf("%d decisions pending, want alice's two, bob's and zed's confirm", pending)
		}
		return nil
	})
	store.setEventTickets("alice", 8) // another section committed alice's 8 meanwhile

	store.gate <- nil // yan's batch commits
	wantCode(t, h.wait(first), nil)
	store.gate <- nil // the next batch: refused for alice
	store.gate <- nil // decided again: bob's hold and zed's confirm
	wantCode(t, h.wait(alice), ErrLimitExceeded)
	wantCode(t, h.wait(aliceMore), ErrLimitExceeded)
	wantCode(t, h.wait(bob), nil)
	order := h.wait(confirm)
	wantCode(t, order, nil)

	if n := h.tracer.count(TraceBatch, "rollback"); n != 1 {
		t.Fatalf("%d rollback traces, want 1", n)
	}
	b := store.committed()
	last := b[len(b)-1]
	if len(last.Holds) != 2 || len(last.Orders) != 1 || last.Held != 3 || last.Sold != 2 {
		t.Fatalf("the batch decided again writes %d holds, %d orders, held %d sold %d; want bob's hold and zed's confirmed one, held 3 sold 2",
			len(last.Holds), len(last.Orders), last.Held, last.Sold)
	}
	if got := fmt.Sprint(last.UserTickets); got != "[{bob 2}]" {
		t.Fatalf("user tickets of the batch decided again: %s, want bob's 2 alone", got)
	}
	store.mu.Lock()
	counts := fmt.Sprint(store.eventTickets)
	store.mu.Unlock()
	if counts != "map[alice:8 bob:2 yan:1 zed:2]" {
		t.Fatalf("event counts %s", counts)
	}
	if c, r := len(ledger.Charges()), len(ledger.Refunds()); c != 1 || r != 0 {
		t.Fatalf("zed's payment: %d charges, %d refunds; want one charge, no refund", c, r)
	}
	var tickets int
	h.inspect(func(a *sectionActor) { tickets = a.st.userTickets["alice"] })
	if tickets != 0 {
		t.Fatalf("alice has %d tickets in the section's memory", tickets)
	}
}

// TestBatchesCarryTheirUsersTicketChanges: in an event of several sections each batch
// carries the net change of each user's tickets (a hold adds, a release, an expiry and a
// cancel give back, a confirm moves nothing); in a one-section event, none.
func TestBatchesCarryTheirUsersTicketChanges(t *testing.T) {
	for _, sections := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d sections", sections), func(t *testing.T) {
			store := reserved(1, 10)
			store.snap.EventSections = sections
			h := newHarness(t, store)
			a := h.hold("a", "A-1", "A-2")
			wantCode(t, h.ask(&ReleaseCommand{HoldId: a.GetHold().GetId(), UserId: "a"}), nil)
			b := h.hold("b", "A-3")
			o := h.ask(&ConfirmCommand{HoldId: b.GetHold().GetId(), UserId: "b", PaymentToken: "tok_ok"})
			wantCode(t, o, nil)
			wantCode(t, h.ask(&CancelCommand{OrderId: o.GetOrder().GetId(), UserId: "b"}), nil)
			wantCode(t, h.hold("c", "A-4"), nil)
			h.clock.Advance(11 * time.Minute)
			testenv.Eventually(t, 5*time.Second, func() error {
				if s := store.seat("A-4"); s.Status != SeatAvailable {
					return fmt.Errorf("A-4 is %s, want expired", s.Status)
				}
				return nil
			})
			var got []string
			for _, batch := range store.committed() {
				got = append(got, fmt.Sprint(batch.UserTickets))
				if len(batch.UserTickets) > 0 && batch.MaxTicketsPerUser != 8 {
					t.Fatalf("batch limit %d, want 8", batch.MaxTicketsPerUser)
				}
			}
			want := "[[{a 2}] [{a -2}] [{b 1}] [] [{b -1}] [{c 1}] [{c -1}]]"
			if sections == 1 {
				want = "[[] [] [] [] [] [] []]"
			}
			if fmt.Sprint(got) != want {
				t.Fatalf("user tickets per batch %v, want %v", got, want)
			}
		})
	}
}

package persistence

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// The join's answer tells a fan at once what a ticket read would: a fan joining a room
// the controller recorded as sold out is answered sold_out, without a position to wait
// on a websocket for; a fan joining again whose position is under the watermark is
// answered admitted, with its pass.
func TestWaitingRoomJoinAnswersSoldOutAndAdmittedAtOnce(t *testing.T) {
	clock := &roomClock{now: time.Now()}
	e := newRoomEnv(t, clock)
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO})
	ctx := context.Background()
	for _, u := range []string{"u0", "u1", "u2"} {
		if tk, _, err := e.svc.Join(ctx, "ev", u); err != nil || tk.Status != waitingroom.TicketWaiting {
			t.Fatalf("join of %s before any admission: %+v, %v", u, tk, err)
		}
	}
	if ok, _, err := e.leases.Acquire(ctx, waitingroom.ControllerLease, "ctl", time.Minute); err != nil || !ok {
		t.Fatalf("the controller lease: %v, %v", ok, err)
	}
	fence := waitingroom.Fence{Lease: waitingroom.ControllerLease, Owner: "ctl"}
	// One fan admitted; then no seat is left for the others.
	if _, err := e.store.Admit(ctx, "ev", fence, 1, clock.Now(), waitingroom.Status{AdmittingPerS: 10, Change: waitingroom.ChangeRaise}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Admit(ctx, "ev", fence, 0, clock.Now(), waitingroom.Status{AdmittingPerS: 10, Change: waitingroom.ChangeHold, SoldOut: true}); err != nil {
		t.Fatal(err)
	}
	late, created, err := e.svc.Join(ctx, "ev", "late")
	if err != nil || !created || late.Status != waitingroom.TicketSoldOut || late.Pass != "" || late.ETASeconds != 0 {
		t.Fatalf("a fan joining a sold-out room: %+v created %v, %v; want a new ticket, sold_out", late, created, err)
	}
	again, created, err := e.svc.Join(ctx, "ev", "u0")
	if err != nil || created || again.Status != waitingroom.TicketAdmitted || again.Pass == "" {
		t.Fatalf("an admitted fan joining again: %+v created %v, %v; want its ticket, admitted, with its pass", again, created, err)
	}
	if err := e.svc.CheckPass("ev", "u0", again.Pass); err != nil {
		t.Fatalf("the pass in the join answer: %v", err)
	}
	// A seat returns after the tell: u1 (position 2) has it to wait for, u2 and those
	// joining after still read sold out.
	if _, err := e.store.Admit(ctx, "ev", fence, 0, clock.Now(), waitingroom.Status{AdmittingPerS: 10, Change: waitingroom.ChangeHold, SoldOut: true, SoldOutAfter: 2}); err != nil {
		t.Fatal(err)
	}
	for u, want := range map[string]waitingroom.TicketStatus{"u1": waitingroom.TicketWaiting, "u2": waitingroom.TicketSoldOut, "late": waitingroom.TicketSoldOut} {
		if tk, _, err := e.svc.Join(ctx, "ev", u); err != nil || tk.Status != want {
			t.Fatalf("%s once a seat returned for position 2: %+v, %v; want %s", u, tk, err, want)
		}
	}
	// Seats return for everyone: the controller no longer says sold out, and a join reads waiting.
	if _, err := e.store.Admit(ctx, "ev", fence, 0, clock.Now(), waitingroom.Status{AdmittingPerS: 10, Change: waitingroom.ChangeHold}); err != nil {
		t.Fatal(err)
	}
	if tk, _, err := e.svc.Join(ctx, "ev", "later"); err != nil || tk.Status != waitingroom.TicketWaiting || tk.Ahead != 3 {
		t.Fatalf("a fan joining once seats returned: %+v, %v; want waiting behind 3", tk, err)
	}
}

// The rate the room expects to admit at and the last position its seats cover survive
// the store, and a join's answer counts its ETA on them: the 401st fan, beyond the 300
// positions the seats cover, waits for 300 fans at 100 a second (3 s), not for 401 at
// the current 10 (41 s).
func TestWaitingRoomStatusKeepsTheETAsRateAndSeats(t *testing.T) {
	clock := &roomClock{now: time.Now()}
	e := newRoomEnv(t, clock)
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO})
	ctx := context.Background()
	if ok, _, err := e.leases.Acquire(ctx, waitingroom.ControllerLease, "ctl", time.Minute); err != nil || !ok {
		t.Fatalf("the controller lease: %v, %v", ok, err)
	}
	fence := waitingroom.Fence{Lease: waitingroom.ControllerLease, Owner: "ctl"}
	st := waitingroom.Status{AdmittingPerS: 10, Change: waitingroom.ChangeHold, ExpectedPerS: 100, SeatsUpTo: 300, At: clock.Now()}
	if _, err := e.store.Admit(ctx, "ev", fence, 0, clock.Now(), st); err != nil {
		t.Fatal(err)
	}
	q, err := e.store.QueueState(ctx, "ev", 0, 0)
	if err != nil || q.Status.ExpectedPerS != 100 || q.Status.SeatsUpTo != 300 {
		t.Fatalf("status read back: %+v, %v", q.Status, err)
	}
	for i := range 400 {
		if _, _, err := e.svc.Join(ctx, "ev", fmt.Sprintf("u%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	tk, _, err := e.svc.Join(ctx, "ev", "late")
	if err != nil || tk.Position != 401 || tk.ETASeconds != 3 {
		t.Fatalf("the 401st fan: %+v, %v; want eta 3 s", tk, err)
	}
}

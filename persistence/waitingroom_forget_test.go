package persistence

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// forgetfulController is e's controller keeping tickets retention after their passes
// expired.
func (e *roomEnv) forgetfulController(retention time.Duration) *waitingroom.Controller {
	e.t.Helper()
	c, err := waitingroom.NewController(waitingroom.ControllerConfig{Store: e.store, Headroom: e.store, Leases: e.leases,
		Node: "node", Logger: zap.NewNop(), Clock: e.clock, Rand: rand.New(rand.NewPCG(1, 2)), LeaseTTL: time.Hour,
		TicketRetention: retention})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// steps runs n controller steps of d each.
func (e *roomEnv) steps(c *waitingroom.Controller, clock *roomClock, n int, d time.Duration) {
	e.t.Helper()
	for range n {
		clock.Advance(d)
		if err := c.Step(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
}

// gone fails the test unless ticket id is forgotten: a read answers NOT_FOUND.
func (e *roomEnv) gone(id, who string) {
	e.t.Helper()
	if tk, err := e.svc.Ticket(context.Background(), id); !errors.Is(err, actors.ErrNotFound) {
		e.t.Fatalf("%s's ticket %s: %+v, %v; want it forgotten (NOT_FOUND)", who, id, tk, err)
	}
}

// A room forgets a ticket once its pass has been expired for the retention: its record
// (a read answers NOT_FOUND) and its user's entry (the fan joins anew, at the back).
// Until then the ticket reads expired; a waiting ticket, or one whose pass expired
// less than the retention ago, stays; a fan who joins again after its pass expired
// replaces its ticket at once.
func TestWaitingRoomForgetsTicketsAfterTheirRetention(t *testing.T) {
	clock := &roomClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newRoomEnv(t, clock)
	ctx := context.Background()
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 4})
	const retention = time.Hour
	c := e.forgetfulController(retention)
	a, _, _ := e.svc.Join(ctx, "ev", "a")
	b, _, _ := e.svc.Join(ctx, "ev", "b")
	e.steps(c, clock, 4, 250*time.Millisecond)
	if tk := e.ticket(b.ID); tk.Status != waitingroom.TicketAdmitted {
		t.Fatalf("b after a second at 4 a second: %+v", tk)
	}
	// Their passes expire; the room notes it once it forgets their admissions (a minute
	// after), at its next step: the retention runs from then.
	clock.Advance(waitingroom.PassTTL + 2*time.Minute)
	e.steps(c, clock, 1, 250*time.Millisecond)
	noted := clock.Now()
	d, _, _ := e.svc.Join(ctx, "ev", "d")
	e.steps(c, clock, 4, 250*time.Millisecond)
	if tk := e.ticket(a.ID); tk.Status != waitingroom.TicketExpired {
		t.Fatalf("a, its pass expired less than the retention ago: %+v; want it read expired", tk)
	}
	// Just short of the retention: kept.
	clock.Advance(noted.Add(retention-time.Second).Sub(clock.Now()) - time.Second)
	e.steps(c, clock, 1, time.Second)
	if tk := e.ticket(a.ID); tk.Status != waitingroom.TicketExpired {
		t.Fatalf("a, a second short of its retention: %+v", tk)
	}
	// Past it: a and b are forgotten, d (expired since) is not.
	e.steps(c, clock, 2, time.Second)
	e.gone(a.ID, "a")
	e.gone(b.ID, "b")
	if tk := e.ticket(d.ID); tk.Status != waitingroom.TicketExpired {
		t.Fatalf("d, expired less than the retention ago: %+v", tk)
	}
	// a joins anew: a new ticket at the back.
	again, created, err := e.svc.Join(ctx, "ev", "a")
	if err != nil || !created || again.ID == a.ID || again.Position <= d.Position {
		t.Fatalf("a joins again after being forgotten: %+v created %v, %v; want a new ticket behind d", again, created, err)
	}
	// d joins again after its pass expired: a new ticket replaces the old one, which
	// reads expired for its retention all the same, then is forgotten.
	d2, created, err := e.svc.Join(ctx, "ev", "d")
	if err != nil || !created || d2.ID == d.ID {
		t.Fatalf("d joins again: %+v created %v, %v; want a new ticket", d2, created, err)
	}
	if tk := e.ticket(d.ID); tk.Status != waitingroom.TicketExpired {
		t.Fatalf("d's replaced ticket, expired less than the retention ago: %+v", tk)
	}
	clock.Advance(waitingroom.PassTTL + 2*time.Minute)
	e.steps(c, clock, 1, time.Second)
	clock.Advance(retention)
	e.steps(c, clock, 1, time.Second)
	e.gone(d.ID, "d (replaced)")
	if tk := e.ticket(d2.ID); tk.UserID != "d" {
		t.Fatalf("d's new ticket: %+v", tk)
	}
	// A controller that lost the lease forgets nothing.
	if _, err := e.store.Forget(ctx, "ev", waitingroom.Fence{Lease: waitingroom.ControllerLease, Owner: "not-the-owner"},
		clock.Now(), retention); !errors.Is(err, waitingroom.ErrNotLeader) {
		t.Fatalf("Forget without the lease: %v; want ErrNotLeader", err)
	}
}

// A room of more fans than one call goes through forgets them all, a page a call, one
// call a controller step while the sweep is on its way; the fans still waiting keep
// their tickets.
func TestWaitingRoomForgetsAManyFansRoomPageByPage(t *testing.T) {
	clock := &roomClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newRoomEnv(t, clock)
	ctx := context.Background()
	const admitted, waiting = 3 * forgetPage, 50
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: admitted})
	ids := make([]string, 0, admitted+waiting)
	for i := range admitted {
		tk, _, err := e.svc.Join(ctx, "ev", fmt.Sprintf("fan-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	c := e.forgetfulController(time.Minute)
	e.steps(c, clock, 21, 50*time.Millisecond)
	if q, _ := e.store.QueueState(ctx, "ev", 0, 0); q.Watermark != admitted {
		t.Fatalf("watermark %d after a second at %d a second", q.Watermark, admitted)
	}
	// Those who join now wait: the room is closed to admissions by a fixed rate of 1
	// a minute.
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 1})
	for i := range waiting {
		tk, _, err := e.svc.Join(ctx, "ev", fmt.Sprintf("late-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	clock.Advance(waitingroom.PassTTL + 2*time.Minute)
	e.steps(c, clock, 1, 50*time.Millisecond)
	clock.Advance(time.Minute + time.Second)
	// One step notes the checkpoint's age and starts the sweep; three more pages.
	e.steps(c, clock, 6, 50*time.Millisecond)
	recs, err := e.store.Tickets(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, r := range recs {
		left[r.ID] = true
	}
	for i, id := range ids {
		// The controller admitted at most a fan or two of the late ones meanwhile, at
		// 1 a second; their passes are valid.
		if i < admitted && left[id] {
			t.Fatalf("fan-%d's ticket, expired past its retention, still kept after the sweep", i)
		}
		if i >= admitted && !left[id] {
			t.Fatalf("late-%d's ticket, never expired, was forgotten", i-admitted)
		}
	}
	if n, _ := e.store.rdb.HLen(ctx, e.store.eventKey("ev", "users")).Result(); n != waiting {
		t.Fatalf("%d users' entries left; want the %d late fans'", n, waiting)
	}
}

// A room disabled for the retention is forgotten whole, a page a call: every ticket,
// waiting, admitted, pending a shuffle or replaced, then its queue, so that enabled
// again it starts from position 1; its settings stay, another room is untouched, and
// a room disabled for less than the retention keeps everything.
func TestWaitingRoomForgetsADisabledRoom(t *testing.T) {
	clock := &roomClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newRoomEnv(t, clock)
	ctx := context.Background()
	const retention = time.Hour
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 100})
	e.open(waitingroom.Settings{EventID: "other", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 1})
	const fans = 2*forgetPage + 10
	var ids []string
	for i := range fans {
		tk, _, err := e.svc.Join(ctx, "ev", fmt.Sprintf("fan-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	kept, _, _ := e.svc.Join(ctx, "other", "fan-0")
	// A random room whose fans wait for its opening, a day away: pending a shuffle.
	opens := clock.Now().Add(24 * time.Hour)
	e.open(waitingroom.Settings{EventID: "rnd", Enabled: true, Order: waitingroom.OrderRandom, OpensAt: opens})
	var pendingIDs []string
	for i := range 3 {
		tk, _, err := e.svc.Join(ctx, "rnd", fmt.Sprintf("fan-%d", i))
		if err != nil || tk.Position != 0 {
			t.Fatalf("a join of the random room before its opening: %+v, %v", tk, err)
		}
		pendingIDs = append(pendingIDs, tk.ID)
	}
	c := e.forgetfulController(retention)
	e.steps(c, clock, 10, 100*time.Millisecond) // some admitted
	// A fan whose pass expired joins again: its old ticket is replaced.
	clock.Advance(waitingroom.PassTTL + time.Second)
	again, created, err := e.svc.Join(ctx, "ev", "fan-0")
	if err != nil || !created {
		t.Fatalf("fan-0 joins again: %v, %v", created, err)
	}
	ids = append(ids, again.ID)
	e.open(waitingroom.Settings{EventID: "ev", Enabled: false, Order: waitingroom.OrderFIFO})
	e.open(waitingroom.Settings{EventID: "rnd", Enabled: false, Order: waitingroom.OrderRandom, OpensAt: opens})
	e.steps(c, clock, 5, time.Second)
	if tk := e.ticket(ids[fans-1]); tk.UserID == "" {
		t.Fatalf("a ticket of a room disabled 5 s ago: %+v", tk)
	}
	clock.Advance(retention)
	e.steps(c, clock, 8, 50*time.Millisecond)
	recs, err := e.store.Tickets(ctx, append(ids, pendingIDs...))
	if err != nil || len(recs) != 0 {
		t.Fatalf("%d of the disabled rooms' %d tickets left a retention after (%v)", len(recs), len(ids)+len(pendingIDs), err)
	}
	for _, ev := range []string{"ev", "rnd"} {
		for _, name := range []string{"q", "users", "pending", "adm", "forget", "replaced"} {
			if n, _ := e.store.rdb.Exists(ctx, e.store.eventKey(ev, name)).Result(); n != 0 {
				t.Fatalf("the disabled room %s's %s key is still there", ev, name)
			}
		}
	}
	if tk := e.ticket(kept.ID); tk.EventID != "other" {
		t.Fatalf("the other room's ticket: %+v", tk)
	}
	room, err := e.svc.Room(ctx, "ev")
	if err != nil || room.Enabled || room.Order != waitingroom.OrderFIFO {
		t.Fatalf("the disabled room's settings: %+v, %v", room, err)
	}
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 1})
	if tk, created, err := e.svc.Join(ctx, "ev", "fan-1"); err != nil || !created || tk.Position != 1 {
		t.Fatalf("a join of the room enabled again: %+v created %v, %v; want position 1", tk, created, err)
	}
}

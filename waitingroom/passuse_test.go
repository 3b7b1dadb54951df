package waitingroom

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

// memUses is a PassUses in memory: ticket id → its pass's expiry, the passes whose
// holds took seats, and those holds and seats an event.
type memUses struct {
	mu     sync.Mutex
	used   map[string]map[string][2]time.Time // ticket id → its pass's expiry and admission
	tookBy map[string]bool
	held   map[string][2]int64
	after  map[string][UseBuckets]int64
	writes int
	reads  int
	err    error
}

func (m *memUses) UsePasses(_ context.Context, uses []PassUse) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.writes++
	if m.used == nil {
		m.used = map[string]map[string][2]time.Time{}
	}
	for _, u := range uses {
		if m.used[u.EventID] == nil {
			m.used[u.EventID] = map[string][2]time.Time{}
		}
		if _, ok := m.used[u.EventID][u.TicketID]; !ok {
			m.used[u.EventID][u.TicketID] = [2]time.Time{u.Expires, u.Admitted}
			if k := UseBucket(u.HeldAfter); k >= 0 {
				if m.after == nil {
					m.after = map[string][UseBuckets]int64{}
				}
				a := m.after[u.EventID]
				a[k]++
				m.after[u.EventID] = a
			}
		}
		if u.Seats > 0 && !m.tookBy[u.TicketID] {
			if m.held == nil {
				m.held, m.tookBy = map[string][2]int64{}, map[string]bool{}
			}
			m.tookBy[u.TicketID] = true
			h := m.held[u.EventID]
			m.held[u.EventID] = [2]int64{h[0] + 1, h[1] + int64(u.Seats)}
		}
	}
	return nil
}

func (m *memUses) UsedPasses(_ context.Context, eventID string, now time.Time, since ...time.Time) (PassUsage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.err != nil {
		return PassUsage{}, m.err
	}
	u := PassUsage{Holds: m.held[eventID][0], Seats: m.held[eventID][1], HeldAfter: m.after[eventID], Since: make([]int64, len(since))}
	for _, pass := range m.used[eventID] {
		if now.Before(pass[0]) {
			u.Used++
			for i, s := range since {
				if pass[1].UnixMilli() >= s.UnixMilli() {
					u.Since[i]++
				}
			}
		}
	}
	return u, nil
}

func (m *memUses) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// passRig is a room of 20 waiting fans at a fixed 100 fans/s, with pass uses counted.
type passRig struct {
	t     *testing.T
	ctx   context.Context
	store *memStore
	clock *fakeClock
	inv   *memInventory
	uses  *memUses
	svc   *Service
	ids   []string
}

func newPassRig(t *testing.T, seats int) *passRig {
	t.Helper()
	r := &passRig{t: t, ctx: context.Background(), store: newMemStore(), clock: newFakeClock(),
		inv: &memInventory{seats: seats}, uses: &memUses{}}
	r.svc, r.ids = roomWithUses(t, r.store, r.clock, r.uses, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO, AdmitPerS: 100}, 20)
	return r
}

// roomWithUses is a service over store that records pass uses in uses, with the room
// set and fans joined; it returns the fans' ticket ids in joining order.
func roomWithUses(t *testing.T, store *memStore, clock *fakeClock, uses *memUses, set Settings, fans int) (*Service, []string) {
	t.Helper()
	n := 0
	svc, err := NewService(ServiceConfig{Store: store, Secret: []byte("secret"), Logger: zap.NewNop(), Clock: clock,
		Uses: uses, NewID: func() string { n++; return fmt.Sprintf("%s%d", TicketIDPrefix, n) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.SetRoom(ctx, set); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, fans)
	for i := range fans {
		tk, _, err := svc.Join(ctx, set.EventID, fan(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	return svc, ids
}

func fan(i int) string { return fmt.Sprintf("fan-%d", i) }

func (r *passRig) controller() *Controller {
	r.t.Helper()
	c, err := NewController(ControllerConfig{Store: r.store, Headroom: &memSignals{}, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: r.clock, Rand: rand.New(rand.NewPCG(1, 1)), Inventory: r.inv, Uses: r.uses})
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// step advances the clock by d and steps c; it returns the queue after the step.
func (r *passRig) step(c *Controller, d time.Duration) QueueState {
	r.t.Helper()
	r.clock.Advance(d)
	if err := c.Step(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	q, _ := r.store.QueueState(r.ctx, "ev1", 0, 0)
	return q
}

// admitFirst starts c's clock and lets the first step admit the 3 fans of 3 seats.
func (r *passRig) admitFirst(c *Controller) {
	r.t.Helper()
	r.step(c, DefaultRateEvery)
	if q := r.step(c, DefaultRateEvery); q.Watermark != 3 {
		r.t.Fatalf("3 seats left: watermark %d, want 3", q.Watermark)
	}
}

// hold is fan i's hold with its pass, answered: the pass is used.
func (r *passRig) hold(i int) {
	r.t.Helper()
	tk, err := r.svc.Ticket(r.ctx, r.ids[i])
	if err != nil || tk.Pass == "" {
		r.t.Fatalf("fan %d has no pass: %+v %v", i, tk, err)
	}
	if err := r.svc.CheckPass("ev1", fan(i), tk.Pass); err != nil {
		r.t.Fatal(err)
	}
	r.svc.HoldDone("ev1", fan(i), tk.Pass, 1)
	if err := r.svc.flushUses(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

// A fan admitted counts against the seats left until its pass is used, however long
// its hold takes (not only for a moment after its admission): 3 seats admit 3 fans,
// and a fourth only once a pass is used without taking a seat.
func TestRoomCountsUnusedPassesAgainstTheSeats(t *testing.T) {
	r := newPassRig(t, 3)
	c := r.controller()
	r.admitFirst(c)
	// Long after their admission the 3 fans have not held, and the store still shows
	// 3 seats: nobody more is let in, and once their holds are overdue (InFlight) the
	// room says it is sold out.
	for range 10 {
		if q := r.step(c, DefaultInFlight); q.Watermark != 3 || !q.Status.SoldOut {
			t.Fatalf("3 seats, 3 passes unused: watermark %d, sold out %v; want 3, sold out", q.Watermark, q.Status.SoldOut)
		}
	}
	// Fan 0 holds a seat: 2 seats left, 2 passes unused.
	r.hold(0)
	r.inv.set(2, nil)
	if q := r.step(c, DefaultRateEvery); q.Watermark != 3 {
		t.Fatalf("2 seats, 2 passes unused: watermark %d, want 3", q.Watermark)
	}
	// Fan 1's hold takes no seat (refused): its pass is used all the same, and one seat
	// is free for a waiting fan. A second answer with the same pass counts once.
	r.hold(1)
	r.hold(1)
	if q := r.step(c, DefaultRateEvery); q.Watermark != 4 {
		t.Fatalf("2 seats, 1 pass unused: watermark %d, want 4", q.Watermark)
	}
	// The room told it was sold out before the seat returned: the tell stands for
	// everyone beyond the fourth fan, the one the seat went to.
	if q := r.step(c, DefaultRateEvery); q.Watermark != 4 || !q.Status.SoldOut || q.Status.SoldOutAfter != 4 {
		t.Fatalf("2 seats, 2 passes unused, one just issued: watermark %d, sold out %v after %d; want 4, sold out after 4",
			q.Watermark, q.Status.SoldOut, q.Status.SoldOutAfter)
	}
	if q := r.step(c, DefaultInFlight); q.Watermark != 4 || !q.Status.SoldOut {
		t.Fatalf("2 seats, 2 passes unused: watermark %d, sold out %v; want 4, sold out", q.Watermark, q.Status.SoldOut)
	}
	// The unused passes expire: their seats count as left again.
	if q := r.step(c, PassTTL); q.Watermark != 6 {
		t.Fatalf("2 seats, every pass expired: watermark %d, want 6", q.Watermark)
	}
}

// A controller that takes over learns the admissions whose passes are valid from the
// store: it does not admit fans for seats the previous leader's fans are about to take.
func TestNewLeaderCountsThePassesAlreadyIssued(t *testing.T) {
	r := newPassRig(t, 3)
	r.admitFirst(r.controller())
	r.inv.set(5, nil)
	next := r.controller()
	r.step(next, time.Second)
	if q := r.step(next, DefaultRateEvery); q.Watermark != 5 {
		t.Fatalf("5 seats, 3 passes unused, new leader: watermark %d, want 5", q.Watermark)
	}
}

// When the uses cannot be read, every valid pass counts as unused: the room admits
// fewer fans, never more; passes a node could not record are written at its next flush.
func TestPassUsesUnreadableAdmitFewer(t *testing.T) {
	r := newPassRig(t, 3)
	c := r.controller()
	r.admitFirst(c)
	r.hold(0)
	r.hold(1)
	r.uses.fail(errors.New("store down"))
	tk, _ := r.svc.Ticket(r.ctx, r.ids[2])
	r.svc.HoldDone("ev1", fan(2), tk.Pass, 1)
	if err := r.svc.flushUses(r.ctx); err == nil {
		t.Fatal("a failed write reported no error")
	}
	if q := r.step(c, DefaultInFlight); q.Watermark != 3 || !q.Status.SoldOut {
		t.Fatalf("uses unreadable: watermark %d, sold out %v; want 3, sold out", q.Watermark, q.Status.SoldOut)
	}
	r.uses.fail(nil)
	if err := r.svc.flushUses(r.ctx); err != nil {
		t.Fatal(err)
	}
	if q := r.step(c, DefaultRateEvery); q.Watermark != 6 {
		t.Fatalf("3 seats, every pass used: watermark %d, want 6", q.Watermark)
	}
}

// HoldDone records only passes of the hold's own fan and event, nothing without a
// pass, and each pass once a node.
func TestHoldDoneRecordsEachOwnPassOnce(t *testing.T) {
	r := newPassRig(t, 3)
	r.admitFirst(r.controller())
	tk, _ := r.svc.Ticket(r.ctx, r.ids[0])
	r.svc.HoldDone("ev1", fan(1), tk.Pass, 1)     // another fan's pass
	r.svc.HoldDone("ev2", fan(0), tk.Pass, 1)     // another event's
	r.svc.HoldDone("ev1", fan(0), "", 1)          // no pass
	r.svc.HoldDone("ev1", fan(0), "v1.junk.x", 1) // not a pass
	if err := r.svc.flushUses(r.ctx); err != nil {
		t.Fatal(err)
	}
	if u, _ := r.uses.UsedPasses(r.ctx, "ev1", r.clock.Now()); u.Used != 0 || r.uses.writes != 0 {
		t.Fatalf("%d passes recorded in %d writes, want none", u.Used, r.uses.writes)
	}
	for range 3 {
		r.svc.HoldDone("ev1", fan(0), tk.Pass, 1)
	}
	if err := r.svc.flushUses(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.svc.HoldDone("ev1", fan(0), tk.Pass, 1)
	if err := r.svc.flushUses(r.ctx); err != nil {
		t.Fatal(err)
	}
	if u, _ := r.uses.UsedPasses(r.ctx, "ev1", r.clock.Now()); u.Used != 1 || r.uses.writes != 1 {
		t.Fatalf("%d passes recorded in %d writes, want 1 in 1", u.Used, r.uses.writes)
	}
}

// The controller reads the uses only when they can change its step: not while the
// seats left cover every valid pass and the fans due, nor once no seat is left.
func TestControllerReadsPassUsesOnlyWhenTheyMatter(t *testing.T) {
	r := newPassRig(t, 100)
	c := r.controller()
	for range 4 {
		r.step(c, DefaultRateEvery)
	}
	if q, _ := r.store.QueueState(r.ctx, "ev1", 0, 0); q.Watermark != 20 {
		t.Fatalf("100 seats, 20 fans: watermark %d, want 20", q.Watermark)
	}
	r.inv.set(0, nil)
	r.step(c, DefaultRateEvery)
	if r.uses.reads != 0 {
		t.Fatalf("the uses were read %d times, want none", r.uses.reads)
	}
	r.inv.set(10, nil)
	for i := range 3 {
		if _, _, err := r.svc.Join(r.ctx, "ev1", fan(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	if q := r.step(c, DefaultInFlight); q.Watermark != 20 || !q.Status.SoldOut || r.uses.reads != 1 {
		t.Fatalf("10 seats, 20 passes unused: watermark %d, sold out %v, %d reads; want 20, sold out, 1 read",
			q.Watermark, q.Status.SoldOut, r.uses.reads)
	}
}

// A node records a pass's use once, and again only when a later hold of it took seats
// (the first failed, or was refused, and was asked again): the room learns the seats a
// fan who holds takes, not the failures of an overloaded node.
func TestHoldDoneRecordsTheSeatsOfALaterHold(t *testing.T) {
	r := newPassRig(t, 3)
	r.admitFirst(r.controller())
	tk, _ := r.svc.Ticket(r.ctx, r.ids[0])
	for _, seats := range []int{0, 0, 2, 3, 0} {
		r.svc.HoldDone("ev1", fan(0), tk.Pass, seats)
		if err := r.svc.flushUses(r.ctx); err != nil {
			t.Fatal(err)
		}
	}
	u, _ := r.uses.UsedPasses(r.ctx, "ev1", r.clock.Now())
	if u.Used != 1 || u.Holds != 1 || u.Seats != 2 || r.uses.writes != 2 {
		t.Fatalf("%+v in %d writes; want 1 pass used, 1 hold of 2 seats, in 2 writes", u, r.uses.writes)
	}
}

package waitingroom

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"go.uber.org/zap"
)

// resumeRig is an open fifo room that follows the headroom, with pass uses counted
// and 2,000 seats, nobody joined yet, and its controller.
type resumeRig struct {
	t       *testing.T
	ctx     context.Context
	store   *memStore
	clock   *fakeClock
	signals *memSignals
	svc     *Service
	c       *Controller
	fans    int
}

func newResumeRig(t *testing.T) *resumeRig {
	t.Helper()
	r := &resumeRig{t: t, ctx: context.Background(), store: newMemStore(), clock: newFakeClock(), signals: &memSignals{}}
	uses := &memUses{}
	r.svc, _ = roomWithUses(t, r.store, r.clock, uses, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO}, 0)
	var err error
	r.c, err = NewController(ControllerConfig{Store: r.store, Headroom: r.signals, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: r.clock, Rand: rand.New(rand.NewPCG(1, 1)), Inventory: &memInventory{seats: 2000}, Uses: uses})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// step advances the clock a controller tick, publishes the node's backlog and steps.
func (r *resumeRig) step(backlog int) QueueState {
	r.t.Helper()
	r.clock.Advance(DefaultControllerTick)
	r.signals.mu.Lock()
	r.signals.signals = []Signal{{EventID: "ev1", Node: "n1", At: r.clock.Now(), Sections: 1, Backlog: backlog}}
	r.signals.mu.Unlock()
	if err := r.c.Step(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	q, _ := r.store.QueueState(r.ctx, "ev1", 0, 0)
	return q
}

// join lets n fans join and returns their tickets.
func (r *resumeRig) join(n int) []Ticket {
	r.t.Helper()
	out := make([]Ticket, 0, n)
	for range n {
		tk, _, err := r.svc.Join(r.ctx, "ev1", fan(r.fans))
		if err != nil {
			r.t.Fatal(err)
		}
		r.fans++
		out = append(out, tk)
	}
	return out
}

// A room nobody waits in yet lets the first fans settle before it admits: its status
// says when it expects to admit, and the fans at the front of a rush follow towards
// then, not at once while the rest of the burst still joins; the first of them at half
// that wait, the last of the front at all of it, spread by position.
func TestTheFrontFollowsTowardsTheEndOfTheSettling(t *testing.T) {
	r := newResumeRig(t)
	q := r.step(0)
	want := r.clock.Now().Add(DefaultControllerTick + DefaultSignalEvery + DefaultRateEvery)
	if !q.Status.ResumesAt.Equal(want) {
		t.Fatalf("idle room: resumes at %v; want the next step and the settling after it, %v", q.Status.ResumesAt, want)
	}
	wait := q.Status.ResumesAt.Sub(r.clock.Now())
	tks := r.join(300)
	front := int(max(followFront, q.etaRate()*followLead.Seconds()))
	if d := tks[0].FollowAfter; d < wait/2-time.Millisecond || d > wait/2+time.Millisecond {
		t.Errorf("the first fan follows after %v; want half the wait for the admissions, %v", d, wait/2)
	}
	if d := tks[front-1].FollowAfter; d < wait-5*time.Millisecond || d > wait {
		t.Errorf("the front's last fan (position %d) follows after %v; want about the wait for the admissions, %v", front, d, wait)
	}
	for i := 1; i < len(tks); i++ {
		if d := tks[i].FollowAfter - tks[i-1].FollowAfter; d < 0 || d > 10*time.Millisecond {
			t.Fatalf("positions %d and %d follow after %v and %v: not a smooth spread", i, i+1, tks[i-1].FollowAfter, tks[i].FollowAfter)
		}
	}
	// Further back, no sooner than the room admits, and as before once its own share
	// of its wait is longer.
	if d := tks[299].FollowAfter; d < wait {
		t.Errorf("position 300 follows after %v; want the wait for the admissions, %v, at least", d, wait)
	}
	back := int64(5000)
	if d, own := followOf(&q, back, r.clock.Now()), spread(&q, back, q.etaRate(), max(q.etaRate(), followMinRate)); d != own {
		t.Errorf("position %d follows after %v; want its share of its own wait, %v", back, d, own)
	}

	// Settling: the next step sees them waiting; the room admits once they settled.
	q = r.step(0)
	settled := r.clock.Now().Add(DefaultSignalEvery + DefaultRateEvery)
	if !q.Status.ResumesAt.Equal(settled) || q.Watermark != 0 {
		t.Fatalf("settling: resumes at %v, watermark %d; want %v, 0", q.Status.ResumesAt, q.Watermark, settled)
	}
	late := r.join(1)[0]
	if late.FollowAfter < settled.Sub(r.clock.Now()) {
		t.Errorf("position 301, joined while the room settles: follows after %v, before it admits (%v)", late.FollowAfter, settled.Sub(r.clock.Now()))
	}
	for r.clock.Now().Before(settled.Add(-DefaultControllerTick)) {
		if q = r.step(0); q.Watermark != 0 || q.Status.ResumesAt.IsZero() {
			t.Fatalf("settling: watermark %d, resumes at %v; want nobody admitted, a time to resume", q.Watermark, q.Status.ResumesAt)
		}
	}
	// Settled: no wait for the room (its credit starts afresh, then it admits), and the
	// front follows at once again.
	if q = r.step(0); !q.Status.ResumesAt.IsZero() {
		t.Fatalf("settled: resumes at %v; want no time to resume", q.Status.ResumesAt)
	}
	if q = r.step(0); q.Watermark == 0 || !q.Status.ResumesAt.IsZero() {
		t.Fatalf("settled: watermark %d, resumes at %v; want fans admitted, no time to resume", q.Watermark, q.Status.ResumesAt)
	}
	if tk := render(TicketRecord{ID: "q_x", EventID: "ev1", Position: q.Watermark + 1}, &q, r.clock.Now(), r.svc.passes); tk.FollowAfter != 0 {
		t.Errorf("admitting: the next fan follows after %v; want 0", tk.FollowAfter)
	}
}

// While a node is busy the room admits nobody, and says it admits again at the next
// read of the headroom at the soonest: the front waits for that.
func TestTheFrontWaitsForABusyNode(t *testing.T) {
	r := newResumeRig(t)
	r.step(0)
	r.join(300)
	for range int(settleFor(DefaultRateEvery)/DefaultControllerTick) + 2 { // settled, admitting
		r.step(0)
	}
	var q QueueState
	for range int(DefaultRateEvery/DefaultControllerTick) + 1 { // the headroom is read every DefaultRateEvery
		q = r.step(5000)
	}
	if q.Status.Change != ChangeBusy {
		t.Fatalf("backlog 5,000: change %q; want %q", q.Status.Change, ChangeBusy)
	}
	if want := r.clock.Now().Add(DefaultRateEvery); q.Status.ResumesAt.Before(want) {
		t.Fatalf("busy: resumes at %v; want %v at the soonest", q.Status.ResumesAt, want)
	}
	if tk := render(TicketRecord{ID: "q_x", EventID: "ev1", Position: q.Watermark + 1}, &q, r.clock.Now(), r.svc.passes); tk.FollowAfter < DefaultRateEvery/2 {
		t.Errorf("busy: the next fan follows after %v; want half the wait for the headroom's next read at least, %v", tk.FollowAfter, DefaultRateEvery/2)
	}
}

// A room just enabled has no status until the controller's first step: a rush's joins
// placed before it (a few thousand a batch) are told the room admits after that step
// and the settling, the front spread towards then, not to follow at once.
func TestTheFrontOfARoomNotSteppedYetWaitsForTheSettling(t *testing.T) {
	r := newResumeRig(t)
	tks := r.join(200)
	wait := DefaultControllerTick + settleFor(DefaultRateEvery)
	if d := tks[0].FollowAfter; d != wait/2 {
		t.Errorf("the first fan, before the controller's first step: follows after %v; want %v", d, wait/2)
	}
	if d := tks[199].FollowAfter; d < wait {
		t.Errorf("position 200, before the controller's first step: follows after %v; want %v at least", d, wait)
	}
	// A fixed rate is admitted as set, without settling.
	fixed := QueueState{Settings: Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO, AdmitPerS: 100}, Configured: true, Joined: 1, Assigned: 1}
	if d := followAfter(Ticket{Status: TicketWaiting, TicketRecord: TicketRecord{Position: 1}}, &fixed, r.clock.Now()); d != 0 {
		t.Errorf("a fixed rate, not stepped yet: the first fan follows after %v; want 0", d)
	}
}

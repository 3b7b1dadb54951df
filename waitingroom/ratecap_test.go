package waitingroom

import (
	"math/rand/v2"
	"testing"

	"go.uber.org/zap"
)

// The rate rises past UnusedMax only on steps whose admissions used it: idle sections
// and fans waiting, it stops at UnusedMax while the room admits nobody, and climbs to
// Max once it admits at the rate.
func TestRateRisesPastUnusedMaxOnlyWhenUsed(t *testing.T) {
	now := newFakeClock().Now()
	idle := Headroom{Nodes: 1, Sections: 1, CommitMs: 5}
	r := newRateControl(RateConfig{}, 0)
	for range 40 {
		r.update(idle, true, false, now)
	}
	if r.rate != 2000 {
		t.Fatalf("idle sections, the rate never used: %v; want it held at UnusedMax (2000)", r.rate)
	}
	for range 40 {
		r.update(idle, true, true, now)
	}
	if r.rate != 4000 {
		t.Fatalf("idle sections, the rate used: %v; want Max (4000)", r.rate)
	}
	if c := (RateConfig{Max: 500}).withDefaults(); c.UnusedMax != 500 {
		t.Fatalf("UnusedMax %v above a Max of 500", c.UnusedMax)
	}
}

// A room that follows the headroom, whose fans hold as soon as they are admitted and
// whose section keeps up, admits past 2,000 fans a second once its admissions used
// that rate, but not while the probe held them back.
func TestPacedRoomAdmitsPastTheUnusedCapOnceUsed(t *testing.T) {
	r := newDefaultRateRig(t, 12000)
	r.probing = true
	store, c := r.store, r.c
	held := 0
	// holdAll uses every pass out: the fans held at once.
	holdAll := func() {
		q, _ := store.QueueState(r.ctx, "ev1", 0, 0)
		r.hold(held, int(q.Watermark))
		held = int(q.Watermark)
	}
	// The probe's passes stay out for 2 s: the room admits nobody more, and the rate
	// that rises meanwhile stops at 2,000 fans/s.
	for range 40 {
		r.step()
	}
	if wm := r.step(); wm != ProbePasses {
		t.Fatalf("the probe out: watermark %d; want %d", wm, ProbePasses)
	}
	if rate := c.rooms["ev1"].rate.rate; rate != 2000 {
		t.Fatalf("while the probe held the room back the rate rose to %v; want 2000", rate)
	}
	holdAll()
	var last float64
	for range 30 {
		r.step()
		holdAll()
		last = c.rooms["ev1"].rate.rate
	}
	if last != 4000 {
		t.Fatalf("the room admitted at 2,000 fans/s and the section kept up: rate %v; want 4000", last)
	}
	wm := r.step()
	holdAll()
	if next, want := r.step(), int64(4000*DefaultControllerTick.Seconds()); next-wm != want {
		t.Fatalf("one tick at 4,000 fans/s admitted %d; want %d", next-wm, want)
	}
}

// A room whose passes out keep holding its steps back (the holds come back slower
// than the rate lets fans in) has not kept up with its rate: it admits most of what
// the rate allows, yet the rate stays at 2,000 fans/s.
func TestPacedRoomStaysUnderTheUnusedCapWhileThePassesOutHoldItBack(t *testing.T) {
	r := newDefaultRateRig(t, 8000)
	store, c := r.store, r.c
	held := 0
	admitted := int64(0)
	for i := range 60 {
		wm := r.step()
		if i == 20 {
			admitted = wm
		}
		// The fans hold, but the last 320 admitted have not yet: 80 of the 400
		// passes the window lets out at 2,000 fans/s are free at each step, short of
		// the 100 the rate allows.
		if upTo := int(wm) - 320; upTo > held {
			r.hold(held, upTo)
			held = upTo
		}
	}
	q, _ := store.QueueState(r.ctx, "ev1", 0, 0)
	if per := float64(q.Watermark-admitted) / (39 * DefaultControllerTick.Seconds()); per < 1000 {
		t.Fatalf("the room admitted %.0f fans/s; want most of the 2,000 its rate allows", per)
	}
	if rate := c.rooms["ev1"].rate.rate; rate != 2000 {
		t.Fatalf("the passes out held the room back, yet the rate rose to %v; want 2000", rate)
	}
}

// newDefaultRateRig is a headroom room of fans waiting fans, 100,000 seats and pass
// uses counted, whose controller has the default rate settings; the probe is skipped
// unless the test sets probing.
func newDefaultRateRig(t *testing.T, fans int) *paceRig {
	t.Helper()
	r := &paceRig{t: t, ctx: t.Context(), store: newMemStore(), clock: newFakeClock(), signals: &memSignals{}, uses: &memUses{},
		inv: &memInventory{seats: 100000}}
	r.svc, r.ids = roomWithUses(t, r.store, r.clock, r.uses, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO}, fans)
	var err error
	r.c, err = NewController(ControllerConfig{Store: r.store, Headroom: r.signals, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: r.clock, Rand: rand.New(rand.NewPCG(1, 1)), Inventory: r.inv, Uses: r.uses})
	if err != nil {
		t.Fatal(err)
	}
	r.publish(0, 0)
	return r
}

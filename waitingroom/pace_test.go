package waitingroom

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"go.uber.org/zap"
)

// paceRig is a headroom room of 1,000 waiting fans with 10,000 seats and pass uses
// counted, whose one section and node publish what the test sets.
type paceRig struct {
	t       *testing.T
	ctx     context.Context
	store   *memStore
	clock   *fakeClock
	signals *memSignals
	uses    *memUses
	inv     *memInventory
	svc     *Service
	c       *Controller
	ids     []string
	// probing keeps the room's first ProbePasses passes alone until their holds
	// come back; the rig skips that unless set.
	probing bool
}

func newPaceRig(t *testing.T) *paceRig { return newPaceRigOf(t, 1000) }

// newPaceRigOf is a paceRig of so many waiting fans.
func newPaceRigOf(t *testing.T, fans int) *paceRig {
	t.Helper()
	r := &paceRig{t: t, ctx: context.Background(), store: newMemStore(), clock: newFakeClock(), signals: &memSignals{}, uses: &memUses{}, inv: &memInventory{seats: 10000}}
	r.svc, r.ids = roomWithUses(t, r.store, r.clock, r.uses, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO}, fans)
	var err error
	// 400 fans/s: the passes out are bounded by 80 (400 x 200 ms), more than the 32 an
	// idle section's mailbox takes.
	r.c, err = NewController(ControllerConfig{Store: r.store, Headroom: r.signals, Leases: openLeases{}, Node: "n1",
		Logger: zap.NewNop(), Clock: r.clock, Rand: rand.New(rand.NewPCG(1, 1)), Inventory: r.inv,
		Uses: r.uses, Rate: RateConfig{Initial: 400, Max: 400}})
	if err != nil {
		t.Fatal(err)
	}
	r.publish(0, 0)
	return r
}

// seats sets the seats the event has left.
func (r *paceRig) seats(n int) { r.inv.set(n, nil) }

// publish sets the node's signal, its backlog and its goroutines' wait for a CPU, for
// the controller to read at its next step.
func (r *paceRig) publish(backlog int, schedMs float64) {
	r.signals.mu.Lock()
	r.signals.signals = []Signal{{EventID: "ev1", Node: "n1", At: r.clock.Now(), Sections: 1, Backlog: backlog, SchedMs: schedMs}}
	r.signals.mu.Unlock()
	if rc := r.c.rooms["ev1"]; rc != nil {
		rc.rated = time.Time{} // the next step reads the new signal
	}
}

// step advances the clock a controller tick, keeps the signal fresh, steps, and
// returns the watermark.
func (r *paceRig) step() int64 {
	r.t.Helper()
	r.clock.Advance(DefaultControllerTick)
	r.signals.mu.Lock()
	for i := range r.signals.signals {
		r.signals.signals[i].At = r.clock.Now()
	}
	r.signals.mu.Unlock()
	if rc := r.c.rooms["ev1"]; rc != nil && !r.probing {
		rc.probe = probeBack
	}
	if err := r.c.Step(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	q, _ := r.store.QueueState(r.ctx, "ev1", 0, 0)
	return q.Watermark
}

// steps steps n times and returns the watermark.
func (r *paceRig) steps(n int) int64 {
	r.t.Helper()
	var wm int64
	for range n {
		wm = r.step()
	}
	return wm
}

// stepsTo steps n times and requires the watermark at wm, after what happened.
func (r *paceRig) stepsTo(n int, wm int64, what string) {
	r.t.Helper()
	if got := r.steps(n); got != wm {
		r.t.Fatalf("%s: watermark %d; want %d", what, got, wm)
	}
}

// stepSoldOut steps and requires the watermark at wm and the room sold out, after
// what happened.
func (r *paceRig) stepSoldOut(wm int64, what string) {
	r.t.Helper()
	if got := r.step(); got != wm || !r.soldOut() {
		r.t.Fatalf("%s: watermark %d, sold out %v; want %d, sold out", what, got, r.soldOut(), wm)
	}
}

// soldOut reports whether the room's status says it is sold out.
func (r *paceRig) soldOut() bool {
	q, _ := r.store.QueueState(r.ctx, "ev1", 0, 0)
	return q.Status.SoldOut
}

// fillWindow steps for a second at 400 fans/s with no pass used: the window's 80
// passes are out and nobody more is admitted.
func (r *paceRig) fillWindow() {
	r.t.Helper()
	var wm int64
	for range 20 {
		wm = r.step()
	}
	if wm != 80 {
		r.t.Fatalf("a second at 400 fans/s with no pass used: watermark %d; want the 80 passes out of the window", wm)
	}
}

// hold answers the holds of fans from..to-1 with their passes, a seat each: the passes
// are used.
func (r *paceRig) hold(from, to int) {
	r.t.Helper()
	r.holdTaking(from, to, 1)
}

// holdTaking answers the holds of fans from..to-1 with their passes, each taking seats
// (0: refused).
func (r *paceRig) holdTaking(from, to, seats int) {
	r.t.Helper()
	for i := from; i < to; i++ {
		tk, err := r.svc.Ticket(r.ctx, r.ids[i])
		if err != nil || tk.Pass == "" {
			r.t.Fatalf("fan %d has no pass: %+v %v", i, tk, err)
		}
		r.svc.HoldDone("ev1", fan(i), tk.Pass, seats)
	}
	if err := r.svc.flushUses(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

// A room that follows the headroom lets no more passes out than its rate admits in
// PaceSpan: while the fans admitted have not held, nobody more is let in, whatever the
// rate's credit; as their holds come back, as many more are.
func TestAdmissionIsPacedToThePassesUsed(t *testing.T) {
	r := newPaceRig(t)
	r.fillWindow()
	r.hold(0, 30)
	wm := r.step()
	if wm != 80+20 {
		// The credit of one tick at 400/s is 20 fans, within the 30 the holds freed.
		t.Fatalf("30 passes used: watermark %d; want 100 (one tick's worth)", wm)
	}
	for range 5 {
		wm = r.step()
	}
	if wm != 110 {
		t.Fatalf("30 of 110 passes used: watermark %d; want 110 (80 out)", wm)
	}
}

// A pass that is never used (its fan walked away) stops counting against the window
// once DefaultInFlight has passed since its admission: it cannot stall the room.
func TestUnusedPassesDoNotStallTheRoom(t *testing.T) {
	r := newPaceRig(t)
	r.fillWindow()
	var wm int64
	for range int(DefaultInFlight / DefaultControllerTick) {
		wm = r.step()
	}
	if wm <= 80 {
		t.Fatalf("no pass used for %v: watermark %d; want admission to go on", DefaultInFlight, wm)
	}
}

// A fixed rate is the admin's: it is honoured whatever the passes out.
func TestFixedRateIsNotPaced(t *testing.T) {
	r := newPaceRig(t)
	if _, err := r.svc.SetRoom(r.ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO, AdmitPerS: 4000}); err != nil {
		t.Fatal(err)
	}
	var wm int64
	for range 5 {
		wm = r.step()
	}
	if wm != 4*200 {
		t.Fatalf("fixed 4,000 fans/s, 4 ticks of credit, no pass used: watermark %d; want 800", wm)
	}
}

// The holds of the room's own passes are the backlog it expects: they do not make the
// node busy; a backlog beyond them does, and so do goroutines that wait longer than
// SchedBound for a CPU.
func TestBusyCountsOnlyTheBacklogBeyondTheRoomsHolds(t *testing.T) {
	r := newPaceRig(t)
	r.fillWindow()
	r.hold(0, 30)
	// 50 passes out, their holds in the backlog with 100 requests more: not busy.
	r.publish(150, 1)
	wm := r.step()
	if wm != 100 {
		t.Fatalf("backlog of the room's holds and 100 more: watermark %d; want 100", wm)
	}
	r.publish(300, 1)
	if wm = r.step(); wm != 100 {
		t.Fatalf("backlog 300 with 70 passes out: watermark %d; want nobody admitted", wm)
	}
	r.hold(30, 100)
	r.publish(0, 300)
	if got := r.step(); got != wm {
		t.Fatalf("goroutines waiting 300 ms for a CPU: watermark %d; want nobody admitted (%d)", got, wm)
	}
	q, _ := r.store.QueueState(r.ctx, "ev1", 0, 0)
	if q.Status.Change != ChangeBusy {
		t.Fatalf("status %+v; want busy", q.Status)
	}
	r.publish(0, 2)
	r.step() // the credit starts afresh after a pause
	if got := r.step(); got <= wm {
		t.Fatalf("the node's CPUs free again: watermark %d; want admission to go on", got)
	}
}

// The first fans of a sale come with a burst of joins that the signals show only at the
// next publication: a paced room admits nobody until a signal published since they
// started to wait can have been read, then admits at its rate.
func TestPacedRoomWaitsForASignalOfTheFirstFans(t *testing.T) {
	r := newPaceRig(t)
	settle := int((DefaultSignalEvery + DefaultRateEvery) / DefaultControllerTick)
	for i := range settle {
		if wm := r.step(); wm != 0 {
			t.Fatalf("step %d after the first fans joined: watermark %d; want nobody admitted yet", i, wm)
		}
	}
	r.step() // the credit starts afresh
	if wm := r.step(); wm != 20 {
		t.Fatalf("once settled: watermark %d; want a tick's worth at 400/s, 20", wm)
	}
}

// The fans who held are on their winners' paths (confirm, release), a request each:
// that backlog is the room's own too, and does not pause the admission; a backlog
// beyond every fan admitted within InFlight still does.
func TestBusyCountsTheRequestsOfTheFansWhoHeld(t *testing.T) {
	r := newPaceRig(t)
	r.fillWindow()
	r.hold(0, 80)
	// 80 fans held; their 80 confirms and 90 requests more: not busy.
	r.publish(170, 1)
	if wm := r.step(); wm != 100 {
		t.Fatalf("backlog of the fans who held and 90 more: watermark %d; want 100 (a tick's worth)", wm)
	}
	r.publish(300, 1)
	if wm := r.step(); wm != 100 {
		t.Fatalf("backlog 300 with 100 fans admitted: watermark %d; want nobody admitted", wm)
	}
}

// A paced room whose holds took a seat each admits no more fans than seats left, less
// the passes unused.
func TestPacedRoomAdmitsNoMoreFansThanSeatsLeft(t *testing.T) {
	r := newPaceRig(t)
	r.seats(50)
	r.stepsTo(20, 50, "50 seats left")
	r.hold(0, 50)
	r.seats(40)
	r.stepsTo(3, 90, "40 seats left after 50 holds")
}

// A paced room lets ProbePasses passes out first and no more until their holds come
// back: fans admitted while their own clients are still busy with the join burst hold
// late, and a rate's worth of them set the p99 of the admitted holds. Once the probe's
// holds are back, the window is the rate's; when nobody waits any more, the next fans
// are probed again.
func TestPacedRoomProbesWithItsFirstPasses(t *testing.T) {
	r := newPaceRig(t)
	r.probing = true
	if wm := r.steps(40); wm != ProbePasses {
		t.Fatalf("two seconds with the first passes' holds on their way: watermark %d; want %d", wm, ProbePasses)
	}
	r.hold(0, ProbePasses)
	r.step() // the probe came back: the window opens
	if wm := r.steps(19); wm != ProbePasses+80 {
		t.Fatalf("the probe back: watermark %d; want %d (the rate's window)", wm, ProbePasses+80)
	}
}

// The probe is back once its passes were used, though the room let others into the
// probe's window as its fans held: the passes out then never count zero, and waiting
// for zero held a room whose holds came back at once on ProbePasses a round trip until
// DefaultInFlight had passed.
func TestPacedRoomProbeBackWhileOthersAreOut(t *testing.T) {
	r := newPaceRig(t)
	r.probing = true
	r.untilProbe()
	r.hold(0, ProbePasses/2)
	if wm := r.step(); wm != ProbePasses+ProbePasses/2 {
		t.Fatalf("half the probe held: watermark %d; want %d (as many let in)", wm, ProbePasses+ProbePasses/2)
	}
	r.hold(ProbePasses/2, ProbePasses) // every pass of the probe used; 4 others out
	if wm := r.steps(5); wm != 80+ProbePasses {
		t.Fatalf("the probe's passes used: watermark %d; want %d (the rate's window of 80 out)", wm, 80+ProbePasses)
	}
}

// A probe round whose holds came back but for a quarter of them (fans who poll their
// tickets and learn of their passes a poll later) is back: the window opens without
// waiting for the stragglers, and they are still out in it.
func TestProbeBackWithoutItsStragglers(t *testing.T) {
	r := newPaceRig(t)
	r.probing = true
	r.untilProbe()
	r.hold(0, ProbePasses-probeStragglers)
	if wm := r.steps(5); wm != 80+ProbePasses-probeStragglers {
		t.Fatalf("the probe's passes used but %d: watermark %d; want %d (the rate's window of 80 out, the stragglers in it)",
			probeStragglers, wm, 80+ProbePasses-probeStragglers)
	}
	if rc := r.c.rooms["ev1"]; rc.probe != probeBack {
		t.Fatalf("probe state %v; want back", rc.probe)
	}
}

// untilProbe steps until the probe's passes are out (the room admits nobody for its
// first half second).
func (r *paceRig) untilProbe() {
	r.t.Helper()
	for range 20 {
		if wm := r.step(); wm == ProbePasses {
			return
		}
	}
	r.t.Fatalf("a second on: the probe's %d passes not out", ProbePasses)
}

// A probe whose holds came back later than ProbeQuick is sent again: its fans' clients
// were still busy (opening their websockets), and a window opened then let a rate's
// worth of fans hold as late. The room opens once a probe comes back in time.
func TestSlowProbeIsSentAgain(t *testing.T) {
	r := newPaceRig(t)
	r.probing = true
	r.untilProbe()
	r.steps(int(ProbeQuick/DefaultControllerTick) + 2)
	r.hold(0, ProbePasses) // the probe back, late
	wm := r.steps(4)
	if wm != 2*ProbePasses {
		t.Fatalf("the probe back after %v: watermark %d; want %d (a second probe)", ProbeQuick, wm, 2*ProbePasses)
	}
	r.hold(ProbePasses, 2*ProbePasses) // the second probe back in time
	if wm := r.steps(5); wm != 2*ProbePasses+80 {
		t.Fatalf("the second probe back in time: watermark %d; want %d (the rate's window)", wm, 2*ProbePasses+80)
	}
}

// A probe whose fans walked away does not keep the room on ProbePasses: once their
// passes drop out of the outstanding ones (DefaultInFlight), the window opens.
func TestUnusedProbeDoesNotStallTheRoom(t *testing.T) {
	r := newPaceRig(t)
	r.probing = true
	wm := r.steps(int(DefaultInFlight/DefaultControllerTick) + 20)
	if wm <= ProbePasses+ProbePasses {
		t.Fatalf("the probe's fans never held: watermark %d; want admission to go on", wm)
	}
}

// A probe some of whose fans walked away while the others held does not keep the room
// on ProbePasses. With passes never used, the passes out (those of the last
// DefaultInFlight, at most the valid ones unused) never count zero again once fans are
// admitted into the probe's window as others hold: in an overloaded sale whose join
// answers were lost for 4 fans in 10, the room let 8 fans in every DefaultInFlight,
// 4 a second, for six minutes. Once DefaultInFlight has passed since the first pass
// went out, the window is the rate's.
func TestProbeWithFansGoneDoesNotKeepTheRoomOnIt(t *testing.T) {
	r := newPaceRig(t)
	r.probing = true
	var wm, seen int64
	for range int(DefaultInFlight/DefaultControllerTick) + 20 {
		wm = r.step()
		for ; seen < wm; seen++ {
			if seen%5 >= 2 { // fans 0, 1, 5, 6, ... never hold
				r.hold(int(seen), int(seen)+1)
			}
		}
	}
	// Three seconds at 400 fans/s: the probe's 8 for two seconds, then the rate's
	// window of 80, its passes used by 3 fans in 5.
	if wm <= 80 {
		t.Fatalf("3 fans in 5 holding at once: watermark %d after %v; want the window open (over 80)", wm, DefaultInFlight+time.Second)
	}
}

// Fans who walked away earlier do not hold back the fans admitted after them: the
// passes out are those of the latest admissions whose holds have not come back,
// whatever became of older ones. When the passes out were the fewer of those issued
// within DefaultInFlight and all the valid ones unused, a window's worth of passes
// never used (their fans gone, or never told: a shuffle the queue websocket missed)
// made every pass issued within DefaultInFlight count as out for the passes' ten
// minutes, held or not, and the room admitted a window's worth every DefaultInFlight.
func TestWalkedAwayFansDoNotHoldBackTheRoom(t *testing.T) {
	r := newPaceRig(t)
	var wm, seen int64
	for wm < 200 { // 2 fans in 5 walk away, the rest hold at once
		wm = r.step()
		for ; seen < wm; seen++ {
			if seen%5 >= 2 {
				r.hold(int(seen), int(seen)+1)
			}
		}
	}
	r.steps(int(DefaultInFlight/DefaultControllerTick) + 20) // their passes age
	r.hold(int(seen), int(wm))
	from := wm
	for range 40 { // two seconds at 400 fans/s, every fan holding at once
		wm = r.step()
		r.hold(int(seen), int(wm))
		seen = wm
	}
	if got := wm - from; got < 600 {
		t.Fatalf("every fan holding at once after %d walked away: %d admitted in 2 s at 400 fans/s; want 600 or more (not the window's 80 every %v)",
			from*2/5, got, DefaultInFlight)
	}
}

// Fans who walked away with their passes give their seats back to the fans waiting
// once the room presumes them gone (presumedGone: twice the time by which the fans who
// held did so), not when their passes run out ten minutes later: the room sells every
// seat, and tells the rest it is sold out only then.
func TestFansPresumedGoneGiveTheirSeatsBack(t *testing.T) {
	r := newPaceRig(t)
	left := 200
	r.seats(left)
	var wm, seen int64
	for range 400 { // 20 s
		// The fans admitted at the last step hold 10 ms on, 2 in 5 never.
		r.clock.Advance(10 * time.Millisecond)
		for ; seen < wm; seen++ {
			switch {
			case seen%5 < 2:
			case left > 0:
				r.hold(int(seen), int(seen)+1)
				left--
			default:
				r.holdTaking(int(seen), int(seen)+1, 0)
			}
		}
		r.seats(left)
		wm = r.step()
	}
	if left != 0 || !r.soldOut() {
		t.Fatalf("200 seats, 2 fans in 5 admitted walking away: %d fans admitted, %d seats left after 20 s, sold out %v; want every seat held, then sold out",
			wm, left, r.soldOut())
	}
	if gone := r.c.rooms["ev1"].gone; gone != 2*UseBucketBase {
		t.Fatalf("fans holding 10-60 ms after their admission: presumed gone after %v; want %v", gone, 2*UseBucketBase)
	}
}

// A room presumes a fan gone only once enough of its fans held to say how they hold,
// and then after twice the time by which 99 % of them had; a pass is in flight for
// DefaultInFlight, or not at all once half the fans take longer than that to hold.
func TestPresumedGone(t *testing.T) {
	var h [UseBuckets]int64
	h[UseBucket(150*time.Millisecond)] = goneUses - 1
	if g := presumedGone(h); g != 0 {
		t.Fatalf("%d holds back: presumed gone after %v; want never", goneUses-1, g)
	}
	h[UseBucket(150*time.Millisecond)] = 200
	h[UseBucket(time.Second)] = 1
	if g, want := presumedGone(h), 4*UseBucketBase; g != want {
		t.Fatalf("200 fans holding within 150 ms, 1 within 1 s: presumed gone after %v; want %v", g, want)
	}
	h[UseBucket(time.Second)] = 5
	if g, want := presumedGone(h), 32*UseBucketBase; g != want {
		t.Fatalf("200 fans holding within 150 ms, 5 within 1 s: presumed gone after %v; want %v", g, want)
	}
	if f := (&roomControl{gone: 4 * UseBucketBase, typical: 2 * UseBucketBase}).flight(DefaultInFlight); f != DefaultInFlight {
		t.Fatalf("fans presumed gone after %v: a pass in flight for %v; want %v", 4*UseBucketBase, f, DefaultInFlight)
	}
	h[UseBucket(30*time.Second)] = 2000 // most fans take half a minute to choose
	if g, want := presumedGone(h), 2*UseBucketBase<<9; g != want {
		t.Fatalf("fans holding within 30 s: presumed gone after %v; want %v", g, want)
	}
	if f := (&roomControl{gone: 2 * UseBucketBase << 9, typical: UseBucketBase << 9}).flight(DefaultInFlight); f != 0 {
		t.Fatalf("fans holding within 30 s: a pass in flight for %v; want none (fans choosing)", f)
	}
	if UseBucket(0) != -1 || UseBucket(time.Hour) != UseBuckets-1 || UseBucket(UseBucketBase) != 0 || UseBucket(UseBucketBase+1) != 1 {
		t.Fatalf("buckets: %d %d %d %d", UseBucket(0), UseBucket(time.Hour), UseBucket(UseBucketBase), UseBucket(UseBucketBase+1))
	}
}

// Fans who take their time to hold (a page whose fan picks seats for a while) are not
// paced by the passes out: once the room's holds show it, a pass is not a hold on its
// way, and the rate, which follows the sections, is what admits. Paced as holds on
// their way, every pass counted as out for DefaultInFlight, and such a room let the
// window's 80 in every 2 s: 40 fans a second at a rate of 400.
func TestFansWhoTakeTheirTimeAreNotPaced(t *testing.T) {
	r := newPaceRigOf(t, 4000)
	admitted := make([]time.Time, 0, len(r.ids))
	var wm, held int64
	for range 600 { // 30 s; each fan holds 10 s after its admission
		wm = r.step()
		for now := r.clock.Now(); int64(len(admitted)) < wm; {
			admitted = append(admitted, now)
		}
		for held < wm && r.clock.Now().Sub(admitted[held]) >= 10*time.Second {
			r.hold(int(held), int(held)+1)
			held++
		}
	}
	// 40 a second until 50 holds came back, some 11 s in, then 400 a second.
	if wm < 3000 {
		t.Fatalf("fans holding 10 s after their admission: %d admitted in 30 s at 400 fans/s; want 3,000 or more", wm)
	}
}

// The last seats of a sale whose fans take their time go to as many fans as they
// cover: once the room knows when its fans are gone, a round waits for the passes
// unused, not only for those out, which fans choosing never are. Rounds that waited
// only for the passes out followed each other every step, one seat a pass, on seats the
// choosing fans had not taken yet: 67 of 217 fans let in were refused.
func TestFansWhoTakeTheirTimeGetTheLastSeatsOnce(t *testing.T) {
	r := newPaceRigOf(t, 2000)
	rng := rand.New(rand.NewPCG(7, 7))
	left := 300
	r.seats(left)
	holdAt := make([]time.Time, 0, len(r.ids))
	var wm, done, refused int64
	for range 1200 { // 60 s; each fan holds two seats up to 10 s after its admission
		wm = r.step()
		for now := r.clock.Now(); int64(len(holdAt)) < wm; {
			holdAt = append(holdAt, now.Add(time.Duration(rng.Int64N(int64(10*time.Second)))))
		}
		for i := range holdAt {
			if holdAt[i].IsZero() || r.clock.Now().Before(holdAt[i]) {
				continue
			}
			holdAt[i] = time.Time{}
			done++
			if left >= 2 {
				r.holdTaking(i, i+1, 2)
				left -= 2
			} else {
				r.holdTaking(i, i+1, 0)
				refused++
			}
		}
		r.seats(left)
	}
	// Until 50 holds came back the room paces as if its fans held at once: it may let
	// one fan too many in then.
	if left != 0 || refused > 1 || !r.soldOut() {
		t.Fatalf("300 seats, fans holding two up to 10 s after their admission: %d admitted, %d seats left, %d refused, sold out %v; want every seat held, one refused at most, sold out",
			wm, left, refused, r.soldOut())
	}
}

// A room too small to learn when its fans are gone (fewer than goneUses holds) does not
// wait for its walkers before a round of last seats: their passes are out for their
// flight only, and the room comes to its end, its waiting fans told it is sold out
// (the walkers' passes still count against the seats they would take, until they
// expire). Waiting for every pass unused to be used stalled such a room for the
// walkers' ten minutes, seats left, nobody admitted and nobody told.
func TestWalkersDoNotStallASmallRoom(t *testing.T) {
	r := newPaceRig(t)
	left := 60
	r.seats(left)
	var wm, seen int64
	for range 400 { // 20 s; 2 fans in 5 walk away, the rest hold two seats at once
		wm = r.step()
		for ; seen < wm; seen++ {
			switch {
			case seen%5 < 2:
			case left >= 2:
				r.holdTaking(int(seen), int(seen)+1, 2)
				left -= 2
			default:
				r.holdTaking(int(seen), int(seen)+1, 0)
			}
		}
		r.seats(left)
	}
	if !r.soldOut() {
		t.Fatalf("60 seats, 2 fans in 5 walking away: %d admitted, %d seats left after 20 s, and the waiting fans not told it is sold out", wm, left)
	}
}

package waitingroom

import (
	"math"
	"time"
)

// RateConfig tunes how the controller follows the headroom. The zero value of every
// field takes its default.
type RateConfig struct {
	// Initial is the rate (fans per second) a room starts at while its sections'
	// capacity is not measured yet (default 10). Once it is (Headroom.Capacity), the
	// rate starts from there; while the sections' mailboxes are empty, from what they
	// take in one step (see idleStart).
	Initial float64
	// Min and Max bound the rate (defaults 1 and 4000): Max is the rate idle sections
	// reach, once the room's admissions used the rate it reached on the way.
	Min, Max float64
	// UnusedMax bounds the rate while the room does not use it (default 2000, never
	// above Max): a step whose admissions were held back (by the passes out, a busy
	// node, the first fans' settling, too few fans waiting) tells nothing of what the
	// sections take at that rate, and a rate grown that way would let a flood in when
	// the room opens up. Beyond it the rate rises only on steps that admitted at least
	// half what the rate allowed, while the sections keep up.
	UnusedMax float64
	// DepthBound is the deepest mailbox that still counts as keeping up (default 32).
	DepthBound int
	// CommitBound is the mean batch write time below which commits count as steady
	// whatever they were before (default 25ms); above it, they count as rising once
	// they are three times their usual time.
	CommitBound time.Duration
	// Growth multiplies the rate each uncongested step until the first cut, to find
	// the level fast (slow start; default 2); after a cut the rate grows by Recovery a
	// step (default 1.1), so that it comes back within seconds, not minutes.
	Growth, Recovery float64
	// Decrease multiplies the rate at a cut (default 0.5).
	Decrease float64
	// CutEvery spaces cuts, so that one spike, still draining, is cut once (default 1s).
	CutEvery time.Duration
	// BacklogBound is the largest node backlog (requests being answered), beyond the
	// requests of the fans the room admitted within the controller's InFlight (one a
	// fan: its hold, then a winner's confirm or release), at which the room still
	// admits (default 100): above it an
	// admitted fan's hold would wait behind the backlog (a join burst, say) while the
	// sections sit idle, so the controller admits nobody until it nearly drains, and
	// leaves its rate as it was.
	BacklogBound int
	// SchedBound is the longest a node's runnable goroutines may wait for a CPU (the
	// interval's 99th percentile, Signal.SchedMs) while the room still admits (default
	// 250ms): a node whose cores a burst saturates makes an admitted hold wait as long,
	// even while the requests it has not read yet show in no backlog.
	SchedBound time.Duration
	// BusyMax is the longest the room holds its admissions back for a busy node
	// (BacklogBound, SchedBound) in a row (default 2s). A burst, the joins of a rush,
	// drains within it; a node busy for longer is busy with the steady traffic of the
	// room's own waiting fans (polling their tickets, say), which waiting cannot drain:
	// 10,000 fans reading their tickets every second or two kept a node over both
	// bounds for as long as they waited, and so the room admitted nobody for good. Past
	// it the room admits at its rate, the passes out bounded by how fast their holds
	// come back (PaceSpan), until the node is no longer busy.
	BusyMax time.Duration
	// PaceSpan bounds the passes out, issued within the controller's InFlight and not
	// used yet, in a room that follows the headroom: no more than the rate admits in
	// PaceSpan, and no fewer than DepthBound a section (DefaultPaceSpan when zero).
	PaceSpan time.Duration
}

func (c RateConfig) withDefaults() RateConfig {
	set := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&c.Initial, 10)
	set(&c.Min, 1)
	set(&c.Max, 4000)
	set(&c.UnusedMax, 2000)
	set(&c.Growth, 2)
	set(&c.Recovery, 1.1)
	set(&c.Decrease, 0.5)
	if c.DepthBound <= 0 {
		c.DepthBound = 32
	}
	if c.CommitBound <= 0 {
		c.CommitBound = 25 * time.Millisecond
	}
	if c.CutEvery <= 0 {
		c.CutEvery = time.Second
	}
	if c.BacklogBound <= 0 {
		c.BacklogBound = 100
	}
	if c.SchedBound <= 0 {
		c.SchedBound = 250 * time.Millisecond
	}
	if c.BusyMax <= 0 {
		c.BusyMax = 2 * time.Second
	}
	if c.PaceSpan <= 0 {
		c.PaceSpan = DefaultPaceSpan
	}
	c.Initial = min(max(c.Initial, c.Min), c.Max)
	c.UnusedMax = min(c.UnusedMax, c.Max)
	return c
}

// growingSteps is how many steps in a row a mailbox must deepen (past a quarter of
// DepthBound) to count as growing before it reaches the bound.
const growingSteps = 3

// rateControl is the headroom controller of one room: multiplicative increase while
// the sections keep up, multiplicative decrease when they stop. It starts from the
// sections' measured capacity (or Initial before it is known), doubles the rate each
// step while the deepest mailbox stays under DepthBound and batch commits stay steady
// (slow start, as TCP's), cuts it when a mailbox grows or commits slow down, and then
// grows it by Recovery a step. The rate never stays below the capacity the sections
// show while they keep up.
type rateControl struct {
	cfg       RateConfig
	rate      float64
	cut       bool    // a cut happened: growth is Recovery from now on
	baseline  float64 // the usual commit time, ms (a slow average of steady steps)
	lastDepth int
	growing   int
	lastCut   time.Time
}

func newRateControl(cfg RateConfig, start float64) *rateControl {
	cfg = cfg.withDefaults()
	if start <= 0 {
		start = cfg.Initial
	}
	return &rateControl{cfg: cfg, rate: min(max(start, cfg.Min), cfg.Max)}
}

// update moves the rate for one step given the headroom, and says what it did. The
// rate rises only while fans wait (demand): an empty room keeps its rate. It rises
// past UnusedMax only when the step's admissions used it (used).
func (r *rateControl) update(h Headroom, demand, used bool, now time.Time) (float64, string) {
	if h.MaxDepth > r.lastDepth && h.MaxDepth > r.cfg.DepthBound/4 {
		r.growing++
	} else {
		r.growing = 0
	}
	r.lastDepth = h.MaxDepth
	commitMs := r.cfg.CommitBound.Seconds() * 1000
	slow := h.CommitMs > commitMs && r.baseline > 0 && h.CommitMs > 3*r.baseline
	if h.CommitMs > commitMs && r.baseline == 0 {
		slow = true // no steady time known yet, and already over the bound
	}
	congested := h.MaxDepth > r.cfg.DepthBound || r.growing >= growingSteps || slow
	if congested {
		if !r.lastCut.IsZero() && now.Sub(r.lastCut) < r.cfg.CutEvery {
			return r.rate, ChangeHold
		}
		r.rate = max(r.cfg.Min, r.rate*r.cfg.Decrease)
		r.cut = true
		r.lastCut = now
		r.growing = 0
		return r.rate, ChangeCut
	}
	if h.CommitMs > 0 {
		if r.baseline == 0 {
			r.baseline = h.CommitMs
		} else {
			r.baseline = 0.9*r.baseline + 0.1*h.CommitMs
		}
	}
	limit := r.cfg.Max
	if !used {
		limit = r.cfg.UnusedMax
	}
	if !demand || r.growing > 0 || r.rate >= limit {
		// Nobody to admit, a mailbox deepening (not yet enough to cut), or a rate the
		// room has not used yet: hold.
		return r.rate, ChangeHold
	}
	growth := r.cfg.Growth
	if r.cut {
		growth = r.cfg.Recovery
	}
	// The sections keep up: at least as fast as they showed they can go, and, before
	// they showed anything, as fast as idle mailboxes take in one step.
	r.rate = min(max(r.rate*growth, h.Capacity, r.idleStart(h)), limit)
	return r.rate, ChangeRaise
}

// expected is the rate the room expects to admit at while fans wait, given the
// headroom h: the rate, or, while slow start has not reached it yet (no cut), what
// update raises it to as soon as the node is not busy (the sections' measured
// capacity, or what their idle mailboxes take in a step), up to UnusedMax. The waiting
// fans' ETAs count on it. After a cut the sections showed they take less: the rate.
func (r *rateControl) expected(h Headroom) float64 {
	if r.cut {
		return r.rate
	}
	return max(r.rate, min(max(h.Capacity, r.idleStart(h)), r.cfg.UnusedMax))
}

// idleStart is the rate that fills the sections' empty mailboxes to DepthBound in one
// rate step (DefaultRateEvery), each admitted fan sending one hold: what slow start
// may begin from while no batch measured the sections' capacity and no mailbox holds
// anything. Zero once a cut happened or a mailbox is busy. Starting from Initial
// (10 fans/s) took eight doublings, two seconds of a sale, to reach the sections' pace.
func (r *rateControl) idleStart(h Headroom) float64 {
	if r.cut || h.MaxDepth > 0 || h.Capacity > 0 {
		return 0
	}
	return r.cfg.idleRate(h.Sections)
}

// idleRate is the rate that fills the empty mailboxes of sections (one at least) to
// DepthBound in one rate step (DefaultRateEvery). c must carry its defaults.
func (c RateConfig) idleRate(sections int) float64 {
	return float64(c.DepthBound*max(sections, 1)) / DefaultRateEvery.Seconds()
}

// admission turns a rate into whole admissions over time: the credit of fans allowed
// so far, carried between steps.
type admission struct {
	credit float64
	last   time.Time
}

// maxStepGap bounds the time one step credits: after a pause (a failover, a stalled
// process) the room does not let a burst in.
const maxStepGap = time.Second

// take returns how many fans to admit at now at rate, given how many may be admitted.
// The credit never builds up while nobody waits.
func (a *admission) take(now time.Time, rate float64, admittable int64) int64 {
	gap := time.Duration(0)
	if !a.last.IsZero() {
		gap = min(now.Sub(a.last), maxStepGap)
	}
	a.last = now
	if gap > 0 {
		a.credit += rate * gap.Seconds()
	}
	n := int64(math.Floor(a.credit + 1e-9))
	if n >= admittable {
		a.credit = 0
		return max(admittable, 0)
	}
	a.credit -= float64(n)
	return n
}

// pause forgets the time of the last step: admission starts afresh (before the room
// opens, and when a controller takes over).
func (a *admission) pause() {
	a.credit = 0
	a.last = time.Time{}
}

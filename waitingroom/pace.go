package waitingroom

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// DefaultPaceSpan is how long a pass is out when nothing queues (RateConfig.PaceSpan):
// its push (the queue websocket reads every 50 ms), the fan's hold, the use noted (a
// node writes its uses every 50 ms) and read (at the controller's next 50 ms step).
// The passes out are bounded by what the rate admits in that time: while the holds come
// back at that pace the bound costs nothing, and when they slow down (a node or its
// sections falling behind) nobody more is let in, so that the fans admitted do not
// queue behind each other as 2,000 let in within a second did.
const DefaultPaceSpan = 200 * time.Millisecond

// passCount is what the controller knows, at one step, of the passes it issued.
type passCount struct {
	// valid counts the fans admitted whose passes are still valid (with pass uses
	// counted), or who were admitted within InFlight (without).
	valid int64
	// recent counts the fans who may be about to hold, those admitted within the
	// passes' flight (roomControl.flight), the first of them at recentFrom (zero: none).
	recent     int64
	recentFrom time.Time
	// counted counts the passes that count against the seats left: every valid one
	// (all), or, once the room presumes a fan gone some time after its admission
	// (roomControl.gone), those admitted within it, the first of them at countedFrom.
	counted     int64
	countedFrom time.Time
	all         bool
	// used counts the valid passes used, recentUsed and countedUsed those of the recent
	// and the counted ones; read is set once they were read (or their read failed, when
	// they stay zero: every pass counted is unused).
	used, recentUsed, countedUsed int64
	read                          bool
	// holds and seats are the holds ever made with the room's passes and the seats
	// they took, and heldAfter when they were answered, read with used (zero when not
	// read).
	holds, seats int64
	heldAfter    [UseBuckets]int64
}

// unused counts the passes counted against the seats left and not used yet.
func (p *passCount) unused() int64 { return max(0, p.counted-p.countedUsed) }

// outstanding counts the recent passes not used yet: the fans whose holds are on
// their way. A pass admitted longer ago and never used (a fan who walked away) drops
// out of it once its flight is over, so that it cannot stall the room; nor does it
// count against the passes issued after it, which are out only until their own holds
// come back.
func (p *passCount) outstanding() int64 { return max(0, min(p.recent-p.recentUsed, p.unused())) }

// countPasses counts the room's passes at now without reading the uses.
func (c *Controller) countPasses(rc *roomControl, now time.Time) passCount {
	if c.cfg.Uses == nil {
		n := rc.inFlight(now, c.cfg.InFlight)
		return passCount{valid: n, recent: n, counted: n, all: true}
	}
	p := passCount{valid: rc.admittedValid(now), all: rc.gone <= 0}
	p.recent, p.recentFrom = rc.admittedSince(now, rc.flight(c.cfg.InFlight))
	p.counted = p.valid
	if !p.all {
		p.counted, p.countedFrom = rc.admittedSince(now, rc.gone)
	}
	return p
}

// readUses reads how many of the event's valid passes were used, once a step. When the
// uses cannot be read every valid pass counts as unused, which admits fewer fans, never
// more.
func (c *Controller) readUses(ctx context.Context, p *passCount, eventID string, now time.Time) {
	if p.read || c.cfg.Uses == nil {
		return
	}
	p.read = true
	u, err := c.cfg.Uses.UsedPasses(ctx, eventID, now, p.recentFrom, p.countedFrom)
	if err != nil {
		if ctx.Err() == nil {
			c.cfg.Logger.Debug("reading the passes used failed; counting every valid pass as unused", zap.String("event_id", eventID), zap.Error(err))
		}
		return
	}
	p.used, p.holds, p.seats, p.heldAfter = u.Used, u.Holds, u.Seats, u.HeldAfter
	if len(u.Since) != 2 {
		return // a store that does not count the uses by admission: those of the passes counted are unknown
	}
	if !p.recentFrom.IsZero() {
		p.recentUsed = u.Since[0]
	}
	switch {
	case p.all:
		p.countedUsed = u.Used
	case !p.countedFrom.IsZero():
		p.countedUsed = u.Since[1]
	}
}

// paceWindow is how many passes may be out, issued and not used, in a room that
// follows the headroom at rate: what the rate admits in PaceSpan (the rate follows the
// sections' mailboxes and batch write times), and never fewer than DepthBound a
// section, what their empty mailboxes take at once.
func paceWindow(h Headroom, rate float64, cfg RateConfig) int64 {
	return int64(max(rate*cfg.PaceSpan.Seconds(), float64(cfg.DepthBound*max(h.Sections, 1))))
}

// ProbePasses is how many passes a paced room lets out first, once fans wait, before
// the holds of any came back: the node may look idle while the fans' own clients are
// still busy with the join burst (reading its answers, connecting their websockets),
// and the fans admitted then hold only once they are done; the first rate's worth
// admitted that way set the p99 of the admitted fans' holds.
const ProbePasses = 8

// ProbeQuick is the longest the probe's holds may take to come back, from the passes'
// admission to their use read, for the room to open its window: twice what a pass
// takes when nothing queues (DefaultPaceSpan). In a rush the first probe often went
// out while the fans' clients were still opening their websockets and came back in
// 0.45-0.9 s, its holds taking 0.3-0.66 s; opened then, the window let a rate's worth
// of fans hold as late.
const ProbeQuick = 2 * DefaultPaceSpan

// probeStragglers is how many of a probe round's passes may still be out when it counts
// as back: a fan who reads its ticket by polling, not on the queue websocket, learns of
// its pass only at its next read, up to 2 s later, which tells nothing of the node or
// the sections. In a rush whose first positions went to polling fans the probe's rounds
// waited for them, came back late and were sent again, 8 passes every half second or
// so, for up to 2 s; when most of a round's fans' clients are busy, most of its holds
// are late, not a quarter.
const probeStragglers = ProbePasses / 4

// probeState is where a room's first passes stand (roomControl.probe).
type probeState int

const (
	probeNone probeState = iota
	probeOut
	probeBack
)

// window is how many passes may be out in a paced room: ProbePasses until the first
// passes' holds came back, or until inFlight after the first went out (their fans
// gone: one pass never used keeps the passes out above those admitted since), then
// paceWindow's.
//
// A probe's round is back once no more passes are out than were admitted after its
// first step, and probeStragglers: the holds of all but those of the passes out up to
// it came back. The room admits into the probe's window as its fans hold, so the passes
// out seldom count zero again: waiting for zero kept a room whose node sat idle and
// whose holds came back within 50 ms on ProbePasses a round trip, under 100 fans a
// second, for up to inFlight.
//
// A probe whose holds took longer than ProbeQuick to come back is sent again: its
// fans' clients were still busy, and the fans admitted next would hold as late.
func (rc *roomControl) window(h Headroom, rate float64, p *passCount, now time.Time, inFlight time.Duration) int64 {
	if rc.probe == probeOut {
		switch {
		case now.Sub(rc.probeAt) >= inFlight:
			rc.probe = probeBack
		case p.outstanding() > rc.admittedAfter(rc.roundAt)+probeStragglers:
		case now.Sub(rc.roundAt) <= ProbeQuick:
			rc.probe = probeBack
		default:
			rc.roundAt = now
		}
	}
	w := paceWindow(h, rate, rc.rate.cfg)
	if rc.probe != probeBack {
		return min(w, ProbePasses)
	}
	return w
}

// admittedAfter counts the fans admitted after at.
func (rc *roomControl) admittedAfter(at time.Time) int64 {
	var n int64
	for i := len(rc.recent) - 1; i >= 0 && rc.recent[i].at.After(at); i-- {
		n += rc.recent[i].n
	}
	return n
}

// admittedSince counts the fans admitted within window before now, forgetting none,
// and says when the first of them was (zero: nobody was).
func (rc *roomControl) admittedSince(now time.Time, window time.Duration) (n int64, from time.Time) {
	for i := len(rc.recent) - 1; i >= 0 && now.Sub(rc.recent[i].at) < window; i-- {
		n += rc.recent[i].n
		from = rc.recent[i].at
	}
	return n, from
}

// busy reports whether a node is too busy for a hold admitted now to be answered at
// once: its backlog beyond the requests of the room's own fans (own, the fans admitted
// within InFlight: each has one request at a time on its way, its hold or, once it
// held, its confirm or release) is over BacklogBound, or its goroutines wait longer
// than SchedBound for a CPU.
func (r *rateControl) busy(h Headroom, own int64) bool {
	return int64(h.MaxBacklog)-own > int64(r.cfg.BacklogBound) ||
		h.MaxSchedMs > r.cfg.SchedBound.Seconds()*1000
}

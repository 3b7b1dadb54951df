package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// scheduleExpiry makes sure the expiry timer fires no later than at.
func (a *sectionActor) scheduleExpiry(at time.Time) {
	if a.expiryTimer != nil && !at.Before(a.nextExpiry) {
		return
	}
	if a.expiryTimer != nil {
		a.expiryTimer.Stop()
	}
	a.nextExpiry = at
	wait := at.Sub(a.now())
	if wait < 0 {
		wait = 0
	}
	root, self := a.root, a.self
	a.expiryTimer = a.cfg.Clock.AfterFunc(wait, func() { root.Send(self, &expireTick{}) })
}

// armExpiry makes sure the expiry timer fires no later than the earliest live expiry.
func (a *sectionActor) armExpiry() {
	if e, ok := a.st.expiries.peek(a.st.expiryLive); ok {
		a.scheduleExpiry(e.at)
	}
}

func (a *sectionActor) onExpireTick() {
	a.expiryTimer = nil
	if a.st == nil || a.pause != nil { // a resume arms the timer again
		return
	}
	d := a.decideExpiries()
	if d.writes() {
		d.redo = redoer{fn: a.decideExpiries}
		a.enqueue(d)
	}
	a.armExpiry()
}

// onWake expires what is due when the expiry reminder wakes the section: it was not
// active (passivated, or its node was lost or drained), or its own timer has not fired.
// The answer waits for the expiry's batch, or goes out at once when nothing was due.
func (a *sectionActor) onWake(answer func(*Reply)) {
	if a.st == nil {
		if answer != nil {
			answer(ErrorReply(a.unavailableErr()))
		}
		return
	}
	decide := func() *decision {
		d := a.decideExpiries()
		d.reply = &Reply{}
		return d
	}
	d := decide()
	if !d.writes() {
		if answer != nil {
			answer(d.reply)
		}
		a.armExpiry()
		return
	}
	d.answer, d.redo = answer, redoer{fn: decide}
	a.enqueue(d)
	a.armExpiry()
}

// earliestExpiry is the earliest expiry of a live hold, zero when there is none: the queue's
// first live entry, or a hold being paid for, whose entry the queue gave up when its time
// came during the payment.
func (a *sectionActor) earliestExpiry() time.Time {
	var next time.Time
	if e, ok := a.st.expiries.peek(a.st.expiryLive); ok {
		next = e.at
	}
	for id := range a.paying {
		if h, ok := a.st.holds[id]; ok && h.Status == HoldHeld && (next.IsZero() || h.ExpiresAt.Before(next)) {
			next = h.ExpiresAt
		}
	}
	return next
}

func (a *sectionActor) scheduleIdle() {
	root, self := a.root, a.self
	a.idleTimer = a.cfg.Clock.AfterFunc(a.cfg.PassivateAfter/2, func() { root.Send(self, &idleTick{}) })
}

// onIdleTick passivates a section that has been idle long enough and has nothing left to
// write or decide (no batch pending or in flight, no payment running); a failed
// activation stops here too. Live holds do not keep it: their next expiry is on the
// section's row, and the expiry reminder wakes the section when it comes. It also forgets
// idempotency answers older than the key window, which commits do too, for a section gone
// quiet.
func (a *sectionActor) onIdleTick(ctx actor.Context) {
	a.idleTimer = nil
	if a.st == nil {
		ctx.Stop(ctx.Self())
		return
	}
	a.st.forgetKeys(a.now(), a.cfg.keyWindow())
	idle := a.cfg.Clock.Now().Sub(a.lastActive)
	if idle >= a.cfg.PassivateAfter && a.pause == nil && len(a.pending) == 0 && a.inflight == nil && len(a.paying) == 0 {
		a.log.Debug("passivating")
		ctx.Stop(ctx.Self())
		return
	}
	a.scheduleIdle()
}

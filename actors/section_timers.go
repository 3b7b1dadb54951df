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
	if a.st == nil {
		return
	}
	d := a.decideExpiries()
	if d.writes() {
		a.enqueue(d)
	}
	a.armExpiry()
}

func (a *sectionActor) scheduleIdle() {
	root, self := a.root, a.self
	a.idleTimer = a.cfg.Clock.AfterFunc(a.cfg.PassivateAfter/2, func() { root.Send(self, &idleTick{}) })
}

// onIdleTick passivates a section that has been idle long enough and holds nothing that
// a timer must still expire or a payment must still decide; a failed activation stops
// here too. It also forgets idempotency answers older than the key window, which
// commits do too, for a section gone quiet.
func (a *sectionActor) onIdleTick(ctx actor.Context) {
	a.idleTimer = nil
	if a.st == nil {
		ctx.Stop(ctx.Self())
		return
	}
	a.st.forgetKeys(a.now(), a.cfg.keyWindow())
	idle := a.cfg.Clock.Now().Sub(a.lastActive)
	if idle >= a.cfg.PassivateAfter && a.st.activeHolds == 0 && len(a.pending) == 0 && a.inflight == nil && len(a.paying) == 0 {
		a.log.Debug("passivating")
		ctx.Stop(ctx.Self())
		return
	}
	a.scheduleIdle()
}

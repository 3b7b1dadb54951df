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

// rescheduleExpiry points the expiry timer at the earliest active hold.
func (a *sectionActor) rescheduleExpiry() {
	if a.expiryTimer != nil {
		a.expiryTimer.Stop()
		a.expiryTimer = nil
	}
	var earliest time.Time
	for _, h := range a.st.holds {
		if h.Status == HoldHeld && (earliest.IsZero() || h.ExpiresAt.Before(earliest)) {
			earliest = h.ExpiresAt
		}
	}
	if !earliest.IsZero() {
		a.scheduleExpiry(earliest)
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
	a.rescheduleExpiry()
}

func (a *sectionActor) scheduleIdle() {
	root, self := a.root, a.self
	a.idleTimer = a.cfg.Clock.AfterFunc(a.cfg.PassivateAfter/2, func() { root.Send(self, &idleTick{}) })
}

// onIdleTick passivates a section that has been idle long enough and holds nothing that
// a timer must still expire; a failed activation stops here too.
func (a *sectionActor) onIdleTick(ctx actor.Context) {
	a.idleTimer = nil
	if a.st == nil {
		ctx.Stop(ctx.Self())
		return
	}
	idle := a.cfg.Clock.Now().Sub(a.lastActive)
	if idle >= a.cfg.PassivateAfter && a.st.activeHolds == 0 && len(a.pending) == 0 && a.inflight == nil {
		a.log.Debug("passivating")
		ctx.Stop(ctx.Self())
		return
	}
	a.scheduleIdle()
}

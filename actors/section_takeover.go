package actors

import (
	"context"

	"go.uber.org/zap"
)

// msgTakeover is the log line of every activation that took its section over from an
// owner who did not hand it over.
const msgTakeover = "took the section over from an owner that did not hand it over"

// reportTakeover logs and counts the activation as a takeover, once, when its previous
// activation did not hand the section over: the store says so (snap.Orphaned: the
// previous epoch never recorded a clean stop), or the lease does (acquire found it held
// and it ran out, or took it from a member no longer alive). How long the section went
// without an owner is the lease's estimate when it saw the previous owner's lease; when
// the lease had run out already it is unknown, and its lower bound (a lease TTL plus the
// activation) is what the failover histogram and the trace record; without a lease
// there is no figure, and the trace stays a plain activation. The first activation
// of a section is no takeover, and neither is one after a passivation, a drain or a
// shutdown, which record their hand-over (recordHandOver).
func (a *sectionActor) reportTakeover(snap *Snapshot, tr *Trace) {
	now := a.cfg.Clock.Now()
	failover, known := a.lease.takeover(now)
	if !known && !snap.Orphaned {
		return
	}
	previous := snap.PrevOwner
	if previous == "" {
		previous = "unknown"
	}
	fields := []zap.Field{zap.String("previous_owner", previous)}
	if known {
		a.cfg.Metrics.failover(failover)
		tr.Action, tr.Millis = ActivationTakeover, ms(failover)
		fields = append(fields, zap.Duration("failover", failover), zap.Duration("uncertainty", a.cfg.LeaseTTL/3))
	} else {
		fields = append(fields, zap.String("failover", "unknown"))
		if atLeast, ok := a.lease.freeFor(now); ok {
			a.cfg.Metrics.failover(atLeast)
			tr.Action, tr.Millis = ActivationTakeover, ms(atLeast)
			fields = append(fields, zap.Duration("failover_at_least", atLeast))
		}
	}
	if a.lease != nil && a.lease.takenFrom != "" {
		// Not waited for: the member holding the lease is no longer alive.
		fields = append(fields, zap.String("lease_taken_from", a.lease.takenFrom))
	}
	a.log.Info(msgTakeover, fields...)
}

// recordHandOver records in the store that this activation stops cleanly, so that the
// next one is no takeover. Nothing is recorded for an activation that failed or was
// fenced (a later activation exists).
func (a *sectionActor) recordHandOver() {
	if a.st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.CommitTimeout)
	defer cancel()
	if err := a.cfg.Store.HandOver(ctx, a.key, a.st.epoch); err != nil {
		a.log.Warn("hand-over not recorded: the next activation will count a takeover", zap.Error(err))
	}
}

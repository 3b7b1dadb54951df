package actors

import (
	"time"

	"go.uber.org/zap"
)

// The classroom's pause. A paused section decides nothing: every command it receives
// (hold, release, extend, confirm, cancel, wake) waits, in arrival order, in a queue of
// the section's own, where the inspector lists it. A step decides the oldest one and
// commits it in a batch of its own; a resume decides them all, in order. The section's
// own expiries wait too. What was decided before the pause goes on: the batch being
// written commits and payments under way end. Queued commands keep their deadlines: one
// whose deadline passes leaves the queue answered EXPIRED, as a command the section
// reaches too late always is, and a command that arrives past its deadline (how Client
// asks for the fate of an earlier copy) is answered at once, since it decides nothing.
// The queue is bounded like the mailbox (SectionConfig.MailboxLimit: a command that
// finds it full is refused OVERLOADED) and a pause lasts at most
// SectionConfig.PauseLimit, after which the section resumes by itself. A pause does not
// survive the activation: a section that stops (passivation, fence, shutdown) answers
// its queued commands "retry", and its next activation is not paused.

// pauseState is a paused section's queue and timers.
type pauseState struct {
	by    string
	since time.Time
	queue []queuedCommand
	limit Timer
	// sweep fires at sweepAt, the earliest deadline in the queue.
	sweep   Timer
	sweepAt time.Time
}

// queuedCommand is a command received while the section was paused.
type queuedCommand struct {
	msg    any
	answer func(*Reply)
	at     time.Time
	// arrived is when the command entered the mailbox (database time; zero: unknown).
	arrived time.Time
}

// The pause's messages to the actor itself; p tells which pause the timer belongs to.
type (
	pauseLimitTick struct{ p *pauseState }
	pauseSweepTick struct{ p *pauseState }
)

// queueIfPaused queues msg when the section is paused and reports whether it did (or
// refused it because the queue is full).
func (a *sectionActor) queueIfPaused(answer func(*Reply), msg any) bool {
	p := a.pause
	if p == nil || a.st == nil {
		return false
	}
	deadline := commandDeadline(msg)
	now := a.cfg.Clock.Now()
	if !deadline.IsZero() && !now.Before(deadline) {
		return false // past its deadline: it can decide nothing
	}
	if limit := a.cfg.MailboxLimit; limit > 0 && len(p.queue) >= limit {
		a.cfg.Metrics.refused(RefusedOverloaded)
		if answer != nil {
			answer(ErrorReply(errOverloaded))
		}
		return true
	}
	p.queue = append(p.queue, queuedCommand{msg: msg, answer: answer, at: now, arrived: a.arrived})
	if !deadline.IsZero() && (p.sweep == nil || deadline.Before(p.sweepAt)) {
		a.armSweep(p, deadline)
	}
	a.traceMailbox()
	return true
}

// onPause pauses the section (a section paused already stays paused as it was).
func (a *sectionActor) onPause(by string) *InspectReply {
	if a.st == nil {
		return inspectError(a.unavailableErr())
	}
	if a.pause != nil {
		return a.inspection()
	}
	p := &pauseState{by: by, since: a.cfg.Clock.Now()}
	a.pause = p
	root, self := a.root, a.self
	p.limit = a.cfg.Clock.AfterFunc(a.cfg.PauseLimit, func() { root.Send(self, &pauseLimitTick{p: p}) })
	a.cfg.Metrics.paused(a.key, true)
	a.log.Warn("section paused: it decides nothing until resumed or stepped",
		zap.String("event_id", a.key.EventID), zap.String("section_id", a.key.SectionID),
		zap.String("by", by), zap.Duration("limit", a.cfg.PauseLimit))
	a.cfg.Tracer.Trace(Trace{Type: TracePaused, At: time.Now(), Node: a.cfg.NodeName, Actor: a.key.Identity(),
		User: by, Millis: ms(a.cfg.PauseLimit)})
	return a.inspection()
}

// onResume resumes a paused section (a section that is not paused is left as it is).
func (a *sectionActor) onResume(by string) *InspectReply {
	if a.st == nil {
		return inspectError(a.unavailableErr())
	}
	if a.pause != nil {
		a.resume(by, "")
	}
	return a.inspection()
}

// onPauseLimit resumes a section whose pause reached the limit.
func (a *sectionActor) onPauseLimit(m *pauseLimitTick) {
	if a.pause == nil || a.pause != m.p || a.st == nil {
		return
	}
	a.resume("", "the pause reached its limit of "+a.cfg.PauseLimit.String())
}

// resume ends the pause and decides the queued commands in order; reason says why when
// nobody asked for it.
func (a *sectionActor) resume(by, reason string) {
	p := a.pause
	a.pause = nil
	p.stopTimers()
	a.cfg.Metrics.paused(a.key, false)
	paused := a.cfg.Clock.Now().Sub(p.since)
	fields := []zap.Field{zap.String("event_id", a.key.EventID), zap.String("section_id", a.key.SectionID),
		zap.String("paused_by", p.by), zap.Duration("paused_for", paused), zap.Int("queued", len(p.queue))}
	if reason != "" {
		a.log.Warn("section resumed by itself: "+reason, fields...)
	} else {
		a.log.Warn("section resumed", append(fields, zap.String("by", by))...)
	}
	a.cfg.Tracer.Trace(Trace{Type: TraceResumed, At: time.Now(), Node: a.cfg.NodeName, Actor: a.key.Identity(),
		User: by, Reason: reason, Depth: len(p.queue), Millis: ms(paused)})
	for _, q := range p.queue {
		a.decideArrived(q.arrived, func() { a.command(q.answer, q.msg) })
	}
	a.armExpiry()
}

// onStep decides the oldest queued command and commits it in a batch of its own; the
// answer goes out once nothing the section decided is left unwritten (answerSteps).
func (a *sectionActor) onStep(respond func(any), by string) {
	switch {
	case a.st == nil:
		respond(inspectError(a.unavailableErr()))
		return
	case a.pause == nil:
		respond(inspectError(Invalid("section", "the section is not paused: pause it before stepping")))
		return
	}
	p := a.pause
	if len(p.queue) > 0 {
		q := p.queue[0]
		p.queue[0] = queuedCommand{}
		p.queue = p.queue[1:]
		a.log.Info("section stepped", zap.String("by", by), zap.String("type", commandType(q.msg)),
			zap.String("user_id", commandUser(q.msg)))
		a.decideArrived(q.arrived, func() { a.command(q.answer, q.msg) })
		a.flushNow(true) // a refusal's attempt goes out now rather than lingering
	}
	a.steps = append(a.steps, respond)
}

// answerSteps answers the waiting steps once no batch is being written, none is pending
// and no payment is running: the stepped command's decision is written by then.
func (a *sectionActor) answerSteps() {
	if a.st != nil && (a.inflight != nil || len(a.pending) > 0 || len(a.paying) > 0) {
		return
	}
	r := a.inspection()
	for _, respond := range a.steps {
		respond(r)
	}
	a.steps = nil
}

// onPauseSweep answers the queued commands whose deadline has passed: each is handled
// as the section handles a command it reaches too late (EXPIRED, or the answer of the
// decided command it repeats), deciding nothing.
func (a *sectionActor) onPauseSweep(m *pauseSweepTick) {
	p := a.pause
	if p == nil || p != m.p || a.st == nil {
		return
	}
	p.sweep = nil
	now := a.cfg.Clock.Now()
	var late []queuedCommand
	kept := p.queue[:0]
	var next time.Time
	for _, q := range p.queue {
		deadline := commandDeadline(q.msg)
		switch {
		case deadline.IsZero():
			kept = append(kept, q)
		case !now.Before(deadline):
			late = append(late, q)
		default:
			kept = append(kept, q)
			if next.IsZero() || deadline.Before(next) {
				next = deadline
			}
		}
	}
	clear(p.queue[len(kept):])
	p.queue = kept
	for _, q := range late {
		a.command(q.answer, q.msg)
	}
	if !next.IsZero() {
		a.armSweep(p, next)
	}
}

func (a *sectionActor) armSweep(p *pauseState, at time.Time) {
	if p.sweep != nil {
		p.sweep.Stop()
	}
	root, self := a.root, a.self
	p.sweepAt = at
	p.sweep = a.cfg.Clock.AfterFunc(max(0, at.Sub(a.cfg.Clock.Now())), func() { root.Send(self, &pauseSweepTick{p: p}) })
}

func (p *pauseState) stopTimers() {
	if p.limit != nil {
		p.limit.Stop()
	}
	if p.sweep != nil {
		p.sweep.Stop()
	}
}

// stopPause, as the actor stops, answers the queued commands and the waiting steps
// "retry": the next activation decides afresh.
func (a *sectionActor) stopPause() {
	stopped := Unavailable("section stopped; retry")
	if p := a.pause; p != nil {
		a.pause = nil
		p.stopTimers()
		a.cfg.Metrics.paused(a.key, false)
		a.log.Warn("paused section stopped; its queued commands are answered retry",
			zap.String("event_id", a.key.EventID), zap.String("section_id", a.key.SectionID),
			zap.String("paused_by", p.by), zap.Int("queued", len(p.queue)))
		for _, q := range p.queue {
			if q.answer != nil {
				q.answer(ErrorReply(stopped))
			}
		}
	}
	for _, respond := range a.steps {
		respond(inspectError(stopped))
	}
	a.steps = nil
}

// commandDeadline is a command's deadline (zero: none).
func commandDeadline(msg any) time.Time {
	d, ok := msg.(interface{ GetDeadlineUnixMicro() int64 })
	if !ok || d.GetDeadlineUnixMicro() == 0 {
		return time.Time{}
	}
	return time.UnixMicro(d.GetDeadlineUnixMicro())
}

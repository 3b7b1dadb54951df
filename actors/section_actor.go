package actors

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"
)

// sectionActor is the virtual actor of one event section. Every decision about the
// section's seats passes through its mailbox, one message at a time; decisions are
// persisted in batches (group commit) and each caller is answered after its batch commits.
type sectionActor struct {
	cfg       *SectionConfig
	mailboxes *mailboxRegistry
	log       *zap.Logger

	key   SectionKey
	st    *sectionState // nil until activated, and again once fenced
	self  *actor.PID
	root  *actor.RootContext
	depth *mailboxCounter
	lease *leaseKeeper
	// arrived is when the command being decided now entered the section's mailbox, in
	// database time; zero when unknown (see arrival).
	arrived time.Time

	// pending decisions are made but not yet being written; inflight ones are being
	// written now. In memory, state = committed + inflight + pending.
	pending  []*decision
	inflight []*decision
	// waiting is set when a pending decision waits for its batch to be answered (unset
	// when only answered refusals, whose attempts are still to be written, are pending).
	waiting bool
	written *Batch // what the in-flight batch writes
	// inflightDone receives the in-flight batch's result, for onStopping.
	inflightDone <-chan error

	// paying are the payments in flight, by hold and by the confirm's idempotency key.
	paying     map[string]*payment
	payingKeys map[idemKey]*payment

	expiryTimer Timer
	// attemptTimer writes the attempts of refusals that lingered (see lingerAttempts).
	attemptTimer Timer
	nextExpiry   time.Time
	idleTimer    Timer
	lastActive   time.Time
	lastMailbox  time.Time
	// elsewhere, while a command of a batch refused for the per-user limit is decided
	// again, holds users' tickets in the event's other sections as the store counted
	// them.
	elsewhere map[string]int
	// activationErr answers every message when the activation failed.
	activationErr error
	// activated is set once the section loaded (st is cleared again when fenced).
	activated bool
	// lastCommit is how long the last committed batch took to write, and inflightSince
	// when the batch being written started: the section's estimate of how long a decision
	// waits for its answer (see tooLate).
	lastCommit    time.Duration
	inflightSince time.Time

	// activatedAt is when the activation finished loading; decisions counts the
	// decisions answered since (the inspector shows both).
	activatedAt time.Time
	decisions   int64
	// tally counts the answered decisions in the metrics (nil: no metrics).
	tally *decisionTally
	// pause is the classroom's pause (nil: the section decides as usual), and steps the
	// StepCommands waiting for their decision's batch (see section_pause.go).
	pause *pauseState
	steps []func(any)
}

// The actor's messages to itself. They never leave the node, so they need not be protobuf.
type (
	batchDone struct {
		err     error
		version int64
		took    time.Duration
	}
	expireTick struct{}
	idleTick   struct{}
)

// Receive handles one message.
func (a *sectionActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *protocluster.ClusterInit:
		a.activate(ctx, m.Identity.GetIdentity())
	case *HoldCommand, *ReleaseCommand, *ExtendCommand, *ConfirmCommand, *CancelCommand, *WakeCommand:
		a.arrived = a.arrival()
		if answer := a.replyTo(ctx); !a.queueIfPaused(answer, m) {
			a.command(answer, m)
		}
		a.arrived = time.Time{}
	case *StatusQuery:
		ctx.Respond(a.status())
	case *InspectQuery:
		ctx.Respond(a.inspection())
	case *PauseCommand:
		ctx.Respond(a.onPause(m.GetBy()))
	case *ResumeCommand:
		ctx.Respond(a.onResume(m.GetBy()))
	case *StepCommand:
		a.onStep(a.respondLater(ctx), m.GetBy())
	case *pauseLimitTick:
		a.onPauseLimit(m)
	case *pauseSweepTick:
		a.onPauseSweep(m)
	case *batchDone:
		a.onBatchDone(ctx, m)
	case *paymentDone:
		a.onPaymentDone(m)
	case *expireTick:
		a.onExpireTick()
	case *attemptTick:
		a.onAttemptTick()
	case *idleTick:
		a.onIdleTick(ctx)
	case *actor.Stopping:
		a.onStopping(ctx)
	}
	if len(a.steps) > 0 {
		a.answerSteps()
	}
}

// command handles one command (msg is a HoldCommand, ReleaseCommand, ExtendCommand,
// ConfirmCommand, CancelCommand or WakeCommand), answering through answer.
func (a *sectionActor) command(answer func(*Reply), msg any) {
	switch m := msg.(type) {
	case *HoldCommand:
		a.decideWith(answer, redoer{hold: m})
	case *ReleaseCommand:
		a.onHoldCommand(answer, m.GetHoldId(), func() *decision { return a.decideRelease(m) })
	case *ExtendCommand:
		a.onHoldCommand(answer, m.GetHoldId(), func() *decision { return a.decideExtend(m) })
	case *ConfirmCommand:
		a.onConfirm(answer, m)
	case *CancelCommand:
		a.decideNow(answer, func() *decision { return a.decideCancel(m) })
	case *WakeCommand:
		a.onWake(answer)
	}
}

// activate loads the section, bumping its epoch: from now on every batch of an older
// activation is fenced out.
func (a *sectionActor) activate(ctx actor.Context, identity string) {
	a.self, a.root = ctx.Self(), ctx.ActorSystem().Root
	a.depth = a.mailboxes.lookup(ctx)
	eventID, sectionID, ok := strings.Cut(identity, "/")
	if !ok {
		a.rejectAll(ctx, Invalid("section_id", "bad section identity "+identity))
		return
	}
	a.key = SectionKey{EventID: eventID, SectionID: sectionID}
	a.log = a.log.With(zap.String("section", identity))
	start := time.Now()

	owner := activationOwner(a.cfg.NodeName, ctx.ActorSystem().ID)
	if a.cfg.Leases != nil {
		a.lease = newLeaseKeeper(a.cfg, a.key, owner)
		a.lease.acquire()
	}
	actx, cancel := context.WithTimeout(context.Background(), a.cfg.CommitTimeout)
	snap, err := a.cfg.Store.Activate(actx, a.key, owner, a.cfg.keyWindow())
	cancel()
	if err != nil {
		// Leave st nil: every message is answered with this error until the stop.
		a.log.Warn("activation failed", zap.Error(err))
		a.rejectAll(ctx, err)
		return
	}
	a.st = newSectionState(snap, a.cfg.Clock.Now())
	a.paying, a.payingKeys = make(map[string]*payment), make(map[idemKey]*payment)
	a.activated = true
	a.lastActive = a.cfg.Clock.Now()
	a.activatedAt = a.lastActive
	a.armExpiry()
	a.scheduleIdle()
	a.cfg.Metrics.activated(a.key, a.depth.value)
	a.tally = newDecisionTally(a.cfg.Metrics, a.key)
	tr := Trace{Type: TraceActivation, At: time.Now(), Node: a.cfg.NodeName, Actor: identity,
		Epoch: snap.Epoch, Version: snap.Version, Millis: ms(time.Since(start))}
	a.reportTakeover(snap, &tr)
	a.cfg.Tracer.Trace(tr)
	a.log.Debug("activated", zap.Int64("epoch", snap.Epoch), zap.Int64("version", snap.Version))
}

// rejectAll makes the actor answer every message with err until it stops shortly.
func (a *sectionActor) rejectAll(ctx actor.Context, err error) {
	if errors.Is(err, ErrNotFound) {
		err = &Error{Code: CodeNotFound, Message: "no such section"}
	}
	a.activationErr = err
	// Stay a moment to answer what is already queued, then stop: the next request
	// activates afresh.
	a.idleTimer = a.cfg.Clock.AfterFunc(time.Second, func() { a.root.Send(a.self, &idleTick{}) })
}

// replyTo returns how to answer the current message's sender (nil when there is none).
func (a *sectionActor) replyTo(ctx actor.Context) func(*Reply) {
	sender := ctx.Sender()
	if sender == nil {
		return nil
	}
	root := a.root
	if root == nil {
		root = ctx.ActorSystem().Root
	}
	return func(r *Reply) { root.Send(sender, r) }
}

// onHoldCommand decides a release or extend now, or once the payment of its hold ended.
func (a *sectionActor) onHoldCommand(answer func(*Reply), holdID string, decide func() *decision) {
	if a.park(holdID, answer, func() { a.onHoldCommand(answer, holdID, decide) }) {
		return
	}
	a.decideNow(answer, decide)
}

// onConfirm joins the payment of a confirm already paying under the same idempotency
// key, waits for the payment of another confirm of the hold, or decides the confirm.
func (a *sectionActor) onConfirm(answer func(*Reply), m *ConfirmCommand) {
	if a.joinPayment(m, answer) {
		a.traceMailbox()
		return
	}
	if a.park(m.GetHoldId(), answer, func() { a.onConfirm(answer, m) }) {
		return
	}
	a.decideNow(answer, func() *decision { return a.decideConfirm(m, answer) })
}

// decideNow makes one decision and queues it for commit and answer. decide returns nil
// when the answer is left to something still running (a payment).
func (a *sectionActor) decideNow(answer func(*Reply), decide func() *decision) {
	a.decideWith(answer, redoer{fn: decide})
}

// decideWith is decideNow with the decision made by decide.
func (a *sectionActor) decideWith(answer func(*Reply), decide redoer) {
	defer a.traceMailbox()
	var d *decision
	if a.st == nil {
		d = (&decision{op: "rejected", fact: true}).fail(a.unavailableErr())
	} else {
		a.lastActive = a.cfg.Clock.Now()
		if d = decide.decide(a); d == nil {
			return
		}
		d.redo = decide
	}
	d.answer = answer
	if d.late { // nothing decided: nothing to wait for
		a.answer(d, nil)
		return
	}
	a.enqueue(d)
}

func (a *sectionActor) unavailableErr() error {
	if a.activationErr != nil {
		return a.activationErr
	}
	return Unavailable("section is moving; retry")
}

// enqueue answers a decision at once when nothing before it is uncommitted, it writes
// nothing and its answer is a fact (see needsFence); otherwise it waits for its batch: a
// refusal waits for the next batch, one that writes or one sent only to confirm the
// fence. A decision answered at once still goes out in a batch when it has attempts to
// record.
func (a *sectionActor) enqueue(d *decision) {
	if !d.writes() && !a.uncommitted() && !d.needsFence() {
		a.answer(d, nil)
		if !hasAttempts([]*decision{d}) {
			return
		}
		d.answered = true
	} else {
		a.waiting = true
	}
	a.pending = append(a.pending, d)
	a.flush()
}

// uncommitted reports whether a decision that changed something, or one that waits for
// such a decision, has not committed yet.
func (a *sectionActor) uncommitted() bool {
	return a.waiting || (a.inflight != nil && !a.written.RecordOnly)
}

func (a *sectionActor) answer(d *decision, override *Reply) {
	if d.answered {
		return
	}
	r := d.reply
	if override != nil {
		r = override
	}
	if d.late {
		a.cfg.Metrics.refused(RefusedExpired)
		if d.answer != nil {
			d.answer(r)
		}
		return
	}
	outcome := "ok"
	if r != nil && r.GetCode() != ErrorCode_ERROR_CODE_NONE {
		outcome = "refused"
		if r.GetCode() == ErrorCode_ERROR_CODE_UNAVAILABLE {
			outcome = "failed"
		}
	}
	if a.tally == nil { // answered before or without an activation (rejectAll)
		a.tally = newDecisionTally(a.cfg.Metrics, a.key)
	}
	a.tally.add(d.op, outcome)
	a.decisions++
	if d.answer != nil && r != nil {
		d.answer(r)
	}
}

func (a *sectionActor) status() *StatusReply {
	r := &StatusReply{Node: a.cfg.NodeName, Pending: int32(len(a.pending)), InFlight: int32(len(a.inflight))}
	if a.st != nil {
		r.Epoch, r.Version, r.ActiveHolds = a.st.epoch, a.st.version, int32(a.st.activeHolds)
	}
	return r
}

// arrival is when the message being received entered the mailbox, in database time
// (corrected by the same skew as now); zero when unknown.
func (a *sectionActor) arrival() time.Time {
	t := a.depth.arrival()
	if t.IsZero() || a.st == nil {
		return time.Time{}
	}
	return t.Add(a.st.skew)
}

// decideArrived runs decide as the decision of a command that arrived at arrived (zero:
// unknown), for a command decided after the message that brought it.
func (a *sectionActor) decideArrived(arrived time.Time, decide func()) {
	prev := a.arrived
	a.arrived = arrived
	defer func() { a.arrived = prev }()
	decide()
}

// now is database time: local time corrected by the skew measured at activation.
func (a *sectionActor) now() time.Time { return a.cfg.Clock.Now().Add(a.st.skew) }

func (a *sectionActor) traceMailbox() {
	now := time.Now()
	if now.Sub(a.lastMailbox) < 100*time.Millisecond {
		return
	}
	a.lastMailbox = now
	depth := a.queued()
	a.cfg.Metrics.mailbox(a.key, depth)
	a.cfg.Tracer.Trace(Trace{Type: TraceMailbox, At: now, Node: a.cfg.NodeName, Actor: a.key.Identity(), Depth: depth})
}

func (a *sectionActor) onStopping(ctx actor.Context) {
	if a.expiryTimer != nil {
		a.expiryTimer.Stop()
	}
	if a.idleTimer != nil {
		a.idleTimer.Stop()
	}
	if a.attemptTimer != nil {
		a.attemptTimer.Stop()
	}
	a.stopPause()
	uncertain := a.awaitInflight()
	stopped := ErrorReply(Unavailable("section stopped; retry"))
	written := len(a.inflight)
	for i, d := range append(a.inflight, a.pending...) {
		if p := d.paid; p != nil { // a confirm not written, or written with an unknown outcome
			if uncertain && i < written {
				a.settle(p.holdID, p.orderID, p.charge)
			} else {
				a.refund(p.holdID, p.charge, "the section stopped before its confirm was written")
			}
		}
		a.answer(d, stopped)
	}
	a.inflight, a.pending = nil, nil
	for _, p := range a.paying {
		a.dropPayment(p, stopped)
	}
	a.paying, a.payingKeys = nil, nil
	a.recordHandOver()
	if a.lease != nil {
		a.lease.release()
	}
	a.mailboxes.forget(ctx)
	if a.activated {
		// Every stop of an activation is traced: idle passivation, fencing, shutdown.
		a.cfg.Metrics.passivated(a.key)
		a.cfg.Tracer.Trace(Trace{Type: TracePassivation, At: time.Now(), Node: a.cfg.NodeName, Actor: a.key.Identity()})
	}
}

// awaitInflight waits, when the actor stops with a batch being written, for that write to
// end (at most CommitTimeout), and answers the batch's callers if it committed. Answering
// them "retry" while the batch may still commit would make a retried release or cancel
// find its work done already and fail. It reports whether a batch is left whose outcome
// is unknown.
func (a *sectionActor) awaitInflight() (uncertain bool) {
	if a.inflight == nil || a.inflightDone == nil {
		return false
	}
	t := time.NewTimer(a.cfg.CommitTimeout)
	defer t.Stop()
	select {
	case err := <-a.inflightDone:
		if err != nil {
			return !errors.Is(err, ErrFenced) && !errors.Is(err, ErrRolledBack)
		}
		for _, d := range a.inflight {
			a.answer(d, nil)
		}
		a.inflight = nil
		return false
	case <-t.C:
		return true
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

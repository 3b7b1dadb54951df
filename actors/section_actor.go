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

	// pending decisions are made but not yet being written; inflight ones are being
	// written now. In memory, state = committed + inflight + pending.
	pending  []*decision
	inflight []*decision
	// inflightDone receives the in-flight batch's result, for onStopping.
	inflightDone <-chan error

	expiryTimer Timer
	nextExpiry  time.Time
	idleTimer   Timer
	lastActive  time.Time
	lastMailbox time.Time
	// activationErr answers every message when the activation failed.
	activationErr error
	// activated is set once the section loaded (st is cleared again when fenced).
	activated bool
}

// The actor's messages to itself. They never leave the node, so they need not be protobuf.
type (
	batchDone struct {
		err      error
		version  int64
		took     time.Duration
		attempts int
	}
	expireTick struct{}
	idleTick   struct{}
)

// Receive handles one message.
func (a *sectionActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *protocluster.ClusterInit:
		a.activate(ctx, m.Identity.GetIdentity())
	case *HoldCommand:
		a.handle(ctx, func() *decision { return a.decideHold(m) })
	case *ReleaseCommand:
		a.handle(ctx, func() *decision { return a.decideRelease(m) })
	case *ExtendCommand:
		a.handle(ctx, func() *decision { return a.decideExtend(m) })
	case *ConfirmCommand:
		a.handle(ctx, func() *decision { return a.decideConfirm(context.Background(), m) })
	case *CancelCommand:
		a.handle(ctx, func() *decision { return a.decideCancel(m) })
	case *StatusQuery:
		ctx.Respond(a.status())
	case *batchDone:
		a.onBatchDone(ctx, m)
	case *expireTick:
		a.onExpireTick()
	case *idleTick:
		a.onIdleTick(ctx)
	case *actor.Stopping:
		a.onStopping(ctx)
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

	if a.cfg.Leases != nil {
		a.lease = newLeaseKeeper(a.cfg, a.key)
		a.lease.acquire()
	}
	actx, cancel := context.WithTimeout(context.Background(), a.cfg.CommitTimeout)
	snap, err := a.cfg.Store.Activate(actx, a.key)
	cancel()
	if err != nil {
		// Leave st nil: every message is answered with this error until the stop.
		a.log.Warn("activation failed", zap.Error(err))
		a.rejectAll(ctx, err)
		return
	}
	a.st = newSectionState(snap, a.cfg.Clock.Now())
	a.activated = true
	a.lastActive = a.cfg.Clock.Now()
	a.rescheduleExpiry()
	a.scheduleIdle()
	a.cfg.Metrics.activated(a.key, a.depth.value)
	tr := Trace{Type: TraceActivation, At: time.Now(), Node: a.cfg.NodeName, Actor: identity,
		Epoch: snap.Epoch, Version: snap.Version, Millis: ms(time.Since(start))}
	if failover, ok := a.lease.takeover(a.cfg.Clock.Now()); ok {
		a.cfg.Metrics.failover(failover)
		tr.Action, tr.Millis = ActivationTakeover, ms(failover)
		a.log.Info("took the section over from an owner that did not hand it over",
			zap.Duration("failover", failover), zap.Duration("uncertainty", a.cfg.LeaseTTL/3))
	}
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

// handle makes one decision and queues it for commit and answer.
func (a *sectionActor) handle(ctx actor.Context, decide func() *decision) {
	sender := ctx.Sender()
	var d *decision
	if a.st == nil {
		d = (&decision{op: "rejected"}).fail(a.unavailableErr())
	} else {
		d = decide()
		a.lastActive = a.cfg.Clock.Now()
	}
	if sender != nil {
		root := a.root
		if root == nil {
			root = ctx.ActorSystem().Root
		}
		d.answer = func(r *Reply) { root.Send(sender, r) }
	}
	a.enqueue(d)
	a.traceMailbox()
}

func (a *sectionActor) unavailableErr() error {
	if a.activationErr != nil {
		return a.activationErr
	}
	return Unavailable("section is moving; retry")
}

// enqueue answers a decision at once when nothing before it is uncommitted and it
// writes nothing; otherwise it waits for its batch.
func (a *sectionActor) enqueue(d *decision) {
	if !d.writes() && len(a.pending) == 0 && a.inflight == nil {
		a.answer(d, nil)
		return
	}
	a.pending = append(a.pending, d)
	a.flush()
}

func (a *sectionActor) answer(d *decision, override *Reply) {
	r := d.reply
	if override != nil {
		r = override
	}
	outcome := "ok"
	if r != nil && r.GetCode() != ErrorCode_ERROR_CODE_NONE {
		outcome = "refused"
		if r.GetCode() == ErrorCode_ERROR_CODE_UNAVAILABLE {
			outcome = "failed"
		}
	}
	a.cfg.Metrics.decided(a.key, d.op, outcome)
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

// now is database time: local time corrected by the skew measured at activation.
func (a *sectionActor) now() time.Time { return a.cfg.Clock.Now().Add(a.st.skew) }

func (a *sectionActor) traceMailbox() {
	now := time.Now()
	if now.Sub(a.lastMailbox) < 100*time.Millisecond {
		return
	}
	a.lastMailbox = now
	depth := a.depth.value()
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
	a.awaitInflight()
	for _, d := range append(a.inflight, a.pending...) {
		a.answer(d, ErrorReply(Unavailable("section stopped; retry")))
	}
	a.inflight, a.pending = nil, nil
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
// find its work done already and fail.
func (a *sectionActor) awaitInflight() {
	if a.inflight == nil || a.inflightDone == nil {
		return
	}
	t := time.NewTimer(a.cfg.CommitTimeout)
	defer t.Stop()
	select {
	case err := <-a.inflightDone:
		if err != nil {
			return
		}
		for _, d := range a.inflight {
			a.answer(d, nil)
		}
		a.inflight = nil
	case <-t.C:
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

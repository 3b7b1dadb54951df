package actors

import (
	"context"
	"encoding/hex"
	"errors"
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"
	"go.uber.org/zap"
)

// flush starts writing every pending decision as one batch, unless a batch is already
// being written (then they go out next, together with whatever else arrives).
func (a *sectionActor) flush() { a.flushNow(false) }

// flushNow is flush; with force, the attempts of decisions answered already go out at
// once instead of lingering for a batch that writes something else.
//
// A refusal (any answer read from memory that is not a fact) is answered only once a
// fenced batch sent after it was decided has committed: the next batch that writes, or,
// when nothing pending writes, a batch of no attempts sent at once, which the store
// answers with one read of the section's epoch and version (the attempts keep lingering
// as those of answered decisions do, unless many gathered: then they confirm the fence
// themselves). Memory may be stale: a newer activation may have changed the seats since,
// and only the fence says it has not.
func (a *sectionActor) flushNow(force bool) {
	if a.inflight != nil || len(a.pending) == 0 {
		return
	}
	confirm, readOnly := false, false
	if !a.pendingWrites() {
		// Nothing pending writes, and nothing uncommitted is left before the pending
		// decisions: facts are answered now, refusals wait for the confirming batch.
		if a.waiting {
			for _, d := range a.pending {
				switch {
				case d.answered:
				case d.needsFence():
					confirm = true
				default:
					a.answer(d, nil)
					d.answered = true
				}
			}
			a.waiting = confirm
		}
		if !confirm && (!a.cfg.RecordAttempts || !hasAttempts(a.pending)) {
			a.pending = nil
			return
		}
		// The attempts of answered decisions ride with the next batch that writes, so
		// that a batch of attempts alone does not hold the write slot while holds wait;
		// they go alone when none comes soon or many gather, or at once with refusals
		// waiting for their answer.
		if !force && len(a.pending) < maxLingeringAttempts {
			if !confirm {
				a.lingerAttempts()
				return
			}
			readOnly = a.cfg.RecordAttempts
		}
	}
	ds := a.pending
	a.pending, a.waiting = nil, false
	b, err := a.confirmBatch(), error(nil)
	if !readOnly {
		b, err = a.buildBatch(ds, confirm)
	}
	if err != nil {
		a.log.Error("cannot encode batch", zap.Error(err))
		a.undo(ds, errPersist, false)
		return
	}
	if b == nil { // answered already, with no attempts to record
		for _, d := range ds {
			a.answer(d, nil)
		}
		return
	}
	a.inflight, a.written, a.inflightSince = ds, b, a.cfg.Clock.Now()
	done := make(chan error, 1)
	a.inflightDone = done
	store, timeout, self, root := a.cfg.Store, a.cfg.CommitTimeout, a.self, a.root
	go func() {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := store.Commit(ctx, b)
		cancel()
		done <- err // for a stopping actor, which receives no more messages
		version := b.Version + 1
		if b.RecordOnly {
			version = b.Version
		}
		root.Send(self, &batchDone{err: err, version: version, took: time.Since(start)})
	}()
}

// confirmBatch is a batch of no attempts: committing it only confirms the fence.
func (a *sectionActor) confirmBatch() *Batch {
	s := a.st
	return &Batch{Key: s.key, Epoch: s.epoch, Version: s.version, RecordOnly: true, Chain: s.chain,
		LastSeq: s.attemptSeq, Digest: s.digest}
}

// lingerConfirmed puts the attempts of ds, answered on a batch that only confirmed the
// fence, back in front of the pending decisions (decided after ds), to linger as those
// of answered decisions do.
func (a *sectionActor) lingerConfirmed(ds []*decision) {
	kept := make([]*decision, 0, len(ds))
	for _, d := range ds {
		d.answered = true
		if hasAttempts([]*decision{d}) {
			kept = append(kept, d)
		}
	}
	if len(kept) == 0 {
		return
	}
	a.pending = append(kept, a.pending...)
	a.lingerAttempts()
}

// pendingWrites reports whether a pending decision changed something.
func (a *sectionActor) pendingWrites() bool {
	if !a.waiting {
		return false // only answered decisions are pending
	}
	for _, d := range a.pending {
		if d.writes() {
			return true
		}
	}
	return false
}

// buildBatch collects what ds wrote. Because no other batch is in flight, the state in
// memory is exactly committed + ds, so each touched row is written in its final state.
// When ds write nothing, it is a batch of their attempts alone; nil when they have none
// and no refusal waits for the fence to be confirmed (confirm).
func (a *sectionActor) buildBatch(ds []*decision, confirm bool) (*Batch, error) {
	any := false
	for _, d := range ds {
		if d.writes() {
			any = true
			break
		}
	}
	s := a.st
	if !any {
		if !confirm && (!a.cfg.RecordAttempts || !hasAttempts(ds)) {
			return nil, nil
		}
		b := a.confirmBatch()
		b.Attempts = a.recordAttempts(ds, s.attemptSeq, s.version)
		b.LastSeq = s.attemptSeq + int64(len(b.Attempts))
		b.Digest = foldAttempts(s.digest, b.Attempts)
		return b, nil
	}
	b := &Batch{Key: s.key, Epoch: s.epoch, Version: s.version, Held: s.held, Sold: s.sold, NextExpiry: a.earliestExpiry()}
	b.Attempts = a.recordAttempts(ds, s.attemptSeq, s.version+1)
	b.LastSeq = s.attemptSeq + int64(len(b.Attempts))
	b.Digest = foldAttempts(s.digest, b.Attempts)
	if s.sharedLimit {
		b.UserTickets, b.MaxTicketsPerUser = userTicketChanges(ds), s.maxPerUser
	}
	seenSeat := make(map[int]bool)
	seenHold := make(map[string]bool)
	seenOrder := make(map[string]bool)
	now := a.now()
	for _, d := range ds {
		for _, i := range d.seats {
			if !seenSeat[i] {
				seenSeat[i] = true
				seat := s.seats[i]
				b.Seats = append(b.Seats, SeatChange{ID: seat.ID, Status: seat.Status, HoldID: seat.HoldID, OrderID: seat.OrderID})
			}
		}
		for _, id := range d.holds {
			if !seenHold[id] {
				seenHold[id] = true
				b.Holds = append(b.Holds, *s.holds[id])
			}
		}
		for _, id := range d.orders {
			if !seenOrder[id] {
				seenOrder[id] = true
				b.Orders = append(b.Orders, *s.orders[id])
			}
		}
		b.Keys = append(b.Keys, d.keys...)
		for _, ev := range d.events {
			msg, err := NewOutboxMessage(uuid.NewString(), ev.typ, now, s.key, ev.build(s.version+1))
			if err != nil {
				return nil, err
			}
			b.Outbox = append(b.Outbox, msg)
		}
	}
	changed := SectionChanged{Version: s.version + 1, Kind: s.kind, Changes: make([]SeatStatusChange, 0, len(b.Seats)),
		Capacity: s.capacity, Available: s.available(), Held: s.held, Sold: s.sold}
	for _, c := range b.Seats {
		changed.Changes = append(changed.Changes, SeatStatusChange{ID: c.ID, Status: c.Status})
	}
	b.Chain = ChainLink(s.chain, s.version+1, b.LastSeq, b.Digest, changed.Changes)
	changed.Chain, changed.AttemptSeq = hex.EncodeToString(b.Chain), b.LastSeq
	msg, err := NewOutboxMessage(uuid.NewString(), TypeSectionChanged, now, s.key, changed)
	if err != nil {
		return nil, err
	}
	b.Outbox = append(b.Outbox, msg)
	return b, nil
}

// userTicketChanges sums what ds moved of each user's tickets: one change per user,
// sorted by user (the store locks the users' counts in that order), none zero.
func userTicketChanges(ds []*decision) []UserTicketChange {
	net := make(map[string]int)
	for _, d := range ds {
		for _, m := range d.tickets {
			net[m.user] += m.n
		}
	}
	out := make([]UserTicketChange, 0, len(net))
	for u, n := range net {
		if n != 0 {
			out = append(out, UserTicketChange{UserID: u, Delta: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

// The answers of decisions undone because their batch failed, by cause.
var (
	errPersist      = Unavailable("could not persist the decision; retry")
	errMoved        = Unavailable("section moved; retry")
	errUnknownWrite = Unavailable("the outcome of the write is unknown; retry")
)

// onBatchDone answers the batch's callers, in decision order, once it committed, and
// forgets what it finished; or undoes it (and everything decided on top of it) when it
// failed. A batch that certainly did not commit leaves the section carrying on; a fenced
// one, or one whose outcome is unknown, stops the section: memory can no longer be
// trusted, and the next activation loads the truth (a retry with the same idempotency
// key then finds the committed answer, if there is one).
func (a *sectionActor) onBatchDone(ctx actor.Context, m *batchDone) {
	ds, written := a.inflight, a.written
	a.inflight, a.inflightDone, a.written = nil, nil, nil
	outcome := "commit"
	var limit *LimitError
	switch {
	case m.err == nil:
		a.lastCommit = m.took
		a.st.version, a.st.attemptSeq = m.version, written.LastSeq
		a.st.digest, a.st.chain = written.Digest, written.Chain
		a.st.settle(written, a.now(), a.cfg.keyWindow())
		for _, d := range ds {
			a.answer(d, nil)
			d.done()
		}
		if written.RecordOnly {
			a.cfg.Metrics.recordBatch(len(written.Attempts))
			if len(written.Attempts) == 0 && a.cfg.RecordAttempts {
				a.lingerConfirmed(ds)
			}
		} else if a.cfg.OnCommit != nil {
			a.cfg.OnCommit(a.key, m.version)
		}
	case errors.Is(m.err, ErrFenced):
		outcome = "fenced"
		a.log.Warn("batch fenced: a newer activation owns the section; stopping", zap.Int64("epoch", a.st.epoch))
		a.undo(ds, errMoved, false)
		a.st = nil
		ctx.Stop(ctx.Self())
	case errors.As(m.err, &limit):
		outcome = "rollback"
		a.log.Debug("batch would take users past the per-user ticket limit; deciding it again",
			zap.Int("decisions", len(ds)), zap.Any("committed_tickets", limit.Totals))
		a.redecide(ds, limit.Totals)
	case errors.Is(m.err, ErrRolledBack):
		outcome = "rollback"
		a.log.Warn("batch failed; undone", zap.Error(m.err), zap.Int("decisions", len(ds)))
		a.undo(ds, errPersist, false)
	default:
		outcome = "rollback"
		a.log.Error("batch outcome unknown: it may have committed; stopping so that the next activation loads the truth",
			zap.Error(m.err), zap.Int("decisions", len(ds)), zap.Int64("epoch", a.st.epoch), zap.Int64("version", a.st.version))
		a.undo(ds, errUnknownWrite, true)
		a.st = nil
		ctx.Stop(ctx.Self())
	}
	a.cfg.Metrics.batch(a.key, outcome, len(ds), m.took)
	a.cfg.Tracer.Trace(Trace{Type: TraceBatch, At: time.Now(), Node: a.cfg.NodeName, Actor: a.key.Identity(),
		Decisions: len(ds), Outcome: outcome, Millis: ms(m.took), Version: m.version})
	if a.st != nil {
		a.flush()
	}
}

// redecide undoes ds and every pending decision (decided on top of ds), newest first,
// and decides their commands again in order, with what the store said of the users the
// batch would have taken past the per-user limit: their tickets in the event's other
// sections are the committed total (totals) less their committed tickets here. Each
// command keeps what it was told through later rounds, so their holds stay refused
// LIMIT_EXCEEDED where the count the command came with was stale. Nobody was answered
// yet; everyone else's decisions go out in the next batch. A confirm decided again
// carries its payment on: nothing is refunded.
func (a *sectionActor) redecide(ds []*decision, totals map[string]int) {
	all := append(ds, a.pending...)
	a.pending, a.waiting = nil, false
	for i := len(all) - 1; i >= 0; i-- {
		all[i].rollback()
	}
	learned := make(map[string]int, len(totals))
	for user, total := range totals {
		learned[user] = max(0, total-a.st.userTickets[user])
	}
	for _, d := range all {
		if d.answered { // a refusal answered already: only its attempt is left to write
			a.pending = append(a.pending, d)
			continue
		}
		a.waiting = true
		if !d.redo.set() { // its answer does not depend on the state (a conflicting retry)
			a.pending = append(a.pending, d)
			continue
		}
		known := mergeElsewhere(d.elsewhere, learned)
		a.elsewhere = known
		again := d.redo.decide(a)
		a.elsewhere = nil
		if again == nil { // left to a payment, which answers
			continue
		}
		again.answer, again.redo, again.elsewhere = d.answer, d.redo, known
		a.pending = append(a.pending, again)
	}
	a.armExpiry()
}

// mergeElsewhere returns the larger count of each user of a and b; b itself when a is
// empty (neither is changed afterwards).
func mergeElsewhere(a, b map[string]int) map[string]int {
	if len(a) == 0 {
		return b
	}
	out := make(map[string]int, len(a)+len(b))
	for u, n := range a {
		out[u] = n
	}
	for u, n := range b {
		out[u] = max(out[u], n)
	}
	return out
}

// undo undoes ds and every pending decision (they were decided on top of ds), newest
// first, and answers all of them with cause (retryable). The charges they carry are given
// back: refunded, or, for those of ds when their batch may have committed, settled
// against the store.
func (a *sectionActor) undo(ds []*decision, cause *Error, mayHaveCommitted bool) {
	all := append(ds, a.pending...)
	a.pending, a.waiting = nil, false
	for i := len(all) - 1; i >= 0; i-- {
		all[i].rollback()
	}
	reply := ErrorReply(cause)
	for i, d := range all {
		if p := d.paid; p != nil {
			if mayHaveCommitted && i < len(ds) {
				a.settle(p.holdID, p.orderID, p.charge)
			} else {
				a.refund(p.holdID, p.charge, "the batch of its confirm failed")
			}
		}
		a.answer(d, reply)
	}
	if a.st != nil {
		a.armExpiry()
	}
}

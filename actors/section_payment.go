package actors

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"
)

// A confirm is reserve → pay → commit. The actor checks the hold and marks it paying
// (decideConfirm); the charge runs on a goroutine of its own, bounded by the confirm's
// deadline, so a slow provider never stalls the mailbox; its outcome comes back as a
// paymentDone message, and the actor decides on the hold as it is then: approved and
// still held, the seats are sold in the next batch; declined, 402 and the hold stays
// held. While a hold is paying:
//   - a retry of the confirm with the same idempotency key waits for the same payment
//     (it never pays twice);
//   - release, extend and any other confirm of the hold wait for the outcome, then are
//     decided on what it left (HOLD_NOT_ACTIVE after a sale, as usual after a decline);
//   - expiry waits too: a hold whose time ran out while it was paid for is sold if the
//     payment was approved (it started in time), and expires at once otherwise.
// A charge whose confirm does not happen after all (its batch failed, its hold was
// undone, the section stopped) is refunded; one whose batch's outcome is unknown is
// settled against the store: kept if the order committed, refunded otherwise.

// payment is one confirm's charge in flight.
type payment struct {
	holdID  string
	userID  string
	cmd     *ConfirmCommand
	arrived time.Time // when cmd entered the mailbox (database time; zero: unknown)
	key     idemKey
	hash    []byte
	charge  PaymentRecord
	waiters []func(*Reply) // the confirm's caller and its retries (nil: nobody waits)
	parked  []parkedCommand

	mu        sync.Mutex
	done      bool  // the provider answered err
	err       error // nil: approved
	abandoned bool  // the section stopped first: the charge goroutine refunds an approval
}

// parkedCommand is a command on a paying hold, decided again once the payment ended.
type parkedCommand struct {
	answer func(*Reply)
	retry  func()
}

// paymentDone brings a payment's outcome back to the actor.
type paymentDone struct{ p *payment }

// finish records the provider's answer; false when the section stopped meanwhile.
func (p *payment) finish(err error) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.err = true, err
	return !p.abandoned
}

// abandon marks the payment as one the section will not decide on, and reports whether
// the provider already approved it (then the caller refunds it; otherwise the charge
// goroutine does when an approval comes).
func (p *payment) abandon() (approved bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.abandoned = true
	return p.done && p.err == nil
}

// answerAll sends r to every waiter.
func (p *payment) answerAll(r *Reply) {
	for _, w := range p.waiters {
		if w != nil {
			w(r)
		}
	}
}

// startPayment marks h paying and starts the charge for it.
func (a *sectionActor) startPayment(h *Hold, k idemKey, cmd *ConfirmCommand, answer func(*Reply)) {
	s := a.st
	p := &payment{
		holdID: h.ID, userID: h.UserID, cmd: cmd, arrived: a.arrived, key: k, hash: cmd.GetRequestHash(),
		charge:  PaymentRecord{Token: cmd.GetPaymentToken(), AmountCents: s.priceCents * int64(h.Quantity), Currency: s.currency},
		waiters: []func(*Reply){answer},
	}
	a.paying[h.ID] = p
	if k.key != "" {
		a.payingKeys[k] = p
	}
	ctx, cancel := context.WithDeadline(context.Background(), a.paymentDeadline(cmd))
	payments, self, root := a.cfg.Payments, a.self, a.root
	go func() {
		defer cancel()
		err := ctx.Err()
		if err == nil {
			err = payments.Charge(ctx, p.charge.Token, p.charge.AmountCents, p.charge.Currency)
		} else {
			err = Unavailable("the confirm's deadline passed before its payment started")
		}
		if p.finish(err) {
			root.Send(self, &paymentDone{p: p})
			return
		}
		if err == nil {
			a.refund(p.holdID, p.charge, "the section stopped while the payment ran")
		}
	}()
}

// paymentDeadline is the confirm's deadline, or, when it carries none (or one further
// out), the longest a Client waits for its answer.
func (a *sectionActor) paymentDeadline(cmd *ConfirmCommand) time.Time {
	latest := time.Now().Add(a.cfg.RetryHorizon)
	if us := cmd.GetDeadlineUnixMicro(); us > 0 {
		if dl := time.UnixMicro(us); dl.Before(latest) {
			return dl
		}
	}
	return latest
}

// joinPayment makes a confirm whose idempotency key is being paid for wait for that
// payment (or answers IDEMPOTENCY_CONFLICT when the key came with another request); false
// when no payment runs under the key.
func (a *sectionActor) joinPayment(cmd *ConfirmCommand, answer func(*Reply)) bool {
	if a.st == nil || cmd.GetIdempotencyKey() == "" {
		return false
	}
	p := a.payingKeys[idemKey{cmd.GetUserId(), cmd.GetIdempotencyKey()}]
	if p == nil {
		return false
	}
	if !bytes.Equal(p.hash, cmd.GetRequestHash()) {
		d := (&decision{op: "confirm"}).fail(ErrIdempotencyConflict)
		d.answer = answer
		a.enqueue(d)
		return true
	}
	p.waiters = append(p.waiters, answer)
	return true
}

// park makes a command on a paying hold wait for the payment's outcome; false when the
// hold is not paying.
func (a *sectionActor) park(holdID string, answer func(*Reply), retry func()) bool {
	if a.st == nil {
		return false
	}
	p := a.paying[holdID]
	if p == nil {
		return false
	}
	arrived := a.arrived
	p.parked = append(p.parked, parkedCommand{answer: answer, retry: func() { a.decideArrived(arrived, retry) }})
	return true
}

// onPaymentDone decides the confirm on the payment's outcome, then the commands that
// waited for it.
func (a *sectionActor) onPaymentDone(m *paymentDone) {
	p := m.p
	if a.paying[p.holdID] != p {
		return
	}
	delete(a.paying, p.holdID)
	if a.payingKeys[p.key] == p {
		delete(a.payingKeys, p.key)
	}
	if a.st == nil { // fenced meanwhile: nothing more is decided here
		a.dropPayment(p, ErrorReply(a.unavailableErr()))
		return
	}
	decide := func() *decision { return a.decidePayment(p) }
	d := decide()
	d.answer, d.redo = p.answerAll, redoer{fn: decide}
	a.lastActive = a.cfg.Clock.Now()
	a.enqueue(d)
	if h, ok := a.st.holds[p.holdID]; ok && h.Status == HoldHeld {
		a.st.pushExpiry(h) // the expiry tick passed it over while it was paid for
	}
	a.armExpiry()
	for _, c := range p.parked {
		c.retry()
	}
}

// decidePayment decides a confirm on its payment's outcome and the hold as it is now.
func (a *sectionActor) decidePayment(p *payment) *decision {
	d := &decision{op: "confirm"}
	var note *attemptNote
	a.decideArrived(p.arrived, func() { note = a.noteCommand(d, ActionConfirm, p.userID, p.cmd) })
	note.about(nil, p.holdID)
	h, held := a.st.holds[p.holdID]
	if held {
		note.about(h.Seats, h.ID)
	}
	held = held && h.Status == HoldHeld && h.UserID == p.userID
	switch {
	case p.err == nil && held:
		a.confirmHold(d, h, p)
	case p.err == nil:
		// The hold was undone (the batch that placed it failed) while it was paid for.
		a.refund(p.holdID, p.charge, "the hold was undone while it was paid for")
		d.fail(Unavailable("the hold changed while its payment ran; the charge was refunded; retry"))
	case errors.Is(p.err, ErrPaymentDeclined):
		declined := PaymentProcessed{HoldID: p.holdID, UserID: p.userID, AmountCents: p.charge.AmountCents,
			Currency: p.charge.Currency, Status: "declined"}
		d.emit(TypePaymentProcessed, func(int64) any { return declined })
		d.fail(p.err)
	default:
		d.fail(p.err)
	}
	return d
}

// dropPayment answers everyone waiting on p with reply, when the section will not decide
// on it, and gives an approved charge back (now, or when the provider answers).
func (a *sectionActor) dropPayment(p *payment, reply *Reply) {
	if p.abandon() {
		a.refund(p.holdID, p.charge, "the section stopped before it could confirm the hold")
	}
	p.answerAll(reply)
	for _, c := range p.parked {
		if c.answer != nil {
			c.answer(reply)
		}
	}
}

// refund gives a charge back, off the mailbox.
func (a *sectionActor) refund(holdID string, charge PaymentRecord, why string) {
	payments, timeout, log := a.cfg.Payments, a.cfg.CommitTimeout, a.log
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		fields := []zap.Field{zap.String("hold", holdID), zap.Int64("amount_cents", charge.AmountCents),
			zap.String("currency", charge.Currency), zap.String("why", why)}
		if err := payments.Refund(ctx, charge.Token, charge.AmountCents, charge.Currency); err != nil {
			log.Error("refund failed: the charge must be given back by hand", append(fields, zap.Error(err))...)
			return
		}
		log.Info("refunded a charge whose confirm did not happen", fields...)
	}()
}

// settleAttempts bounds how often a charge whose batch has an unknown outcome is checked
// against the store before it is left to be reconciled by hand.
const settleAttempts = 5

// settle decides on the charge of a confirm whose batch may or may not have committed:
// the store says, once the section's writes in flight have ended, whether the hold was
// sold to orderID; the charge is kept if so and refunded otherwise.
func (a *sectionActor) settle(holdID, orderID string, charge PaymentRecord) {
	store, key, timeout, log := a.cfg.Store, a.key, a.cfg.CommitTimeout, a.log
	go func() {
		wait := 100 * time.Millisecond
		var err error
		for range settleAttempts {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			var got string
			got, err = store.OrderOfHold(ctx, key, holdID)
			cancel()
			if err == nil {
				if got == orderID {
					log.Info("the confirm of an unknown batch outcome committed; its charge stands",
						zap.String("hold", holdID), zap.String("order", orderID))
					return
				}
				a.refund(holdID, charge, "the batch of its confirm did not commit")
				return
			}
			time.Sleep(wait)
			wait *= 2
		}
		log.Error("cannot tell whether a paid confirm committed: reconcile the charge by hand",
			zap.String("hold", holdID), zap.String("order", orderID), zap.Int64("amount_cents", charge.AmountCents),
			zap.String("currency", charge.Currency), zap.Error(err))
	}()
}

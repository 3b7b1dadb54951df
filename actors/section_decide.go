package actors

import "bytes"

// The decisions of a section, one per command. Each runs on the actor's goroutine
// against in-memory state that includes every decision not yet committed.

func (a *sectionActor) decideHold(cmd *HoldCommand) *decision {
	s := a.st
	d := &decision{op: "hold"}
	note := a.noteCommand(d, ActionHold, cmd.GetUserId(), cmd)
	note.about(cmd.GetSeats(), "")
	k := idemKey{cmd.GetUserId(), cmd.GetIdempotencyKey()}
	if s.replay(d, k, cmd.GetRequestHash()) {
		return d
	}
	if k.key != "" && a.payingKeys[k] != nil { // the key's first request is a confirm being paid
		return d.fail(ErrIdempotencyConflict)
	}
	if a.tooLate(d, cmd.GetDeadlineUnixMicro()) {
		return d
	}
	qty, err := s.validateHold(cmd)
	if err != nil {
		return d.fail(err)
	}
	// The count the command came with, or the store's if a refused batch told a larger one.
	elsewhere := max(int(cmd.GetTicketsElsewhere()), a.elsewhere[cmd.GetUserId()])
	if s.userTickets[cmd.GetUserId()]+elsewhere+qty > s.maxPerUser {
		return d.fail(ErrLimitExceeded)
	}
	var picked []int
	switch {
	case s.kind == KindGeneralAdmission:
		if s.available() < qty {
			return d.fail(ErrSoldOut)
		}
	case len(cmd.GetSeats()) > 0:
		var taken []string
		for _, id := range cmd.GetSeats() {
			i := s.seatIdx[id]
			if s.seats[i].Status != SeatAvailable {
				if len(taken) == 0 {
					note.causedBy(s.seatNote[i])
				}
				taken = append(taken, id)
			}
			picked = append(picked, i)
		}
		if len(taken) > 0 {
			return d.fail(SeatsUnavailable(taken))
		}
	default:
		if s.fewerFree(qty) { // most refusals of a rush: no scan of every seat to find none
			return d.fail(ErrSoldOut)
		}
		ids, ok := BestAvailable(s.seats, qty, cmd.GetAccessible())
		if !ok {
			return d.fail(ErrSoldOut)
		}
		for _, id := range ids {
			picked = append(picked, s.seatIdx[id])
		}
	}

	now := a.now()
	h := &Hold{
		ID: NewID("h_"), EventID: s.key.EventID, SectionID: s.key.SectionID, UserID: cmd.GetUserId(),
		Seats: make([]string, 0, len(picked)), Quantity: qty, Status: HoldHeld,
		ExpiresAt: now.Add(a.cfg.HoldTTL), CreatedAt: now, UpdatedAt: now,
	}
	for _, i := range picked {
		s.setSeat(d, i, SeatHeld, h.ID, "")
		h.Seats = append(h.Seats, s.seats[i].ID)
	}
	if s.kind == KindGeneralAdmission {
		s.addPlaces(d, qty, 0)
	}
	s.putHold(d, h)
	s.addTickets(d, h.UserID, qty)
	note.about(h.Seats, h.ID)
	d.reply = HoldReply(*h)
	if k.key != "" {
		s.putKey(d, k, cmd.GetRequestHash(), d.reply)
	}
	held := *h
	d.emit(TypeSeatReserved, func(v int64) any {
		return SeatReserved{HoldID: held.ID, UserID: held.UserID, Seats: held.Seats, Quantity: held.Quantity, ExpiresAt: held.ExpiresAt, SectionVersion: v}
	})
	a.scheduleExpiry(h.ExpiresAt)
	return d
}

// replay answers d from the first answer to an idempotency key, or with
// IDEMPOTENCY_CONFLICT when the key came with another request; false when the key is new.
func (s *sectionState) replay(d *decision, k idemKey, hash []byte) bool {
	if k.key == "" {
		return false
	}
	e, ok := s.keys[k]
	switch {
	case !ok:
		return false
	case !bytes.Equal(e.hash, hash):
		d.fail(ErrIdempotencyConflict)
	default:
		d.reply = e.reply
	}
	// A replay of an answer not committed yet waits for its batch (see enqueue); once
	// committed, the answer is a fact no later activation changes.
	d.fact = true
	return true
}

// validateHold checks a hold command against the rules of every hold request and
// against the section, and returns the quantity.
func (s *sectionState) validateHold(cmd *HoldCommand) (int, error) {
	r := HoldRequest{
		EventID: s.key.EventID, SectionID: s.key.SectionID, UserID: cmd.GetUserId(),
		Seats: cmd.GetSeats(), Quantity: int(cmd.GetQuantity()), Accessible: cmd.GetAccessible(),
	}
	if len(r.Seats) > 0 && r.Quantity == len(r.Seats) {
		r.Quantity = 0 // a quantity that only counts the seats named
	}
	if err := r.Validate(); err != nil {
		return 0, err
	}
	if len(r.Seats) == 0 {
		return r.Quantity, nil
	}
	if s.kind == KindGeneralAdmission {
		return 0, ErrSeatsInGeneralAdmission
	}
	var unknown []string
	for _, id := range r.Seats {
		if _, ok := s.seatIdx[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return 0, UnknownSeats(unknown...)
	}
	return len(r.Seats), nil
}

// activeHold returns the user's active hold or the error a client must see. A hold
// past its expiry is expired here and now (the decision d carries that change). A hold
// the section does not have finished in a committed batch, or never existed: the answer
// errNotInSection sends the client to the store, so no history is kept in memory.
func (a *sectionActor) activeHold(d *decision, holdID, userID string) (*Hold, error) {
	h, ok := a.st.holds[holdID]
	if ok && d.note != nil {
		d.note.about(h.Seats, h.ID)
	}
	switch {
	case !ok:
		return nil, errNotInSection
	case h.UserID != userID:
		return nil, ErrForbidden
	case h.Status == HoldExpired:
		return nil, ErrHoldExpired
	case h.Status != HoldHeld:
		return nil, ErrHoldNotActive
	case !a.now().Before(h.ExpiresAt):
		a.finishHold(d, h, HoldExpired, ReasonExpired)
		d.note.causedBy(d.lastExpiry())
		return nil, ErrHoldExpired
	}
	return h, nil
}

func (a *sectionActor) decideRelease(cmd *ReleaseCommand) *decision {
	d := &decision{op: "release"}
	a.noteCommand(d, ActionRelease, cmd.GetUserId(), cmd).about(nil, cmd.GetHoldId())
	k, hash := idemKey{cmd.GetUserId(), cmd.GetIdempotencyKey()}, releaseHash(cmd.GetHoldId())
	if a.st.replay(d, k, hash) || a.tooLate(d, cmd.GetDeadlineUnixMicro()) {
		return d
	}
	h, err := a.activeHold(d, cmd.GetHoldId(), cmd.GetUserId())
	if err != nil {
		return d.fail(err)
	}
	released := a.finishHold(d, h, HoldReleased, ReasonReleased)
	d.reply = HoldReply(*released)
	a.st.rememberKey(d, k, hash)
	return d
}

// finishHold releases or expires a hold: its seats or places become available again.
func (a *sectionActor) finishHold(d *decision, h *Hold, status HoldStatus, reason string) *Hold {
	s := a.st
	if status == HoldExpired {
		defer a.noteExpiry(d, h)()
	}
	for _, id := range h.Seats {
		s.setSeat(d, s.seatIdx[id], SeatAvailable, "", "")
	}
	if s.kind == KindGeneralAdmission {
		s.addPlaces(d, -h.Quantity, 0)
	}
	n := *h
	n.Status, n.UpdatedAt = status, a.now()
	s.putHold(d, &n)
	s.addTickets(d, h.UserID, -h.Quantity)
	d.emit(TypeSeatReleased, func(v int64) any {
		return SeatReleased{HoldID: n.ID, UserID: n.UserID, Seats: n.Seats, Quantity: n.Quantity, Reason: reason, SectionVersion: v}
	})
	return &n
}

func (a *sectionActor) decideExtend(cmd *ExtendCommand) *decision {
	d := &decision{op: "extend"}
	a.noteCommand(d, ActionExtend, cmd.GetUserId(), cmd).about(nil, cmd.GetHoldId())
	k, hash := idemKey{cmd.GetUserId(), cmd.GetIdempotencyKey()}, extendHash(cmd.GetHoldId())
	if a.st.replay(d, k, hash) || a.tooLate(d, cmd.GetDeadlineUnixMicro()) {
		return d
	}
	defer a.st.rememberKey(d, k, hash)
	h, err := a.activeHold(d, cmd.GetHoldId(), cmd.GetUserId())
	if err != nil {
		return d.fail(err)
	}
	now := a.now()
	exp := now.Add(a.cfg.HoldTTL)
	if limit := h.CreatedAt.Add(MaxHoldLifetimes * a.cfg.HoldTTL); exp.After(limit) {
		exp = limit
	}
	if !exp.After(h.ExpiresAt) {
		d.reply = HoldReply(*h) // at the cap already: nothing changes
		return d
	}
	n := *h
	n.ExpiresAt, n.UpdatedAt = exp, now
	a.st.putHold(d, &n)
	d.reply = HoldReply(n)
	return d
}

// decideConfirm checks the hold and starts its payment, off the mailbox: the hold is
// "paying" until the outcome comes back (onPaymentDone), and answer waits for it. It
// returns nil then, or the decision that refuses or replays the confirm at once.
func (a *sectionActor) decideConfirm(cmd *ConfirmCommand, answer func(*Reply)) *decision {
	s := a.st
	d := &decision{op: "confirm"}
	a.noteCommand(d, ActionConfirm, cmd.GetUserId(), cmd).about(nil, cmd.GetHoldId())
	k := idemKey{cmd.GetUserId(), cmd.GetIdempotencyKey()}
	if s.replay(d, k, cmd.GetRequestHash()) || a.tooLate(d, cmd.GetDeadlineUnixMicro()) {
		return d
	}
	h, err := a.activeHold(d, cmd.GetHoldId(), cmd.GetUserId())
	if err != nil {
		return d.fail(err)
	}
	a.startPayment(h, k, cmd, answer)
	return nil
}

// confirmHold sells the hold's seats to a new order, once its payment p was approved.
func (a *sectionActor) confirmHold(d *decision, h *Hold, p *payment) {
	s := a.st
	now := a.now()
	o := &Order{
		ID: NewID("o_"), HoldID: h.ID, EventID: s.key.EventID, SectionID: s.key.SectionID, UserID: h.UserID,
		Seats: h.Seats, Quantity: h.Quantity, Status: OrderConfirmed, TotalCents: p.charge.AmountCents, Currency: p.charge.Currency,
		CreatedAt: now, UpdatedAt: now,
	}
	for _, id := range h.Seats {
		s.setSeat(d, s.seatIdx[id], SeatSold, "", o.ID)
	}
	if s.kind == KindGeneralAdmission {
		s.addPlaces(d, -h.Quantity, h.Quantity)
	}
	n := *h
	n.Status, n.OrderID, n.UpdatedAt = HoldConfirmed, o.ID, now
	s.putHold(d, &n)
	s.putOrder(d, o)
	d.reply = OrderReply(*o)
	if p.key.key != "" {
		s.putKey(d, p.key, p.hash, d.reply)
	}
	d.paid = &paidConfirm{holdID: h.ID, orderID: o.ID, charge: p.charge}
	payment := PaymentProcessed{HoldID: h.ID, UserID: h.UserID, AmountCents: p.charge.AmountCents, Currency: p.charge.Currency,
		Status: "approved", OrderID: o.ID}
	order := *o
	d.emit(TypePaymentProcessed, func(int64) any { return payment })
	d.emit(TypeBookingCreated, func(v int64) any {
		return BookingCreated{OrderID: order.ID, HoldID: order.HoldID, UserID: order.UserID, Seats: order.Seats,
			Quantity: order.Quantity, TotalCents: order.TotalCents, Currency: order.Currency, SectionVersion: v}
	})
}

func (a *sectionActor) decideCancel(cmd *CancelCommand) *decision {
	s := a.st
	d := &decision{op: "cancel"}
	note := a.noteCommand(d, ActionCancel, cmd.GetUserId(), cmd)
	note.about(nil, cmd.GetOrderId())
	k, hash := idemKey{cmd.GetUserId(), cmd.GetIdempotencyKey()}, cancelHash(cmd.GetOrderId())
	if s.replay(d, k, hash) || a.tooLate(d, cmd.GetDeadlineUnixMicro()) {
		return d
	}
	o, ok := s.orders[cmd.GetOrderId()]
	switch {
	case !ok:
		return d.fail(errNotInSection) // cancelled in a committed batch, or never here
	case o.UserID != cmd.GetUserId() && !cmd.GetAdmin():
		return d.fail(ErrForbidden)
	case o.Status != OrderConfirmed:
		return d.fail(ErrOrderCancelled)
	}
	note.about(o.Seats, o.ID)
	for _, id := range o.Seats {
		s.setSeat(d, s.seatIdx[id], SeatAvailable, "", "")
	}
	if s.kind == KindGeneralAdmission {
		s.addPlaces(d, 0, -o.Quantity)
	}
	n := *o
	n.Status, n.UpdatedAt = OrderCancelled, a.now()
	s.putOrder(d, &n)
	s.addTickets(d, n.UserID, -n.Quantity)
	d.reply = OrderReply(n)
	s.rememberKey(d, k, hash)
	d.emit(TypeBookingCancelled, func(v int64) any {
		return BookingCancelled{OrderID: n.ID, UserID: n.UserID, Seats: n.Seats, Quantity: n.Quantity, SectionVersion: v}
	})
	d.emit(TypeSeatReleased, func(v int64) any {
		return SeatReleased{OrderID: n.ID, UserID: n.UserID, Seats: n.Seats, Quantity: n.Quantity, Reason: ReasonCancelled, SectionVersion: v}
	})
	return d
}

// decideExpiries expires every active hold whose time has come, in expiry order. A hold
// being paid for is left to the payment's outcome (onPaymentDone queues it again).
func (a *sectionActor) decideExpiries() *decision {
	d := &decision{op: "expire"}
	now := a.now()
	for {
		e, ok := a.st.expiries.popDue(now)
		if !ok {
			return d
		}
		if !a.st.expiryLive(e) || a.paying[e.holdID] != nil {
			continue
		}
		a.finishHold(d, a.st.holds[e.holdID], HoldExpired, ReasonExpired)
	}
}

// MaxHoldLifetimes caps extensions: a hold lives at most this many hold TTLs in total.
const MaxHoldLifetimes = 3

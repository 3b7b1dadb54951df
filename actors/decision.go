package actors

// decision is the outcome of one message: an answer, the undo steps that restore the
// state it changed, and what the next batch must write for it.
type decision struct {
	op     string       // hold, release, extend, confirm, cancel, expire: for metrics
	reply  *Reply       // nil for decisions nobody waits for (expiry)
	answer func(*Reply) // sends reply to the caller; nil when nobody waits
	undo   []func()

	seats    []int    // indexes of seats changed
	holds    []string // ids of holds changed
	orders   []string // ids of orders changed
	keys     []IdempotencyRecord
	events   []pendingEvent
	counters bool         // general-admission counters changed
	tickets  []ticketMove // users' ticket counts moved, in this section

	// redo decides the command again, on the state as it is then (unset: the answer
	// stands as it is). A batch refused for the per-user limit is undone and its
	// commands, and those decided on top of it, are decided again in order.
	redo redoer
	// elsewhere is what the store said of users' tickets in the event's other sections
	// when this decision's batch was refused for the limit: its redo decides with it, and
	// so does every later redo of the same command, so that what one refusal taught is
	// not forgotten by the next.
	elsewhere map[string]int

	// paid is the approved payment a confirm carries: given back if it is undone.
	paid *paidConfirm
	// late marks a command reached after its deadline: nothing was decided, and the
	// answer (EXPIRED) waits for nothing.
	late bool

	// note is the attempt of the command, expired those of the holds it expired on the
	// way (nil when the section does not record attempts); cur is the expiry being
	// decided, whose seats it frees.
	note    *attemptNote
	expired []*attemptNote
	cur     *attemptNote
	// own is where note is kept: a decision and its command's attempt are made in one
	// allocation. A granted command's attempt stays the cause of its seats' later
	// refusals (sectionState.seatNote), and the decision with it: once committed, a
	// decision lets go of what it no longer needs (done).
	own attemptNote
	// answered is set on a decision answered already that waits only for its attempt to
	// be written: nothing answers it again.
	answered bool
	// fact marks an answer that holds whatever another activation did meanwhile: a
	// replay of a committed answer, or "unavailable". It needs no fenced write after it.
	fact bool
}

// redoer decides a decision's command again (see decision.redo): a hold's command,
// which decideHold decides, or the function that made any other decision. A hold, most
// of a rush's decisions, keeps its command instead of a closure over it, which cost an
// allocation a hold.
type redoer struct {
	hold *HoldCommand
	fn   func() *decision
}

// set reports whether there is anything to decide again.
func (r redoer) set() bool { return r.hold != nil || r.fn != nil }

// decide decides the command again in a.
func (r redoer) decide(a *sectionActor) *decision {
	if r.hold != nil {
		return a.decideHold(r.hold)
	}
	return r.fn()
}

// paidConfirm is a charge and the hold and order it paid for.
type paidConfirm struct {
	holdID  string
	orderID string
	charge  PaymentRecord
}

// ticketMove is n tickets more (or fewer) for a user.
type ticketMove struct {
	user string
	n    int
}

// pendingEvent is an outbox event whose section version is known only when its batch
// is written.
type pendingEvent struct {
	typ   string
	build func(version int64) any
}

// writes reports whether the decision changed anything that must be persisted.
func (d *decision) writes() bool {
	return len(d.seats) > 0 || len(d.holds) > 0 || len(d.orders) > 0 || len(d.keys) > 0 ||
		len(d.events) > 0 || d.counters
}

// needsFence reports whether d's answer waits for a fenced write sent after it was
// decided although d writes nothing: an answer read from memory, such as a refusal, is
// only true while no newer activation owns the section, and only a fenced write that
// commits proves that it still was when d was decided.
func (d *decision) needsFence() bool {
	return !d.fact && !d.late && d.answer != nil && !d.writes()
}

// done lets go of what a committed decision kept to be undone, decided again or
// published: the attempt it holds (own) may outlive it as a seat's cause.
func (d *decision) done() {
	d.undo, d.events, d.redo = nil, nil, redoer{}
}

// rollback undoes the decision's changes in reverse order.
func (d *decision) rollback() {
	for i := len(d.undo) - 1; i >= 0; i-- {
		d.undo[i]()
	}
	d.undo = nil
}

func (d *decision) emit(typ string, build func(version int64) any) {
	d.events = append(d.events, pendingEvent{typ: typ, build: build})
}

func (d *decision) fail(err error) *decision {
	d.reply = ErrorReply(err)
	return d
}

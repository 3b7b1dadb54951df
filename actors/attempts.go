package actors

import (
	"time"

	"google.golang.org/protobuf/proto"
)

// The actions of the attempt log.
const (
	ActionHold    = "hold"
	ActionRelease = "release"
	ActionExtend  = "extend"
	ActionConfirm = "confirm"
	ActionCancel  = "cancel"
	ActionExpire  = "expire"
)

// Attempt is one command a section decided, granted or refused, as the attempt log keeps
// it. Seq numbers a section's attempts in the order it decided them, from 1, without
// gaps; a batch writes its attempts with its other writes, in one transaction.
type Attempt struct {
	Seq int64
	At  time.Time // database time of the decision, to the microsecond (as the store keeps it)
	// ReceivedAt is when the command entered the section's mailbox, in database time to
	// the microsecond, never after At; zero when unknown (expiries, attempts recorded
	// before arrivals were, replays). It is observation, not decision: the chain does not
	// cover it and replay ignores it.
	ReceivedAt time.Time
	Version    int64    // the section version the attempt's batch committed at (or stood at, when it wrote nothing else)
	UserID     string   // empty for expiries
	Action     string   // ActionHold, ActionRelease, …
	Seats      []string // the seats the command named or touched (none for a refused best-available hold)
	Ref        string   // the hold or order the command named or made
	Code       Code     // empty when granted
	// CauseSeq is, for a refusal, the earlier attempt it rests on: the one that took the
	// seat, or that expired the hold; 0 when unknown (decided before the activation).
	CauseSeq int64
	// Command is the command as the section received it, protobuf-encoded (for replay);
	// empty for expiries and confirms decided on a payment's outcome.
	Command []byte
	// Kind names Command's message type: "HoldCommand", …
	Kind string
}

// Granted reports whether the attempt was granted.
func (a Attempt) Granted() bool { return a.Code == "" }

// attemptNote is an attempt while its decision is not yet written: its sequence number
// is given when its batch is built, and its cause may be an attempt of the same batch.
type attemptNote struct {
	Attempt
	cause *attemptNote
	cmd   proto.Message
}

// noteCommand starts the attempt of the command d is about; nil (and nothing noted)
// when the section does not record attempts.
func (a *sectionActor) noteCommand(d *decision, action, user string, cmd proto.Message) *attemptNote {
	if !a.cfg.RecordAttempts {
		return nil
	}
	at := a.now().Truncate(time.Microsecond)
	d.own = attemptNote{Attempt: Attempt{At: at, UserID: user, Action: action}, cmd: cmd}
	n := &d.own
	if !a.arrived.IsZero() {
		n.ReceivedAt = a.arrived.Truncate(time.Microsecond)
		if n.ReceivedAt.After(at) {
			n.ReceivedAt = at // a clock stepping back cannot make it later than its decision
		}
	}
	d.note = n
	return n
}

// noteExpiry records that d expired h, and makes the expiry the cause of the seats it
// frees until done is called.
func (a *sectionActor) noteExpiry(d *decision, h *Hold) (done func()) {
	if !a.cfg.RecordAttempts {
		return func() {}
	}
	n := &attemptNote{Attempt: Attempt{At: a.now().Truncate(time.Microsecond), UserID: h.UserID, Action: ActionExpire, Seats: h.Seats, Ref: h.ID}}
	d.expired = append(d.expired, n)
	d.cur = n
	return func() { d.cur = nil }
}

// setter is the attempt that changes a seat now: an expiry being decided, or the command.
func (d *decision) setter() *attemptNote {
	if d.cur != nil {
		return d.cur
	}
	return d.note
}

// lastExpiry is the last expiry d decided, nil when none.
func (d *decision) lastExpiry() *attemptNote {
	if len(d.expired) == 0 {
		return nil
	}
	return d.expired[len(d.expired)-1]
}

// about sets what the attempt is about: its seats and the hold or order it names.
func (n *attemptNote) about(seats []string, ref string) {
	if n != nil {
		n.Seats, n.Ref = seats, ref
	}
}

// causedBy records the attempt a refusal rests on.
func (n *attemptNote) causedBy(c *attemptNote) {
	if n != nil && c != nil {
		n.cause = c
	}
}

// notes lists the decision's attempts in the order they were decided: expiries it made
// on the way, then its command.
func (d *decision) attempts() []*attemptNote {
	if d.note == nil {
		return d.expired
	}
	return append(d.expired, d.note)
}

// notInSection reports whether r sends the caller to the store (see errNotInSection).
func notInSection(r *Reply) bool { return r.GetCode() == ErrorCode_ERROR_CODE_NOT_IN_SECTION }

// codeOf is the error code of a reply, empty when it grants: the code of the error
// Reply.Err makes of it, read without making the error.
func codeOf(r *Reply) Code {
	if r == nil || r.GetCode() == ErrorCode_ERROR_CODE_NONE {
		return ""
	}
	if c, ok := protoToCode[r.GetCode()]; ok {
		return c
	}
	return CodeUnavailable
}

// recordAttempts numbers the attempts of ds from after (the last number committed) and
// returns them; nil when the section does not record attempts. The attempts go into one
// slice made to their count, and their commands, encoded, side by side into one buffer.
func (a *sectionActor) recordAttempts(ds []*decision, after, version int64) []Attempt {
	if !a.cfg.RecordAttempts {
		return nil
	}
	count, size := 0, 0
	for _, d := range ds {
		count += len(d.expired)
		for _, n := range d.expired {
			size += cmdSize(n)
		}
		if d.note != nil && !notInSection(d.reply) { // not decided here: the store answers for a hold or order the section let go
			count++
			size += cmdSize(d.note)
		}
	}
	if count == 0 {
		return nil
	}
	r := attemptRecorder{out: make([]Attempt, 0, count), seq: after, version: version, commands: make([]byte, 0, size)}
	for _, d := range ds {
		for _, n := range d.expired {
			r.add(n)
		}
		if d.note != nil && !notInSection(d.reply) {
			d.note.Code = codeOf(d.reply)
			r.add(d.note)
		}
	}
	return r.out
}

// cmdSize is the size of n's command encoded, 0 when it has none.
func cmdSize(n *attemptNote) int {
	if n.cmd == nil {
		return 0
	}
	return proto.Size(n.cmd)
}

// attemptRecorder numbers and collects a batch's attempts (see recordAttempts).
type attemptRecorder struct {
	out      []Attempt
	seq      int64
	version  int64
	commands []byte // the attempts' commands, encoded, back to back (made to their size)
}

// add numbers n and appends it, its command encoded.
func (r *attemptRecorder) add(n *attemptNote) {
	r.seq++
	n.Seq, n.Version = r.seq, r.version
	if n.cause != nil && !n.Granted() {
		n.CauseSeq = n.cause.Seq
	}
	if n.cmd != nil {
		start := len(r.commands)
		if b, err := (proto.MarshalOptions{}).MarshalAppend(r.commands, n.cmd); err == nil {
			r.commands = b
			n.Command, n.Kind = b[start:len(b):len(b)], commandKind(n.cmd)
			if len(n.Command) == 0 {
				n.Command = []byte{} // an empty command, as proto.Marshal gives it: not NULL
			}
		}
		n.cmd = nil
	}
	r.out = append(r.out, n.Attempt)
}

// commandKind is the name of cmd's message type, as Attempt.Kind keeps it and replay
// reads it: the command types by a type switch, any other by its descriptor.
func commandKind(cmd proto.Message) string {
	switch cmd.(type) {
	case *HoldCommand:
		return "HoldCommand"
	case *ReleaseCommand:
		return "ReleaseCommand"
	case *ExtendCommand:
		return "ExtendCommand"
	case *ConfirmCommand:
		return "ConfirmCommand"
	case *CancelCommand:
		return "CancelCommand"
	}
	return string(cmd.ProtoReflect().Descriptor().Name())
}

// hasAttempts reports whether any of ds has an attempt to record.
func hasAttempts(ds []*decision) bool {
	for _, d := range ds {
		if len(d.expired) > 0 || (d.note != nil && !notInSection(d.reply)) {
			return true
		}
	}
	return false
}

// Refusals answered at once wait at most attemptLinger, and at most
// maxLingeringAttempts of them, for a batch that writes something else to carry their
// attempts; then a batch of attempts alone writes them.
const (
	attemptLinger        = 50 * time.Millisecond
	maxLingeringAttempts = 512
)

// attemptTick makes a section write the attempts of refusals that lingered.
type attemptTick struct{}

// lingerAttempts arms the timer that writes lingering attempts, unless it is armed.
func (a *sectionActor) lingerAttempts() {
	if a.attemptTimer != nil {
		return
	}
	root, self := a.root, a.self
	a.attemptTimer = a.cfg.Clock.AfterFunc(attemptLinger, func() { root.Send(self, &attemptTick{}) })
}

func (a *sectionActor) onAttemptTick() {
	a.attemptTimer = nil
	if a.st != nil {
		a.flushNow(true)
	}
}

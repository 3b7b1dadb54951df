package actors

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
)

// ReplayInput is what a replay of a section's record needs: the section as it was
// before its first attempt (every seat available, no hold), its attempts from #1 in
// order, the hold TTL the sale ran with, and the hold each order of the section was
// made from (a cancel names an order, which the replay makes anew).
type ReplayInput struct {
	Section    Snapshot
	Attempts   []Attempt
	HoldTTL    time.Duration
	OrderHolds map[string]string
}

// ReplayDiffError is the first recorded attempt a replay decided otherwise.
type ReplayDiffError struct {
	Recorded Attempt
	Replayed *Attempt // nil when the replay decided nothing there
	What     string
}

func (e *ReplayDiffError) Error() string {
	return fmt.Sprintf("attempt #%d (%s by %q on %v): %s", e.Recorded.Seq, e.Recorded.Action, e.Recorded.UserID, e.Recorded.Seats, e.What)
}

// replayClock is the recorded clock: it reads what the replay sets, and its timers never
// fire (expiries are decided where the record has them).
type replayClock struct{ now time.Time }

func (c *replayClock) Now() time.Time                        { return c.now }
func (c *replayClock) AfterFunc(time.Duration, func()) Timer { return replayTimer{} }

type replayTimer struct{}

func (replayTimer) Stop() bool { return false }

// Replay decides the recorded commands of a section again, in order, in a fresh
// in-memory section actor whose clock reads each attempt's recorded time, and returns
// a *ReplayDiffError naming the first attempt decided otherwise (action, user, seats,
// outcome and code; hold and order ids are made anew and mapped), or nil when every
// decision is the same. A confirm's payment is the one outside input: its outcome is
// taken from the record.
func Replay(in ReplayInput) (replayed int, err error) {
	in.Attempts = slices.Clone(in.Attempts) // expiries of one decision are sorted in place
	if len(in.Attempts) > 0 && in.Attempts[0].Seq != 1 {
		return 0, fmt.Errorf("replay: the record starts at attempt #%d, not #1 (the rest is past retention)", in.Attempts[0].Seq)
	}
	clock := &replayClock{now: in.Section.DBNow}
	cfg := SectionConfig{Clock: clock, HoldTTL: in.HoldTTL, RecordAttempts: true}.withDefaults()
	snap := in.Section
	a := &sectionActor{cfg: &cfg, key: snap.Key, paying: map[string]*payment{}, payingKeys: map[idemKey]*payment{}}
	a.st = newSectionState(&snap, snap.DBNow)
	holds := map[string]string{}  // recorded hold id → replayed
	orders := map[string]string{} // replayed hold id → replayed order id

	for i := 0; i < len(in.Attempts); {
		rec := in.Attempts[i]
		clock.now = rec.At
		d, err := a.replayOne(rec, in, holds, orders)
		if err != nil {
			return replayed, &ReplayDiffError{Recorded: rec, What: err.Error()}
		}
		notes := d.attempts()
		if rec.Action == ActionExpire {
			k := min(len(notes), len(in.Attempts)-i)
			sortExpiries(notes, in.Attempts[i:i+k], holds)
		}
		for _, n := range notes {
			if i >= len(in.Attempts) {
				return replayed, &ReplayDiffError{Recorded: in.Attempts[len(in.Attempts)-1], Replayed: &n.Attempt,
					What: "the replay decided more than the record holds"}
			}
			want := in.Attempts[i]
			got := n.Attempt
			if n == d.note {
				got.Code = codeOf(d.reply)
			}
			if what := differs(want, got, holds); what != "" {
				return replayed, &ReplayDiffError{Recorded: want, Replayed: &got, What: what}
			}
			if got.Action == ActionHold && got.Granted() {
				holds[want.Ref] = got.Ref
			}
			if got.Action == ActionConfirm && got.Granted() && d.reply.GetOrder() != nil {
				orders[got.Ref] = d.reply.GetOrder().GetId()
			}
			i++
			replayed++
		}
		if len(d.attempts()) == 0 {
			return replayed, &ReplayDiffError{Recorded: rec, What: "the replay decided nothing here"}
		}
	}
	return replayed, nil
}

// replayOne decides the command of rec (or the expiries due at its time).
func (a *sectionActor) replayOne(rec Attempt, in ReplayInput, holds, orders map[string]string) (*decision, error) {
	if rec.Action == ActionExpire {
		return a.decideExpiries(), nil
	}
	var msg proto.Message
	switch rec.Kind {
	case "HoldCommand":
		msg = &HoldCommand{}
	case "ReleaseCommand":
		msg = &ReleaseCommand{}
	case "ExtendCommand":
		msg = &ExtendCommand{}
	case "ConfirmCommand":
		msg = &ConfirmCommand{}
	case "CancelCommand":
		msg = &CancelCommand{}
	default:
		return nil, fmt.Errorf("the record has no command to replay (kind %q)", rec.Kind)
	}
	if err := proto.Unmarshal(rec.Command, msg); err != nil {
		return nil, fmt.Errorf("the recorded command cannot be read: %w", err)
	}
	clearDeadline(msg)
	mapped := func(id string) string {
		if r, ok := holds[id]; ok {
			return r
		}
		return id
	}
	switch m := msg.(type) {
	case *HoldCommand:
		return a.decideHold(m), nil
	case *ReleaseCommand:
		m.HoldId = mapped(m.HoldId)
		return a.decideRelease(m), nil
	case *ExtendCommand:
		m.HoldId = mapped(m.HoldId)
		return a.decideExtend(m), nil
	case *ConfirmCommand:
		m.HoldId = mapped(m.HoldId)
		return a.replayConfirm(m, rec), nil
	case *CancelCommand:
		if h, ok := in.OrderHolds[m.OrderId]; ok {
			if o, ok := orders[mapped(h)]; ok {
				m.OrderId = o
			}
		}
		return a.decideCancel(m), nil
	}
	return nil, errors.New("unreachable")
}

// replayConfirm decides a confirm as decideConfirm and decidePayment do, with the
// payment's outcome the record gives: approved when the confirm was granted.
func (a *sectionActor) replayConfirm(cmd *ConfirmCommand, rec Attempt) *decision {
	s := a.st
	d := &decision{op: "confirm"}
	a.noteCommand(d, ActionConfirm, cmd.GetUserId(), cmd).about(nil, cmd.GetHoldId())
	k := idemKey{cmd.GetUserId(), cmd.GetIdempotencyKey()}
	if s.replay(d, k, cmd.GetRequestHash()) {
		return d
	}
	h, err := a.activeHold(d, cmd.GetHoldId(), cmd.GetUserId())
	if err != nil {
		return d.fail(err)
	}
	if !rec.Granted() {
		return d.fail(&Error{Code: rec.Code, Message: "as recorded"})
	}
	p := &payment{holdID: h.ID, userID: h.UserID, cmd: cmd, key: k, hash: cmd.GetRequestHash(),
		charge: PaymentRecord{Token: cmd.GetPaymentToken(), AmountCents: s.priceCents * int64(h.Quantity), Currency: s.currency}}
	a.confirmHold(d, h, p)
	return d
}

// sortExpiries puts the expiries one decision made, and the recorded ones at the same
// place, in the order of the holds' replayed ids: the section expires holds due at the
// same time in no particular order.
func sortExpiries(notes []*attemptNote, recorded []Attempt, holds map[string]string) {
	slices.SortFunc(notes, func(x, y *attemptNote) int { return cmpString(x.Ref, y.Ref) })
	slices.SortFunc(recorded, func(x, y Attempt) int { return cmpString(holds[x.Ref], holds[y.Ref]) })
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// differs says how a replayed attempt differs from the recorded one; empty when it
// does not.
func differs(want, got Attempt, holds map[string]string) string {
	switch {
	case want.Action != got.Action:
		return fmt.Sprintf("recorded %s, replayed %s", want.Action, got.Action)
	case want.UserID != got.UserID:
		return fmt.Sprintf("recorded user %q, replayed %q", want.UserID, got.UserID)
	case want.Code != got.Code:
		return fmt.Sprintf("recorded %s, replayed %s", outcomeOf(want), outcomeOf(got))
	case !slices.Equal(want.Seats, got.Seats):
		return fmt.Sprintf("recorded seats %v, replayed %v", want.Seats, got.Seats)
	case want.Action == ActionExpire && holds[want.Ref] != got.Ref:
		return fmt.Sprintf("recorded expiry of hold %s, replayed expiry of another hold", want.Ref)
	}
	return ""
}

func outcomeOf(a Attempt) string {
	if a.Granted() {
		return "granted"
	}
	return "refused " + string(a.Code)
}

// clearDeadline removes a recorded command's deadline: the command was decided in time,
// and the replay's clock says nothing about the wait its caller could afford.
func clearDeadline(msg proto.Message) {
	switch m := msg.(type) {
	case *HoldCommand:
		m.DeadlineUnixMicro = 0
	case *ReleaseCommand:
		m.DeadlineUnixMicro = 0
	case *ExtendCommand:
		m.DeadlineUnixMicro = 0
	case *ConfirmCommand:
		m.DeadlineUnixMicro = 0
	case *CancelCommand:
		m.DeadlineUnixMicro = 0
	}
}

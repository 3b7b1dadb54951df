package linear

import (
	"fmt"
	"hash/fnv"

	"github.com/anishathalye/porcupine"
)

// seatState is the model's state of one seat. It is comparable, so porcupine's default
// equality applies.
type seatState struct {
	Status string // StatusAvailable, StatusHeld or StatusSold
	Hold   string // the hold holding it, when held
	Order  string // the order it is sold to, when sold
}

// available returns the state of a seat nobody holds.
func available() seatState { return seatState{Status: StatusAvailable} }

func (s seatState) heldBy(hold string) bool {
	return s.Status == StatusHeld && s.Hold == hold
}

func (s seatState) soldTo(order string) bool {
	return s.Status == StatusSold && s.Order == order
}

func (s seatState) String() string {
	switch s.Status {
	case StatusHeld:
		return "held(" + orUnknown(s.Hold) + ")"
	case StatusSold:
		return "sold(" + orUnknown(s.Order) + ")"
	}
	return s.Status
}

// input is what an op asked of a seat; output is how it was answered.
type input struct {
	Kind  Kind
	Hold  string
	Order string
}

type output struct {
	Result Result
	Status string // what a read saw
}

// step returns every state the seat may be in after the op, from state s; none when
// the op's answer is impossible in s.
func step(s seatState, in input, out output) []seatState {
	switch in.Kind {
	case KindHold:
		return stepHold(s, in, out.Result)
	case KindRelease:
		return stepRelease(s, in, out.Result)
	case KindConfirm:
		return stepConfirm(s, in, out.Result)
	case KindCancel:
		return stepCancel(s, in, out.Result)
	case KindRead:
		if out.Result != ResultOK || s.Status == out.Status {
			return []seatState{s}
		}
	}
	return nil
}

func stepHold(s seatState, in input, r Result) []seatState {
	taken := seatState{Status: StatusHeld, Hold: in.Hold}
	switch {
	case r == ResultOK && s.Status == StatusAvailable:
		return []seatState{taken}
	case r == ResultRefused && s.Status != StatusAvailable:
		return []seatState{s}
	case r == ResultUnknown && s.Status == StatusAvailable:
		return []seatState{s, taken}
	case r == ResultUnknown:
		return []seatState{s}
	}
	return nil
}

func stepRelease(s seatState, in input, r Result) []seatState {
	held := s.heldBy(in.Hold)
	switch {
	case r == ResultOK && held:
		return []seatState{available()}
	case r == ResultRefused && !held:
		return []seatState{s}
	case r == ResultUnknown && held:
		return []seatState{s, available()}
	case r == ResultUnknown:
		return []seatState{s}
	}
	return nil
}

func stepConfirm(s seatState, in input, r Result) []seatState {
	held := s.heldBy(in.Hold)
	sold := seatState{Status: StatusSold, Order: in.Order}
	switch {
	case r == ResultOK && held:
		return []seatState{sold}
	case r == ResultDeclined && held:
		return []seatState{s}
	case r == ResultRefused && !held:
		return []seatState{s}
	case r == ResultUnknown && held:
		return []seatState{s, sold}
	case r == ResultUnknown:
		return []seatState{s}
	}
	return nil
}

func stepCancel(s seatState, in input, r Result) []seatState {
	sold := s.soldTo(in.Order)
	switch {
	case r == ResultOK && sold:
		return []seatState{available()}
	case r == ResultRefused && !sold:
		return []seatState{s}
	case r == ResultUnknown && sold:
		return []seatState{s, available()}
	case r == ResultUnknown:
		return []seatState{s}
	}
	return nil
}

// seatModel is the porcupine model of one seat, starting available.
func seatModel() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Init: func() []interface{} { return []interface{}{available()} },
		Step: func(state, in, out interface{}) []interface{} {
			next := step(state.(seatState), in.(input), out.(output))
			states := make([]interface{}, len(next))
			for i, s := range next {
				states[i] = s
			}
			return states
		},
		Hash: func(state interface{}) uint64 {
			s := state.(seatState)
			h := fnv.New64a()
			fmt.Fprintf(h, "%s\x00%s\x00%s", s.Status, s.Hold, s.Order)
			return h.Sum64()
		},
		DescribeOperation: func(in, out interface{}) string {
			return describeStep(in.(input), out.(output))
		},
		DescribeState: func(state interface{}) string {
			return state.(seatState).String()
		},
	}
	return nm.ToModel()
}

// describeStep renders an op as "hold(h1) -> ok" or "read -> sold".
func describeStep(in input, out output) string {
	var call string
	switch in.Kind {
	case KindHold, KindRelease:
		call = fmt.Sprintf("%s(%s)", in.Kind, orUnknown(in.Hold))
	case KindConfirm:
		call = fmt.Sprintf("confirm(%s)", orUnknown(in.Hold))
		if in.Order != "" {
			call = fmt.Sprintf("confirm(%s→%s)", in.Hold, in.Order)
		}
	case KindCancel:
		call = fmt.Sprintf("cancel(%s)", orUnknown(in.Order))
	default:
		call = string(in.Kind)
	}
	if in.Kind == KindRead && out.Result == ResultOK {
		return call + " -> " + out.Status
	}
	return call + " -> " + string(out.Result)
}

// orUnknown shows an id the client never learned as "?".
func orUnknown(id string) string {
	if id == "" {
		return "?"
	}
	return id
}

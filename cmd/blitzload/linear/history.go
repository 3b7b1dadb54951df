package linear

import (
	"fmt"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
)

// seatHistory is every op on one seat, in call order.
type seatHistory struct {
	Section string
	Seat    string
	Ops     []Op
}

func (h seatHistory) key() string { return h.Section + "/" + h.Seat }

// groupBySeat splits valid ops by seat, seats sorted by key and each seat's ops by
// call time, so that reports and visualizations come out the same on every run.
func groupBySeat(ops []Op) []seatHistory {
	index := map[string]int{}
	var seats []seatHistory
	for _, op := range ops {
		i, ok := index[op.key()]
		if !ok {
			i = len(seats)
			index[op.key()] = i
			seats = append(seats, seatHistory{Section: op.Section, Seat: op.Seat})
		}
		seats[i].Ops = append(seats[i].Ops, op)
	}
	sort.Slice(seats, func(i, j int) bool { return seats[i].key() < seats[j].key() })
	for _, s := range seats {
		sort.SliceStable(s.Ops, func(i, j int) bool { return s.Ops[i].Call.Before(s.Ops[j].Call) })
	}
	return seats
}

// operations converts a seat's ops to porcupine's form. Times become nanoseconds since
// base (time.Time.Sub, so monotonic readings are used when both times carry one).
// Every op gets call < return: an answer stamped no later than its call is moved one
// nanosecond after it. An op never answered, and any op whose result is unknown,
// returns after every other time on the seat: a request the client gave up on may
// still be in flight and take effect at any moment after its call.
func operations(ops []Op, base time.Time) []porcupine.Operation {
	calls := make([]int64, len(ops))
	returns := make([]int64, len(ops))
	var last int64
	for i, op := range ops {
		calls[i] = int64(op.Call.Sub(base))
		last = max(last, calls[i])
		if op.answered() && op.Result != ResultUnknown {
			returns[i] = max(int64(op.Return.Sub(base)), calls[i]+1)
			last = max(last, returns[i])
		}
	}
	out := make([]porcupine.Operation, len(ops))
	for i, op := range ops {
		ret := returns[i]
		res := op.Result
		if !op.answered() || res == ResultUnknown {
			ret = last + 1
			res = ResultUnknown
		}
		out[i] = porcupine.Operation{
			ClientId: max(op.Client, 0),
			Input:    input{Kind: op.Kind, Hold: op.Hold, Order: op.Order},
			Call:     calls[i],
			Output:   output{Result: res, Status: op.Status},
			Return:   ret,
			Metadata: fmt.Sprintf("fan %d", op.Client),
		}
	}
	return out
}

// earliestCall is the base all times are measured from.
func earliestCall(ops []Op) time.Time {
	var base time.Time
	for i, op := range ops {
		if i == 0 || op.Call.Before(base) {
			base = op.Call
		}
	}
	return base
}

package linear

import (
	"fmt"
	"time"
)

// maxHistoryLines caps SeatResult.History; a seat's story is told by its first ops
// far more often than by its hundredth.
const maxHistoryLines = 40

// describeSeat tells an illegal seat's history, one line per op.
func describeSeat(h seatHistory) SeatResult {
	sr := SeatResult{Section: h.Section, Seat: h.Seat, Ops: len(h.Ops)}
	if len(h.Ops) == 0 {
		return sr
	}
	start := h.Ops[0].Call
	for i, op := range h.Ops {
		if i == maxHistoryLines {
			sr.History = append(sr.History, fmt.Sprintf("… and %d more ops", len(h.Ops)-i))
			break
		}
		sr.History = append(sr.History, describeOp(op, start))
	}
	return sr
}

// describeOp renders "fan 3 [+0.000ms, +2.500ms] hold(h1) -> ok".
func describeOp(op Op, start time.Time) string {
	ret := "never"
	if op.answered() {
		ret = sinceMillis(op.Return, start)
	}
	step := describeStep(
		input{Kind: op.Kind, Hold: op.Hold, Order: op.Order},
		output{Result: op.Result, Status: op.Status},
	)
	return fmt.Sprintf("fan %d [%s, %s] %s", op.Client, sinceMillis(op.Call, start), ret, step)
}

func sinceMillis(t, start time.Time) string {
	return fmt.Sprintf("+%.3fms", float64(t.Sub(start))/float64(time.Millisecond))
}

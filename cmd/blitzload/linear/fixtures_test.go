package linear

import (
	"time"
)

const sec = "e1/A"

var t0 = time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// at builds an op on seat A-1 from call to ret milliseconds; ret < 0 means never
// answered.
func at(client int, kind Kind, result Result, call, ret int) Op {
	op := Op{Section: sec, Seat: "A-1", Kind: kind, Result: result, Call: ms(call), Client: client}
	if ret >= 0 {
		op.Return = ms(ret)
	}
	return op
}

func hold(client int, id string, r Result, call, ret int) Op {
	op := at(client, KindHold, r, call, ret)
	op.Hold = id
	return op
}

func release(client int, id string, r Result, call, ret int) Op {
	op := at(client, KindRelease, r, call, ret)
	op.Hold = id
	return op
}

func confirm(client int, holdID, order string, r Result, call, ret int) Op {
	op := at(client, KindConfirm, r, call, ret)
	op.Hold, op.Order = holdID, order
	return op
}

func cancel(client int, order string, r Result, call, ret int) Op {
	op := at(client, KindCancel, r, call, ret)
	op.Order = order
	return op
}

func read(client int, status string, call, ret int) Op {
	op := at(client, KindRead, ResultOK, call, ret)
	op.Status = status
	return op
}

// onSeat moves ops to another seat.
func onSeat(seat string, ops ...Op) []Op {
	out := make([]Op, len(ops))
	for i, op := range ops {
		op.Seat = seat
		out[i] = op
	}
	return out
}

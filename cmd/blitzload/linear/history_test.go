package linear

import (
	"testing"
)

func TestOperationsTimestamps(t *testing.T) {
	ops := []Op{
		hold(0, "h1", ResultOK, 5, 5),        // answered at its call
		read(1, StatusHeld, 8, 7),            // answered "before" its call
		release(0, "h1", ResultOK, 20, 40),   // the latest answer
		hold(2, "h2", ResultUnknown, 10, -1), // never answered
		hold(3, "h3", ResultUnknown, 12, 15), // answered with no verdict
	}
	got := operations(ops, t0)
	ns := func(msec int) int64 { return int64(msec) * 1e6 }
	want := []struct{ call, ret int64 }{
		{ns(5), ns(5) + 1},
		{ns(8), ns(8) + 1},
		{ns(20), ns(40)},
		{ns(10), ns(40) + 1},
		{ns(12), ns(40) + 1},
	}
	for i, w := range want {
		if got[i].Call != w.call || got[i].Return != w.ret {
			t.Errorf("op %d: [%d, %d], want [%d, %d]", i, got[i].Call, got[i].Return, w.call, w.ret)
		}
		if got[i].Call >= got[i].Return {
			t.Errorf("op %d: call %d not before return %d", i, got[i].Call, got[i].Return)
		}
	}
	if out := got[3].Output.(output); out.Result != ResultUnknown {
		t.Errorf("unanswered op has result %q", out.Result)
	}
}

func TestOperationsForceUnansweredToUnknown(t *testing.T) {
	got := operations([]Op{hold(0, "h1", ResultOK, 0, -1)}, t0)
	if out := got[0].Output.(output); out.Result != ResultUnknown || got[0].Return <= got[0].Call {
		t.Fatalf("unanswered ok hold became %+v", got[0])
	}
}

func TestGroupBySeatOrders(t *testing.T) {
	ops := []Op{
		onSeat("B-1", read(0, StatusAvailable, 30, 40))[0],
		onSeat("A-2", read(0, StatusAvailable, 20, 25))[0],
		onSeat("B-1", read(1, StatusAvailable, 10, 50))[0],
		onSeat("A-2", read(1, StatusAvailable, 5, 6))[0],
	}
	seats := groupBySeat(ops)
	if len(seats) != 2 || seats[0].Seat != "A-2" || seats[1].Seat != "B-1" {
		t.Fatalf("seats %+v", seats)
	}
	for _, s := range seats {
		if len(s.Ops) != 2 || s.Ops[0].Call.After(s.Ops[1].Call) {
			t.Fatalf("seat %s ops not in call order: %+v", s.Seat, s.Ops)
		}
	}
	if base := earliestCall(ops); !base.Equal(ms(5)) {
		t.Fatalf("earliest call %v", base)
	}
}

package linear

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// simulatedSeat generates a legal history of n ops on one seat: each op takes effect at
// its own instant (10ms apart) inside an interval that overlaps its neighbours', the
// answer is what the true state said at that instant, and a few ops are unknown (some
// applied, some not, some never answered).
func simulatedSeat(rng *rand.Rand, section, seat string, n int) []Op {
	var s seatState
	s.Status = StatusAvailable
	var ops []Op
	nextID := 0
	var pastHolds, pastOrders []string
	pick := func(current string, past []string) string {
		if current != "" && (len(past) == 0 || rng.IntN(4) > 0) {
			return current
		}
		if len(past) == 0 {
			return "h-none"
		}
		return past[rng.IntN(len(past))]
	}
	for i := range n {
		at := time.Duration(i) * 10 * time.Millisecond
		op := Op{Section: section, Seat: seat, Client: rng.IntN(8),
			Call:   t0.Add(at - time.Duration(rng.IntN(15))*time.Millisecond),
			Return: t0.Add(at + time.Duration(rng.IntN(15))*time.Millisecond)}
		unknown := rng.IntN(40) == 0
		applied := !unknown || rng.IntN(2) == 0
		switch r := rng.IntN(10); {
		case r < 3:
			nextID++
			op.Kind, op.Hold = KindHold, fmt.Sprintf("h%d", nextID)
			pastHolds = append(pastHolds, op.Hold)
			op.Result = ResultRefused
			if s.Status == StatusAvailable {
				op.Result = ResultOK
				if applied {
					s = seatState{Status: StatusHeld, Hold: op.Hold}
				}
			}
		case r < 5:
			op.Kind, op.Hold = KindRelease, pick(s.Hold, pastHolds)
			op.Result = ResultRefused
			if s.heldBy(op.Hold) {
				op.Result = ResultOK
				if applied {
					s = available()
				}
			}
		case r < 7:
			nextID++
			op.Kind, op.Hold, op.Order = KindConfirm, pick(s.Hold, pastHolds), fmt.Sprintf("o%d", nextID)
			op.Result = ResultRefused
			if s.heldBy(op.Hold) {
				op.Result = ResultDeclined
				if rng.IntN(5) > 0 {
					op.Result = ResultOK
					if applied {
						s = seatState{Status: StatusSold, Order: op.Order}
						pastOrders = append(pastOrders, op.Order)
					}
				}
			}
		case r < 8:
			op.Kind, op.Order = KindCancel, pick(s.Order, pastOrders)
			op.Result = ResultRefused
			if s.soldTo(op.Order) {
				op.Result = ResultOK
				if applied {
					s = available()
				}
			}
		default:
			op.Kind, op.Result, op.Status = KindRead, ResultOK, s.Status
		}
		if unknown && op.Kind != KindRead {
			op.Result = ResultUnknown
			if rng.IntN(2) == 0 {
				op.Return = time.Time{}
			}
		}
		ops = append(ops, op)
	}
	return ops
}

func TestCheckManySimulatedSeats(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var ops []Op
	for i := range 400 {
		ops = append(ops, simulatedSeat(rng, fmt.Sprintf("e1/S%d", i%4), fmt.Sprintf("R-%d", i), 55+rng.IntN(11))...)
	}
	start := time.Now()
	rep := Check(ops, Options{})
	t.Logf("checked %d seats, %d ops in %v", rep.Seats, rep.Ops, time.Since(start))
	if !rep.OK() || rep.Seats != 400 || rep.Ops != len(ops) {
		t.Fatalf("simulated sale rejected: %.2000s", rep)
	}
}

func TestCheckCatchesCorruptedSimulatedSeats(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	caught := 0
	for i := range 50 {
		ops := simulatedSeat(rng, "e1/A", fmt.Sprintf("R-%d", i), 40)
		// Make every read answered well apart from its neighbours lie about the status.
		for j := range ops {
			if ops[j].Kind == KindRead && ops[j].answered() {
				ops[j].Status = map[string]string{StatusAvailable: StatusSold, StatusHeld: StatusAvailable, StatusSold: StatusHeld}[ops[j].Status]
				break
			}
		}
		if !Check(ops, Options{}).OK() {
			caught++
		}
	}
	t.Logf("caught %d of 50 corrupted histories", caught)
	// A lie can hide behind an unknown op or a concurrent write, but not often.
	if caught < 30 {
		t.Fatalf("caught %d of 50 corrupted histories", caught)
	}
}

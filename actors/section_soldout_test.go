package actors

import (
	"math/rand/v2"
	"testing"
)

// TestFewerFreeOnlyWhenBestAvailableRefuses checks the hold's sold-out shortcut: over
// random seat maps (free, held and sold seats, accessible or not) whose
// counters follow their statuses, fewerFree is true only where BestAvailable finds no
// seats, and it is true for every request once all seats are held or sold.
func TestFewerFreeOnlyWhenBestAvailableRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	statuses := []SeatStatus{SeatAvailable, SeatHeld, SeatSold}
	for range 2000 {
		s := &sectionState{}
		rows := 1 + rng.IntN(3)
		for r := range rows {
			for n := range 1 + rng.IntN(8) {
				st := statuses[rng.IntN(len(statuses))]
				if rng.IntN(3) > 0 { // mostly taken, as in a rush
					st = statuses[1+rng.IntN(2)]
				}
				s.seats = append(s.seats, Seat{ID: SeatID(string(rune('A'+r)), n+1), Row: string(rune('A' + r)), RowIndex: r, Number: n + 1, Status: st, Accessible: rng.IntN(4) == 0})
				s.countSeat(st, +1)
			}
		}
		for qty := 1; qty <= 6; qty++ {
			if !s.fewerFree(qty) {
				continue
			}
			for _, acc := range []bool{false, true} {
				if ids, ok := BestAvailable(s.seats, qty, acc); ok {
					t.Fatalf("fewerFree(%d) but BestAvailable offered %v of %+v", qty, ids, s.seats)
				}
			}
		}
	}
	full := &sectionState{}
	for n := range 10 {
		full.seats = append(full.seats, Seat{ID: SeatID("A", n+1), Row: "A", Number: n + 1, Status: SeatHeld})
		full.countSeat(SeatHeld, +1)
	}
	if !full.fewerFree(1) {
		t.Fatal("a section whose seats are all held is not sold out")
	}
}

package waitingroom

import "testing"

// threeSeatsAFan is a paced room of 300 seats whose first 80 fans held 3 seats each,
// with seats left then.
func threeSeatsAFan(t *testing.T, seats int) *paceRig {
	t.Helper()
	r := newPaceRig(t)
	r.seats(300)
	r.stepsTo(20, 80, "300 seats left, the window's 80 passes out")
	r.holdTaking(0, 80, 3)
	r.seats(seats)
	return r
}

// A room counts each pass for the seats its fans' holds took on average: 80 holds of 3
// seats each, then 60 seats left, let 20 more fans in, not 60 (of whom 40 would have
// been answered SOLD_OUT by their holds); their 20 passes out stand for the 60 seats
// until their holds come back.
func TestPassesCountTheSeatsTheirHoldsTook(t *testing.T) {
	r := threeSeatsAFan(t, 60)
	r.stepsTo(1, 100, "60 seats left, holds of 3 seats each")
	r.stepsTo(5, 100, "60 seats left, 20 passes of 3 seats out")
	r.holdTaking(80, 100, 3)
	r.seats(0)
	r.stepSoldOut(100, "the 20 held the last 60 seats")
}

// Seats fewer than a fan takes still go to one fan at a time, while no hold is on its
// way; a round whose holds all came back with no fewer seats left (each asked for more)
// is followed by one of twice as many, and fewer seats left start again at one fan.
func TestLastSeatsGoToOneFanThenRoundsThatDouble(t *testing.T) {
	r := threeSeatsAFan(t, 2)
	r.stepsTo(1, 81, "2 seats left, fewer than a fan takes")
	r.stepsTo(3, 81, "2 seats left, its hold on its way")
	held, wm := 80, int64(81)
	for _, round := range []struct {
		took, seats int
		want        int64
		what        string
	}{
		{0, 2, 83, "2 seats still left after a round of 1"},
		{0, 2, 87, "2 seats still left after a round of 2"},
		{1, 1, 88, "1 seat left after a round that took one"},
	} {
		r.holdTaking(held, int(wm)-round.took, 0)
		r.holdTaking(int(wm)-round.took, int(wm), 1)
		r.seats(round.seats)
		r.stepsTo(1, round.want, round.what)
		held, wm = int(wm), round.want
	}
	r.holdTaking(held, int(wm), 1)
	r.seats(0)
	r.stepSoldOut(wm, "no seat left")
}

// A paced room says it is sold out at the step the store shows no seat left, without
// waiting for the holds of its passes out (the sections answer them, SOLD_OUT unless a
// seat returned): the fans admitted keep their passes, every waiting fan reads
// sold_out. Seats that return before those holds are answered admit nobody; once they
// are, one fan at least.
func TestPacedRoomSaysSoldOutWhenNoSeatIsLeft(t *testing.T) {
	r := newPaceRig(t)
	r.seats(100)
	r.stepsTo(20, 80, "100 seats left, the window's 80 passes out")
	r.seats(0)
	r.stepSoldOut(80, "no seat left, 80 holds on their way")
	for i, want := range map[int]TicketStatus{79: TicketAdmitted, 80: TicketSoldOut, 999: TicketSoldOut} {
		tk, err := r.svc.Ticket(r.ctx, r.ids[i])
		if err != nil || tk.Status != want || (want == TicketAdmitted) != (tk.Pass != "") {
			t.Fatalf("fan %d: %+v %v; want %s", i, tk, err, want)
		}
	}
	r.seats(2)
	r.stepSoldOut(80, "2 seats back, 80 holds on their way")
	r.holdTaking(0, 80, 3)
	r.stepSoldOut(81, "2 seats back, the holds answered")
	tk, err := r.svc.Ticket(r.ctx, r.ids[81])
	if err != nil || tk.Status != TicketSoldOut {
		t.Fatalf("the fan after the one the seats back cover: %+v %v; want sold_out", tk, err)
	}
}

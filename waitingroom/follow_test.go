package waitingroom

import (
	"testing"
	"time"
)

// followRoom is an open fifo room that follows the headroom, 10,000 fans joined, the
// watermark at wm, the seats left covering the fans up to seatsUpTo, expecting to
// admit at expected fans a second.
func followRoom(wm, seatsUpTo int64, expected float64) *QueueState {
	return &QueueState{
		Settings:   Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO},
		Configured: true, Joined: 10000, Assigned: 10000, Watermark: wm,
		Status: Status{AdmittingPerS: 10, ExpectedPerS: expected, SeatsUpTo: seatsUpTo},
	}
}

func followOf(q *QueueState, pos int64, now time.Time) time.Duration {
	return render(TicketRecord{ID: "q_1", EventID: "ev1", UserID: "u", Position: pos, JoinedAt: now}, q, now, NewPasses([]byte("k"))).FollowAfter
}

// A ticket not waiting has nothing to wait for: admitted (its pass is in it), expired,
// or sold out.
func TestFollowAfterIsZeroUnlessWaiting(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	q := followRoom(100, 2000, 2000)
	q.Admissions = []Admission{{UpTo: 100, At: now.Add(-time.Second)}}
	if tk := render(TicketRecord{ID: "q_1", EventID: "ev1", UserID: "u", Position: 50}, q, now, NewPasses([]byte("k"))); tk.Status != TicketAdmitted || tk.FollowAfter != 0 {
		t.Errorf("admitted: %s, follow after %v; want admitted, 0", tk.Status, tk.FollowAfter)
	}
	q.Status.SoldOut, q.Status.SoldOutAfter = true, 2000
	if tk := render(TicketRecord{ID: "q_2", EventID: "ev1", UserID: "u", Position: 9000}, q, now, NewPasses([]byte("k"))); tk.Status != TicketSoldOut || tk.FollowAfter != 0 {
		t.Errorf("sold out: %s, follow after %v; want sold_out, 0", tk.Status, tk.FollowAfter)
	}
	if d := followAfter(Ticket{Status: TicketExpired, TicketRecord: TicketRecord{Position: 9000}}, q, now); d != 0 {
		t.Errorf("expired: follow after %v, want 0", d)
	}
}

// The fans at the front follow at once: the first 64 whatever the rate, and those the
// room expects to admit within a second.
func TestFollowAfterIsZeroAtTheFront(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	fixed := followRoom(500, 0, 0)
	fixed.Settings.AdmitPerS = 5 // 64 fans take the room 13 s
	for _, pos := range []int64{501, 530, 564} {
		if d := followOf(fixed, pos, now); d != 0 {
			t.Errorf("5 fans/s, position %d (%d from the front): follow after %v, want 0", pos, pos-500, d)
		}
	}
	if d := followOf(fixed, 600, now); d <= 0 {
		t.Errorf("5 fans/s, position 600 (20 s away): follow after %v, want more than 0", d)
	}
	fast := followRoom(500, 0, 1500)
	for _, pos := range []int64{501, 1000, 2000} {
		if d := followOf(fast, pos, now); d != 0 {
			t.Errorf("1,500 fans/s, position %d: follow after %v, want 0 (admitted within a second)", pos, d)
		}
	}
	if d := followOf(fast, 2100, now); d <= 0 {
		t.Errorf("1,500 fans/s, position 2,100: follow after %v, want more than 0", d)
	}
}

// Before the opening every fan waits until shortly before it, 30 s at most: a page
// relies on no fan following sooner than 3 s before opens_at (or 30 s after its
// ticket), wherever it stands, placed or not; a fan who joins long before the opening
// reads its ticket again every 30 s, so it hears of an opening an admin brought forward.
func TestFollowAfterWaitsForTheOpening(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, order := range []Order{OrderFIFO, OrderRandom} {
		for _, opensIn := range []time.Duration{3*time.Second + time.Millisecond, 10 * time.Second, 37*time.Minute + 123*time.Millisecond} {
			q := followRoom(0, 2000, 128)
			q.Settings.Order, q.Settings.OpensAt = order, now.Add(opensIn)
			for _, pos := range []int64{0, 1, 64, 1000, 9999} {
				d := followOf(q, pos, now)
				if want := min(opensIn-3*time.Second, followMax); d < want {
					t.Errorf("%s room opening in %v, position %d: follow after %v, want at least %v", order, opensIn, pos, d, want)
				}
				if d > followMax {
					t.Errorf("%s room opening in %v, position %d: follow after %v, more than %v", order, opensIn, pos, d, followMax)
				}
				if pos <= 64 && d > opensIn {
					t.Errorf("%s room opening in %v, position %d: follow after %v, after the opening", order, opensIn, pos, d)
				}
			}
		}
	}
	// Open, or about to: the front follows at once.
	q := followRoom(0, 2000, 128)
	q.Settings.OpensAt = now.Add(time.Second)
	if d := followOf(q, 1, now); d != 0 {
		t.Errorf("opening in 1 s, position 1: follow after %v, want 0", d)
	}
}

// Beyond the front the fans follow later the further back they stand, smoothly (not
// in whole seconds: position 1,010 and 1,990 have the same ETA, 1 s or 2 s rounded
// up, and different hints), each well before the room expects to answer it, and at
// most 30 s after their ticket.
func TestFollowAfterSpreadsTheFansByPosition(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	q := followRoom(0, 0, 1000) // no seat count: every fan waits for its pass
	prev := time.Duration(0)
	distinct := map[time.Duration]bool{}
	for pos := int64(1); pos <= 10000; pos++ {
		d := followOf(q, pos, now)
		if d < prev {
			t.Fatalf("position %d follows after %v, sooner than position %d (%v)", pos, d, pos-1, prev)
		}
		if d-prev > 10*time.Millisecond {
			t.Fatalf("position %d follows %v after position %d: a step", pos, d-prev, pos-1)
		}
		wait := time.Duration(float64(pos) / 1000 * float64(time.Second))
		if d > 0 && d > wait-followLead/2 {
			t.Fatalf("position %d (its pass expected in %v) follows after %v: too close to it", pos, wait, d)
		}
		prev = d
		distinct[d] = true
	}
	if len(distinct) < 5000 {
		t.Errorf("10,000 positions got %d distinct hints: spread in steps", len(distinct))
	}
	a := render(TicketRecord{ID: "q_a", EventID: "ev1", Position: 1010}, q, now, NewPasses([]byte("k")))
	b := render(TicketRecord{ID: "q_b", EventID: "ev1", Position: 1990}, q, now, NewPasses([]byte("k")))
	if a.ETASeconds != b.ETASeconds || b.FollowAfter-a.FollowAfter < 400*time.Millisecond {
		t.Errorf("positions 1,010 and 1,990: ETAs %d and %d s, hints %v and %v; want one ETA, hints 0.49 s apart",
			a.ETASeconds, b.ETASeconds, a.FollowAfter, b.FollowAfter)
	}
	slow := followRoom(0, 0, 0)
	slow.Settings.AdmitPerS = 10 // position 9,000 waits 15 minutes
	if d := followOf(slow, 9000, now); d != followMax {
		t.Errorf("15 minutes away: follow after %v, want the cap %v", d, followMax)
	}
}

// The fans beyond the seats left all wait for the sold-out state, expected when the
// fans the seats cover are admitted: they are spread too, from where the last fan with
// a seat follows, and none follows later than that state is expected.
func TestFollowAfterSpreadsTheFansBeyondTheSeats(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	q := followRoom(0, 2000, 1000) // the sold-out state expected 2 s from now
	last := followOf(q, 2000, now)
	prev := last
	for pos := int64(2001); pos <= 100000; pos++ {
		d := followOf(q, pos, now)
		if d < prev || d-prev > 10*time.Millisecond {
			t.Fatalf("position %d follows after %v, position %d after %v: not a smooth spread", pos, d, pos-1, prev)
		}
		if d > 2400*time.Millisecond || pos <= 10000 && d >= 2*time.Second {
			t.Fatalf("position %d follows after %v; the sold-out state is expected in 2 s", pos, d)
		}
		prev = d
	}
	// Spread over 0.8 s at least: with 6,000 of them within 0.4 s, their websocket
	// upgrades kept the last waiting up to 3 s.
	if d := followOf(q, 10000, now) - last; d < 800*time.Millisecond {
		t.Errorf("the 8,000 fans beyond the seats follow within %v of each other: not spread", d)
	}
	// None follows after the sold-out state is expected, however far back.
	if d := followOf(q, 100000, now); d > 2*time.Second {
		t.Errorf("position 100,000 follows after %v; the sold-out state is expected in 2 s", d)
	}
	// Evenly: the fans 2,000–4,000 beyond the seats take less than thrice the time of
	// those 6,000–8,000 beyond.
	if a, b := followOf(q, 6000, now)-followOf(q, 4000, now), followOf(q, 10000, now)-followOf(q, 8000, now); a > 3*b {
		t.Errorf("hints %v apart between positions 4,000 and 6,000, %v between 8,000 and 10,000: bunched at the back", a, b)
	}
}

// Early in a sale the room expects the rate idle sections take in a step (128 fans a
// second for one section) and admits faster: the hint counts on 500 fans a second at
// least, so that the fans with a seat follow before their passes come and those beyond
// the seats before the sold-out state, not half a minute later. The front is what the
// room itself expects to admit within a second.
func TestFollowAfterCountsOnTheRoomsPaceAtASalesStart(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	q := followRoom(0, 2000, 128)
	if d := followOf(q, 128, now); d != 0 {
		t.Errorf("position 128, admitted within a second at 128 fans/s: follow after %v, want 0", d)
	}
	if d := followOf(q, 200, now); d <= 0 {
		t.Errorf("position 200: follow after %v, want more than 0", d)
	}
	// At 500 fans a second position 1,000 is admitted in 2 s, the sold-out state
	// expected in 4 s (at 128 fans/s: 7.8 s and 15.6 s).
	if d, most := followOf(q, 1000, now), time.Second; d > most {
		t.Errorf("position 1,000: follow after %v, want at most %v", d, most)
	}
	if d, most := followOf(q, 10000, now), 4*time.Second; d > most {
		t.Errorf("position 10,000 beyond 2,000 seats: follow after %v, want at most %v", d, most)
	}
}

// A paced room that does not know its seats left yet (the joins of a rush that starts
// with its room, placed before the controller's first read of them) may have most of
// its fans beyond them: no hint grows past followBlind, smoothly by position. Without
// the bound the fan at position 10,000 was told 9.9 s, on a sale sold out at 3.6 s.
func TestFollowAfterIsBoundedWhileTheSeatsAreUnknown(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	q := &QueueState{
		Settings:   Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO},
		Configured: true, Joined: 10000, Assigned: 10000,
	}
	q.startingEstimate(RateConfig{})
	prev := time.Duration(0)
	for pos := int64(1); pos <= 10000; pos++ {
		d := followOf(q, pos, now)
		if d >= followBlind {
			t.Fatalf("seats unknown, position %d: follow after %v, want less than %v", pos, d, followBlind)
		}
		if d < prev || d-prev > 10*time.Millisecond {
			t.Fatalf("seats unknown, position %d follows after %v, position %d after %v: not smooth", pos, d, pos-1, prev)
		}
		prev = d
	}
	if prev < followBlind/2 {
		t.Errorf("seats unknown, position 10,000: follow after %v, want the fans spread towards %v", prev, followBlind)
	}
	// A fixed rate is the admin's: its fans far back wait their share, seats or not.
	q.Settings.AdmitPerS = 100
	if d := followOf(q, 10000, now); d < 30*time.Second {
		t.Errorf("fixed 100 a second, position 10,000: follow after %v, want the 30 s cap", d)
	}
}

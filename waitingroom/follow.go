package waitingroom

import (
	"time"
)

// The follow hint (Ticket.FollowAfter): when a fan should start following its ticket.
// A page that opens its websocket the moment its join is answered opens it while the
// last fans still join: in a 10,000-fan rush the followers' connections, upgrades and
// first tickets took the node's two cores beside the join burst, and the joins'
// p99 was 2–4 times a bare answer's; with every fan following once the joins were
// answered, 0.94–1.99 times. The room tells each fan how long to wait: nothing at the
// front, a share of its wait further back.
const (
	// followFront is how many fans from the front of the room always follow at once.
	followFront = 64
	// followLead: the fans the room expects (at its own estimate, the ETA's rate) to
	// admit within it follow at once, followFront at least.
	followLead = time.Second
	// followShare is the share of its wait beyond the front's a fan lets pass before
	// it follows: it follows well before the room expects to answer it, and the fans
	// further back follow later, spread by position.
	followShare = 0.5
	// followSoldOut is the multiple of the wait for the sold-out state (counted at
	// followMinRate at least) the fans beyond the seats left are spread towards, by
	// position: a fan told sold out gains nothing by waiting for it connected, and the
	// room's work for those fans (a connection each, 9,000 in a 10,000-fan rush for
	// 2,000 seats) then comes mostly after the passes went out, not beside the admitted
	// fans' holds. They come nearer it the further back they stand (followSpread): the
	// fan 8,000 beyond 2,000 seats at two thirds of the way, three quarters of the wait
	// the room expects at followMinRate. Below one, none of them follows after the room
	// expects to tell it: at 1.2, in a rush whose fans with a seat were let in at about
	// 900 a second, the last fans beyond the seats followed 0.2-2.1 s after the room
	// told them it was sold out, and set the sale's makespan (BENCHMARKS.md).
	followSoldOut = 0.9
	// followSpread sets how evenly the fans beyond the seats are spread: the fan x
	// beyond them is x/(x+followSpread·n) of the way, n the fans to admit before the
	// sold-out state. With 1 (x/(x+n), towards 0.8 times the wait), 6,000 of 8,000
	// such fans had their hints within 0.4 s of each other and opened their websockets
	// in about a second, and their upgrades kept the last of them waiting up to 3 s.
	followSpread = 2
	// followMax caps every hint, the wait for a room's opening included: a fan told to
	// wait longer would learn too late that the room moved faster than it expected, or
	// that an admin opened it before the opens_at its fans were told.
	followMax = 30 * time.Second
	// followBlind bounds, smoothly, the hints of a room that follows the headroom while
	// it does not know its seats left (Status.SeatsUpTo zero: the controller has not
	// read them yet, as for the joins of a rush that starts with its room): a fan's
	// share s of its wait becomes s·b/(s+b), b this. Without it, a rush whose 10,000
	// joins all came before that read told the last fan to wait 9.9 s, on a sale sold
	// out at 3.6 s, and the last fans learned it 7 s late.
	followBlind = 4 * time.Second
	// followOpening is how long before a room opens its fans follow, so that their
	// websockets are open when the first passes go out.
	followOpening = 2 * time.Second
	// followMinRate is the lowest admission rate the hint counts on in a room that
	// follows the headroom. A fan that follows early costs the node one connection; a
	// fan that follows late holds up the admissions, which wait for the passes out to
	// be used. At the start of a sale the room's expected rate is what the sections'
	// idle mailboxes take in a step (128 fans a second for one section), and a
	// 10,000-fan rush for 2,000 seats let its 1,000 fans with a seat in at 250–450 a
	// second once the joins were answered (BENCHMARKS.md): counting on 500 a second
	// has the fans with a seat follow ahead of their passes, and those beyond the seats
	// about when the room tells them it is sold out (at 1,000 a second they followed
	// while the passes went out, and the admitted fans' holds waited behind their
	// connections).
	followMinRate = 500
)

// followAfter is how long a fan should wait, from receiving t, before it follows its
// ticket (opens the queue websocket or reads the ticket again): zero unless t is
// waiting, and for the fans the room expects to admit within followLead (the front);
// before the opening, followOpening before it at most; beyond the front, followShare
// of its wait past the front's, counted at followMinRate at least; followMax at most. A
// fan beyond the seats left (Status.SeatsUpTo) has its answer, sold out, when the fans
// those seats cover are; those fans are spread by position from where the last fan
// with a seat follows towards followSoldOut times that wait; while the seats left are
// not known, no hint in a paced room grows past followBlind. A fan admitted before it
// follows has its pass at its first read or open.
func followAfter(t Ticket, q *QueueState, now time.Time) time.Duration {
	if t.Status != TicketWaiting {
		return 0
	}
	var opening time.Duration
	if !q.Settings.open(now) {
		opening = max(0, q.Settings.OpensAt.Sub(now)-followOpening)
	}
	if t.Position == 0 {
		// Its position is drawn when the room opens: it follows to learn it.
		return min(followMax, opening)
	}
	expected := q.etaRate()
	rate := expected
	if !q.Settings.Fixed() {
		rate = max(rate, followMinRate)
	}
	return min(followMax, opening+spread(q, t.Position, expected, rate))
}

// spread is the share of the wait of the fan at pos (after the room opened) it lets
// pass before following: the room expects to admit expected fans a second, the hint
// counts on rate.
func spread(q *QueueState, pos int64, expected, rate float64) time.Duration {
	front := max(followFront, expected*followLead.Seconds())
	n := float64(q.toAnswer(pos))
	s := followShare * max(0, (n-front)/rate)
	switch up := q.Status.SeatsUpTo; {
	case up > 0 && pos > up:
		// Every fan beyond the seats shares the sold-out answer's wait, n fans away:
		// spread them from the share of the last fan with a seat towards
		// followSoldOut times that wait, by how far beyond the seats they stand.
		x := float64(pos - up)
		to := max(s, followSoldOut*n/rate)
		s += (to - s) * x / (x + followSpread*max(followFront, n))
	case up == 0 && !q.Settings.Fixed():
		// The seats left are not known yet: any of these fans may be beyond them.
		b := followBlind.Seconds()
		s = s * b / (s + b)
	}
	return min(followMax, time.Duration(s*float64(time.Second)))
}

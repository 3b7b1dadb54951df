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
	// followLead is how soon before its answer a fan is expected to follow: the fans the
	// room expects to answer within it follow at once.
	followLead = time.Second
	// followShare is the share of its wait beyond followLead a fan lets pass before it
	// follows: it follows well before the room expects to answer it, and the fans
	// further back follow later, spread by position.
	followShare = 0.5
	// followMax caps the hint of a fan in an open room: a fan told to wait longer
	// would learn too late that the room moved faster than it expected.
	followMax = 30 * time.Second
	// followOpening is how long before a room opens its fans follow, so that their
	// websockets are open when the first passes go out.
	followOpening = 2 * time.Second
	// followMinRate is the lowest admission rate the hint counts on in a room that
	// follows the headroom. A fan that follows early costs the node one connection; a
	// fan that follows late holds up the admissions, which wait for the passes out to
	// be used. At the start of a sale the room's expected rate is what the sections'
	// idle mailboxes take in a step (128 fans a second for one section) and the room
	// then admits several times faster: the hint counts on the faster of the two.
	followMinRate = 1000
)

// followAfter is how long a fan should wait, from receiving t, before it follows its
// ticket (opens the queue websocket or reads the ticket again): zero unless t is
// waiting, and for the fans the room expects to answer within followLead; before the
// opening, followOpening before it at most; beyond, followShare of its wait past
// followLead, up to followMax. A fan beyond the seats left (Status.SeatsUpTo) has its
// answer, sold out, when the fans those seats cover are; those fans are spread from
// where the last fan with a seat follows towards that answer, by position, and follow
// before it. A fan admitted before it follows has its pass at its first read or open.
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
		return opening
	}
	rate := q.etaRate()
	if !q.Settings.Fixed() {
		rate = max(rate, followMinRate)
	}
	return opening + spread(q, t.Position, rate)
}

// spread is the share of the wait of the fan at pos (after the room opened) it lets
// pass before following, at rate fans a second.
func spread(q *QueueState, pos int64, rate float64) time.Duration {
	lead := max(followLead.Seconds(), followFront/rate)
	share := func(fans int64) float64 {
		return followShare * max(0, float64(fans)/rate-lead)
	}
	n := q.toAnswer(pos)
	s := share(n)
	if up := q.Status.SeatsUpTo; up > 0 && pos > up {
		// Every fan beyond the seats shares the sold-out answer's wait, n fans away:
		// spread them between the share of the last fan with a seat and that wait.
		x := float64(pos - up)
		scale := float64(max(followFront, n))
		wait := max(float64(n)/rate-lead, 0)
		s += (wait - s) * x / (x + scale)
	}
	return min(followMax, time.Duration(s*float64(time.Second)))
}

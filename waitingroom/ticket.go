package waitingroom

import (
	"math"
	"time"
)

// TicketStatus is where a ticket stands.
type TicketStatus string

// The ticket statuses of docs/api.md.
const (
	TicketWaiting  TicketStatus = "waiting"
	TicketAdmitted TicketStatus = "admitted"
	// TicketExpired: the ticket was admitted and its pass has run out (PassTTL after
	// admission, whether or not it was used).
	TicketExpired TicketStatus = "expired"
	// TicketSoldOut: the ticket waits, but the event has no seat left to hold for it;
	// it turns back to waiting when seats return (holds expire or are released) for
	// every fan ahead of it and for it, at the seats a fan takes.
	TicketSoldOut TicketStatus = "sold_out"
)

// TicketIDPrefix starts every ticket id.
const TicketIDPrefix = "q_"

// TicketRecord is what the store keeps of a ticket: nothing in it changes once set,
// except the position of a ticket waiting for the shuffle, set once.
type TicketRecord struct {
	ID      string
	EventID string
	UserID  string
	// Position is 1-based; zero until a shuffled room assigns it.
	Position int64
	JoinedAt time.Time
}

// Ticket is a fan's place in a room as the API shows it.
type Ticket struct {
	TicketRecord
	// Ahead counts the fans with a smaller position not yet admitted.
	Ahead int64
	// ETASeconds estimates the wait until the fan's answer: admission at the rate the
	// room expects to admit at, or, for a fan beyond the seats left, the sold-out
	// state once the fans those seats cover are admitted.
	ETASeconds int64
	Status     TicketStatus
	// Pass lets the fan hold seats while it is valid; empty unless admitted.
	Pass string
	// PassExpiresAt is when the pass runs out; zero while waiting.
	PassExpiresAt time.Time
	// FollowAfter is how long the fan should wait, from receiving the ticket, before
	// it follows it (opens the queue websocket or reads the ticket again): see
	// followAfter. Zero unless waiting.
	FollowAfter time.Duration
}

// render computes a ticket from its record and its event's queue. q must carry the
// admission covering rec's position if there is one (QueueState's admissions above
// rec.Position-1).
func render(rec TicketRecord, q *QueueState, now time.Time, passes *Passes) Ticket {
	t := Ticket{TicketRecord: rec, Status: TicketWaiting}
	rate := q.etaRate()
	untilOpen := 0.0
	if !q.Settings.open(now) {
		untilOpen = q.Settings.OpensAt.Sub(now).Seconds()
	}
	switch {
	case rec.Position == 0:
		// Everyone with a position is ahead; the shuffle puts this fan, on average,
		// in the middle of those waiting for it.
		t.Ahead = max(0, q.admittable()-q.Watermark)
		t.ETASeconds = eta(untilOpen, float64(t.Ahead)+float64(q.Pending+1)/2, rate)
	case rec.Position <= q.Watermark:
		at, known := q.admittedAt(rec.Position)
		if !known {
			t.Status = TicketExpired
			return t
		}
		// Passes carry their expiry to the second; the ticket says the same.
		t.PassExpiresAt = at.Add(PassTTL).Truncate(time.Second)
		if !now.Before(t.PassExpiresAt) {
			t.Status = TicketExpired
			return t
		}
		t.Status = TicketAdmitted
		t.Pass = passes.Issue(rec.EventID, rec.UserID, rec.ID, at, t.PassExpiresAt)
	default:
		t.Ahead = rec.Position - 1 - q.Watermark
		t.ETASeconds = eta(untilOpen, float64(q.toAnswer(rec.Position)), rate)
	}
	if q.Status.soldOutFor(rec.Position) && t.Status == TicketWaiting {
		t.Status, t.ETASeconds = TicketSoldOut, 0
	}
	t.FollowAfter = followAfter(t, q, now)
	return t
}

// soldOutFor reports whether a fan waiting at pos (zero: not placed yet) has no seat
// left to wait for.
func (st *Status) soldOutFor(pos int64) bool {
	return st.SoldOut && (pos == 0 || pos > st.SoldOutAfter)
}

// eta is the whole seconds until the opening plus the time to admit fans at rate.
func eta(untilOpen, fans, rate float64) int64 {
	return int64(math.Ceil(untilOpen + fans/rate))
}

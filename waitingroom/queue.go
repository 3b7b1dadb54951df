package waitingroom

import (
	"sort"
	"time"
)

// QueueState is an event's queue as the store holds it: everything a ticket of the
// event is computed from, besides the ticket's own record.
type QueueState struct {
	Settings Settings
	// Configured is false when no admin ever set a room for the event.
	Configured bool
	// Joined counts the tickets issued.
	Joined int64
	// Assigned is the last position handed out; positions 1..Assigned exist, except
	// those reserved for a shuffle not applied yet.
	Assigned int64
	// Pending counts the tickets waiting for their shuffled position.
	Pending int64
	// ShuffleBase is the position after which the pending tickets' positions are
	// reserved, once the entry window closed; the watermark stops there until the
	// shuffle is applied.
	ShuffleBase int64
	// Closed reports whether the pending tickets' positions are reserved: no ticket
	// joins the pending ones any more.
	Closed bool
	// Shuffles counts the shuffles applied, so that a node watching tickets without a
	// position knows when to read them again.
	Shuffles int64
	// Watermark: every position at or below it is admitted. It only rises.
	Watermark int64
	// ExpiredUpTo: positions at or below it were admitted longer ago than PassTTL, and
	// their admission times are no longer kept.
	ExpiredUpTo int64
	// Admissions are the watermark's rises the caller asked for (those above a
	// position), in order.
	Admissions []Admission
	// Status is what the controller last said about the room.
	Status Status
}

// Admission is one rise of the watermark: every position up to UpTo was admitted at At.
type Admission struct {
	UpTo int64
	At   time.Time
}

// Status is what the admission controller last recorded for a room.
type Status struct {
	// AdmittingPerS is the rate it admits at.
	AdmittingPerS float64
	// Headroom is the signal it followed (zero when the rate is fixed).
	Headroom Headroom
	// Change is what the headroom made it do: ChangeRaise, ChangeCut, ChangeHold or
	// ChangeFixed.
	Change string
	// SoldOut: the event had no seat left to hold for the fans waiting beyond
	// SoldOutAfter; their tickets read sold out. Seats that return (holds expire or
	// are released) go to the fans next in line, as many as they cover at the seats a
	// fan takes (one at least): SoldOutAfter moves up by as many, and only those fans'
	// tickets read waiting again (then admitted).
	SoldOut bool
	// SoldOutAfter is the last position that still has a seat to wait for while
	// SoldOut: the watermark when no seat is left.
	SoldOutAfter int64
	// ExpectedPerS is the rate the room expects to admit at while fans wait, for their
	// tickets' ETAs (zero at a fixed rate): AdmittingPerS, or more while the rate is
	// still on its way up to what the sections showed they take (see
	// rateControl.expected). At the start of a sale AdmittingPerS is the rate of a room
	// nobody waited in yet (10 fans a second), and an ETA from it told a fan at position
	// 650 to come back in a minute, when the room let him in 3 s later.
	ExpectedPerS float64
	// SeatsUpTo is the last position the event's seats left cover, at the seats a fan
	// takes (Controller: seatsPerFan), those admitted and not held yet counting as
	// holding theirs (zero when the seats left are not known): a fan beyond it has its
	// answer, sold out or a seat that came back, once the fans up to it are admitted.
	SeatsUpTo int64
	// At is when it was recorded.
	At time.Time
}

// The controller's rate changes.
const (
	ChangeRaise = "raise"
	ChangeCut   = "cut"
	ChangeHold  = "hold"
	ChangeFixed = "fixed"
	// ChangeBusy: a node's backlog is over the bound; nobody is admitted until it
	// drains, and the rate stands.
	ChangeBusy = "busy"
)

// admittable returns the highest position the watermark may rise to now: the last
// one assigned, or the start of the reserved positions while a shuffle is due.
func (q *QueueState) admittable() int64 {
	if q.Closed && q.Pending > 0 {
		return q.ShuffleBase
	}
	return q.Assigned
}

// Waiting counts the fans not yet admitted, those without a position included.
func (q *QueueState) Waiting() int64 { return max(0, q.Joined-q.Watermark) }

// admittedAt returns when position pos was admitted, when that is still known.
func (q *QueueState) admittedAt(pos int64) (time.Time, bool) {
	if pos <= q.ExpiredUpTo {
		return time.Time{}, false
	}
	i := sort.Search(len(q.Admissions), func(i int) bool { return q.Admissions[i].UpTo >= pos })
	if i == len(q.Admissions) {
		return time.Time{}, false
	}
	return q.Admissions[i].At, true
}

// rate is the admission rate tickets estimate their wait from: the fixed rate, the
// controller's, or one fan a second when neither is known yet.
func (q *QueueState) rate() float64 {
	if q.Settings.Fixed() {
		return float64(q.Settings.AdmitPerS)
	}
	if q.Status.AdmittingPerS > 0 {
		return q.Status.AdmittingPerS
	}
	return 1
}

// etaRate is the rate a waiting ticket's ETA counts on: the fixed rate, or the one the
// room expects to admit at (Status.ExpectedPerS) when it is above the current one.
func (q *QueueState) etaRate() float64 {
	if q.Settings.Fixed() {
		return q.rate()
	}
	return max(q.rate(), q.Status.ExpectedPerS)
}

// startingEstimate gives a room that follows the headroom and has no rate yet (the
// controller has not stepped it since it was enabled: the first fans of a rush that
// starts with the room join before that) the rate the controller starts from with idle
// sections, for one section (rateControl.idleStart): DepthBound fans a rate step,
// Initial at least. Without it those fans' ETAs counted on one fan a second: the fan
// at position 5,000 was told 83 minutes for a sale that ended within seconds.
func (q *QueueState) startingEstimate(rc RateConfig) {
	if q.Settings.Fixed() || q.Status.AdmittingPerS > 0 || q.Status.ExpectedPerS > 0 {
		return
	}
	rc = rc.withDefaults()
	q.Status.ExpectedPerS = max(rc.Initial, rc.idleRate(1))
}

// toAnswer counts the fans to admit before the fan waiting at pos has an answer: those
// up to pos, or, for a fan beyond the seats left (Status.SeatsUpTo), those the seats
// cover, after whom the room says it is sold out (at least one: the tell waits for the
// holds of the passes out).
func (q *QueueState) toAnswer(pos int64) int64 {
	n := pos - q.Watermark
	if up := q.Status.SeatsUpTo; up > 0 && pos > up {
		n = min(n, max(1, up-q.Watermark))
	}
	return n
}

// Room is the room the state describes.
func (q *QueueState) Room(initialRate float64) Room {
	r := Room{Settings: q.Settings, Configured: q.Configured, Waiting: q.Waiting(), Admitted: q.Watermark}
	if !q.Settings.Enabled {
		return r
	}
	switch {
	case q.Settings.Fixed():
		r.AdmittingPerS = float64(q.Settings.AdmitPerS)
	case q.Status.AdmittingPerS > 0:
		r.AdmittingPerS = q.Status.AdmittingPerS
	default:
		r.AdmittingPerS = initialRate
	}
	return r
}

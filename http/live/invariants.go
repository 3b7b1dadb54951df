package live

import (
	"fmt"
	"sync"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The invariants an Invariants checker watches, the Action of its invariant traces.
const (
	InvariantSoldOnce      = "sold_once"
	InvariantVersionsNoGap = "versions_gap_free"
	InvariantConfirmedSold = "confirmed_seats_sold"
)

// maxPendingBookings bounds the confirmed orders a section keeps waiting for the
// version that sold their seats; past it the oldest are dropped unchecked.
const maxPendingBookings = 1000

// Invariants checks, live, the committed section versions a node's live feed receives:
// a seat is never sold again while it is sold, each section's versions rise by one, and
// every confirmed order's seats are sold in the section as of the order's version.
// A violation is reported once, as an invariant trace (Action the invariant, Outcome
// "violated", Actor the section, Reason what was seen), to the visualizer, which keeps it
// red. A version at or below the last one seen is a redelivery and is skipped; the first
// version seen of a section is its starting point.
type Invariants struct {
	report func(actors.Trace)

	mu       sync.Mutex
	versions map[string]int64                   // section → last version seen
	seats    map[string]seatSeen                // "<section>/<seat>" → last status seen
	pending  map[string][]actors.BookingCreated // section → orders whose version is not seen yet
}

// seatSeen is a seat's last status and the version that set it.
type seatSeen struct {
	status  actors.SeatStatus
	version int64
}

// NewInvariants returns a checker that reports violations to report.
func NewInvariants(report func(actors.Trace)) *Invariants {
	return &Invariants{report: report, versions: map[string]int64{}, seats: map[string]seatSeen{},
		pending: map[string][]actors.BookingCreated{}}
}

// TraceInvariant is the type of a violation's trace.
const TraceInvariant = "invariant"

// Changed checks one committed section version. It has the live feed's handler's
// signature and never blocks on anything but its own lock.
func (v *Invariants) Changed(eventID, sectionID string, ch actors.SectionChanged) {
	section := actors.SectionKey{EventID: eventID, SectionID: sectionID}.Identity()
	var found []actors.Trace
	v.mu.Lock()
	last, seen := v.versions[section]
	switch {
	case seen && ch.Version <= last:
		v.mu.Unlock()
		return
	case seen && ch.Version != last+1:
		found = append(found, violation(InvariantVersionsNoGap, section,
			fmt.Sprintf("version %d followed %d: %d missing", ch.Version, last, ch.Version-last-1)))
	}
	v.versions[section] = ch.Version
	for _, c := range ch.Changes {
		key := section + "/" + c.ID
		if c.Status == actors.SeatSold && v.seats[key].status == actors.SeatSold {
			found = append(found, violation(InvariantSoldOnce, section,
				fmt.Sprintf("seat %s sold again at version %d while sold", c.ID, ch.Version)))
		}
		v.seats[key] = seatSeen{status: c.Status, version: ch.Version}
	}
	// The orders this version confirmed (or an earlier one) can be checked now.
	waiting := v.pending[section]
	kept := waiting[:0]
	for _, b := range waiting {
		if b.SectionVersion > ch.Version {
			kept = append(kept, b)
			continue
		}
		found = append(found, v.checkBooking(section, b)...)
	}
	if len(kept) == 0 {
		delete(v.pending, section)
	} else {
		v.pending[section] = kept
	}
	v.mu.Unlock()
	for _, t := range found {
		v.report(t)
	}
}

// Confirmed checks one confirmed order (a booking.created event): each of its seats
// must be sold in the section as of the order's version. An order whose version the
// checker has not seen yet waits for it; a seat whose status changed after the order's
// version (a cancel), or was never seen, cannot be checked and is skipped. It never
// blocks on anything but its own lock.
func (v *Invariants) Confirmed(eventID, sectionID string, b actors.BookingCreated) {
	if len(b.Seats) == 0 {
		return // a general-admission order sells a quantity, not seats
	}
	section := actors.SectionKey{EventID: eventID, SectionID: sectionID}.Identity()
	v.mu.Lock()
	var found []actors.Trace
	if last, seen := v.versions[section]; seen && b.SectionVersion <= last {
		found = v.checkBooking(section, b)
	} else {
		waiting := append(v.pending[section], b)
		if len(waiting) > maxPendingBookings {
			waiting = waiting[len(waiting)-maxPendingBookings:]
		}
		v.pending[section] = waiting
	}
	v.mu.Unlock()
	for _, t := range found {
		v.report(t)
	}
}

// checkBooking returns the violation of an order one of whose seats is not sold as of
// the order's version; v.mu must be held.
func (v *Invariants) checkBooking(section string, b actors.BookingCreated) []actors.Trace {
	for _, seat := range b.Seats {
		s, ok := v.seats[section+"/"+seat]
		if !ok || s.version > b.SectionVersion || s.status == actors.SeatSold {
			continue
		}
		return []actors.Trace{violation(InvariantConfirmedSold, section,
			fmt.Sprintf("order %s confirmed seat %s at version %d, which the section shows %s", b.OrderID, seat, b.SectionVersion, s.status))}
	}
	return nil
}

func violation(rule, section, reason string) actors.Trace {
	return actors.Trace{Type: TraceInvariant, Action: rule, Outcome: "violated", Actor: section, Reason: reason}
}

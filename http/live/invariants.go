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
)

// Invariants checks, live, the committed section versions a node's live feed receives:
// a seat is never sold again while it is sold, and each section's versions rise by one.
// A violation is reported once, as an invariant trace (Action the invariant, Outcome
// "violated", Actor the section, Reason what was seen), to the visualizer, which keeps it
// red. A version at or below the last one seen is a redelivery and is skipped; the first
// version seen of a section is its starting point.
type Invariants struct {
	report func(actors.Trace)

	mu       sync.Mutex
	versions map[string]int64  // section → last version seen
	seats    map[string]string // "<section>/<seat>" → last status seen
}

// NewInvariants returns a checker that reports violations to report.
func NewInvariants(report func(actors.Trace)) *Invariants {
	return &Invariants{report: report, versions: map[string]int64{}, seats: map[string]string{}}
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
		if c.Status == actors.SeatSold && v.seats[key] == string(actors.SeatSold) {
			found = append(found, violation(InvariantSoldOnce, section,
				fmt.Sprintf("seat %s sold again at version %d while sold", c.ID, ch.Version)))
		}
		v.seats[key] = string(c.Status)
	}
	v.mu.Unlock()
	for _, t := range found {
		v.report(t)
	}
}

func violation(rule, section, reason string) actors.Trace {
	return actors.Trace{Type: TraceInvariant, Action: rule, Outcome: "violated", Actor: section, Reason: reason}
}

package classic

import (
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The actions of the Lock strategy's lock traces.
const (
	lockTake    = "take"
	lockRefuse  = "refuse"
	lockRelease = "release"
)

// traceLocks traces one action on the seat locks of seats: taken for user, refused to
// user (reason says why), or released after being held for held (outcome settled when
// the claim committed, freed when it did not). It does nothing without a tracer.
func (l *Lock) traceLocks(action string, key actors.SectionKey, seats []string, user, reason, outcome string, held time.Duration) {
	if l.tracer == nil {
		return
	}
	keys := l.locks.keys(key, seats)
	for i, seat := range seats {
		t := actors.Trace{Type: actors.TraceLock, Action: action, Actor: key.Identity(), Seat: seat, Key: keys[i],
			User: user, Reason: reason, Outcome: outcome}
		switch action {
		case lockTake:
			t.TTLMillis = l.locks.ttl.Milliseconds()
		case lockRelease:
			t.Millis = float64(held.Microseconds()) / 1000
		}
		l.tracer.Trace(t)
	}
}

package waitingroom

import (
	"fmt"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Order says how a room hands out positions.
type Order string

// The orders of docs/api.md.
const (
	// OrderFIFO gives positions in the order fans join.
	OrderFIFO Order = "fifo"
	// OrderRandom gives everyone who joins before OpensAt a position drawn at random
	// (a Fisher–Yates shuffle) at OpensAt; later fans get positions after them, in the
	// order they join.
	OrderRandom Order = "random"
)

// MaxAdmitPerS bounds a fixed admission rate.
const MaxAdmitPerS = 100000

// PassTTL is how long a pass is valid after its ticket was admitted.
const PassTTL = 10 * time.Minute

// Settings are what an admin sets for an event's room.
type Settings struct {
	EventID string
	Enabled bool
	Order   Order
	// OpensAt is when admission starts (and, with OrderRandom, when the fans who joined
	// before it are shuffled); zero means at once.
	OpensAt time.Time
	// AdmitPerS is a fixed admission rate in fans per second; zero means following the
	// sections' live headroom.
	AdmitPerS int
	// DisabledAt is when the room was last saved disabled (the store sets it; zero
	// while it is enabled): past the ticket retention from then the controller forgets
	// the room's tickets and queue (Controller.forgetRoom).
	DisabledAt time.Time
}

// Validate checks the settings, naming each bad field as the API spells it.
func (s Settings) Validate() error {
	problems := map[string]string{}
	if !actors.ValidLookupID(s.EventID) {
		problems["event_id"] = actors.LookupIDRule
	}
	switch s.Order {
	case OrderFIFO:
	case OrderRandom:
		if s.OpensAt.IsZero() {
			problems["opens_at"] = "is required with order random: the fans who join before it are shuffled at it"
		}
	default:
		problems["order"] = "must be one of fifo, random"
	}
	if s.AdmitPerS < 0 || s.AdmitPerS > MaxAdmitPerS {
		problems["admit_per_s"] = fmt.Sprintf("must be between 1 and %d", MaxAdmitPerS)
	}
	if len(problems) > 0 {
		return actors.InvalidFields(problems)
	}
	return nil
}

// Fixed reports whether the room admits at a fixed rate rather than by headroom.
func (s Settings) Fixed() bool { return s.AdmitPerS > 0 }

// open reports whether admission has started at now.
func (s Settings) open(now time.Time) bool { return s.OpensAt.IsZero() || !now.Before(s.OpensAt) }

// Room is an event's waiting room as the API shows it.
type Room struct {
	Settings
	// Configured is false for an event no admin ever set a room for: the defaults.
	Configured bool
	// AdmittingPerS is the rate the room admits at: AdmitPerS when fixed, otherwise
	// the rate the controller follows the headroom at.
	AdmittingPerS float64
	// Waiting counts the fans in the queue not yet admitted.
	Waiting int64
	// Admitted counts the fans admitted so far.
	Admitted int64
}

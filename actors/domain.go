package actors

import "time"

// SectionKind says how a section sells: seat by seat or by quantity.
type SectionKind string

// The section kinds of docs/api.md.
const (
	KindReserved         SectionKind = "reserved"
	KindGeneralAdmission SectionKind = "general_admission"
)

// SeatStatus is the state of one reserved seat.
type SeatStatus string

// The seat statuses of docs/api.md.
const (
	SeatAvailable SeatStatus = "available"
	SeatHeld      SeatStatus = "held"
	SeatSold      SeatStatus = "sold"
)

// HoldStatus is the state of a hold.
type HoldStatus string

// The hold statuses of docs/api.md.
const (
	HoldHeld      HoldStatus = "held"
	HoldReleased  HoldStatus = "released"
	HoldExpired   HoldStatus = "expired"
	HoldConfirmed HoldStatus = "confirmed"
)

// OrderStatus is the state of an order.
type OrderStatus string

// The order statuses of docs/api.md.
const (
	OrderConfirmed OrderStatus = "confirmed"
	OrderCancelled OrderStatus = "cancelled"
)

// MaxSeatsPerHold is the largest number of seats one hold may carry.
const MaxSeatsPerHold = 20

// DefaultMaxTicketsPerUser applies when an event does not set its own limit.
const DefaultMaxTicketsPerUser = 8

// SectionKey names one section of one event; it is also the actor's identity.
type SectionKey struct {
	EventID   string
	SectionID string
}

// Identity is the cluster identity of the section actor: "<event>/<section>".
func (k SectionKey) Identity() string { return k.EventID + "/" + k.SectionID }

// String returns the identity.
func (k SectionKey) String() string { return k.Identity() }

// Event is an event on sale with its sections and their live counts.
type Event struct {
	ID                string
	Name              string
	Venue             string
	StartsAt          time.Time
	Currency          string
	Status            string
	MaxTicketsPerUser int
	Sections          []Section
}

// Section describes one section and, when read back, its counts.
type Section struct {
	ID         string
	Name       string
	Kind       SectionKind
	PriceCents int64
	Capacity   int
	Rows       []RowSpec // reserved sections only
	Accessible []string  // seat ids, reserved sections only
	Available  int
	Held       int
	Sold       int
}

// RowSpec is one row of a reserved section: a label and a seat count.
type RowSpec struct {
	Label string
	Seats int
}

// Seat is one reserved seat as the section actor and the seat map see it.
type Seat struct {
	ID         string
	Row        string
	RowIndex   int
	Number     int
	Accessible bool
	Status     SeatStatus
	HoldID     string
	OrderID    string
}

// SeatMap is the committed state of a section, as GET …/seats returns it.
type SeatMap struct {
	SectionID string
	Kind      SectionKind
	Version   int64
	Seats     []Seat // reserved
	Capacity  int    // general admission
	Available int
	Held      int
	Sold      int
}

// Hold is a temporary claim on seats (or a general-admission quantity) for one user.
type Hold struct {
	ID        string
	EventID   string
	SectionID string
	UserID    string
	Seats     []string
	Quantity  int
	Status    HoldStatus
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	OrderID   string
}

// Order is a confirmed purchase of a hold's seats.
type Order struct {
	ID         string
	HoldID     string
	EventID    string
	SectionID  string
	UserID     string
	Seats      []string
	Quantity   int
	Status     OrderStatus
	TotalCents int64
	Currency   string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

package api

import "time"

// EventSpec is the body of POST /api/v1/events.
type EventSpec struct {
	Name              string        `json:"name"`
	Venue             string        `json:"venue"`
	StartsAt          string        `json:"starts_at"`
	Currency          string        `json:"currency"`
	MaxTicketsPerUser int           `json:"max_tickets_per_user,omitempty"`
	Sections          []SectionSpec `json:"sections"`
}

// SectionSpec is one section of an EventSpec.
type SectionSpec struct {
	ID         string    `json:"id"`
	Name       string    `json:"name,omitempty"`
	Kind       string    `json:"kind"`
	PriceCents int64     `json:"price_cents"`
	Capacity   int       `json:"capacity,omitempty"`
	Rows       []RowSpec `json:"rows,omitempty"`
	Accessible []string  `json:"accessible,omitempty"`
}

// RowSpec is one row of a reserved section.
type RowSpec struct {
	Label string `json:"label"`
	Seats int    `json:"seats"`
}

// Event is an event as the API returns it.
type Event struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Venue             string    `json:"venue"`
	StartsAt          time.Time `json:"starts_at"`
	Currency          string    `json:"currency"`
	Status            string    `json:"status"`
	MaxTicketsPerUser int       `json:"max_tickets_per_user"`
	Sections          []Section `json:"sections"`
}

// Section is one section of an Event, with its live counts.
type Section struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	PriceCents int64  `json:"price_cents"`
	Capacity   int    `json:"capacity"`
	Available  int    `json:"available"`
	Held       int    `json:"held"`
	Sold       int    `json:"sold"`
}

// SeatMap is GET …/seats: Seats for a reserved section, the counts for general
// admission.
type SeatMap struct {
	SectionID string `json:"section_id"`
	Version   int64  `json:"version"`
	Seats     []Seat `json:"seats,omitempty"`
	Capacity  int    `json:"capacity,omitempty"`
	Available int    `json:"available,omitempty"`
	Held      int    `json:"held,omitempty"`
	Sold      int    `json:"sold,omitempty"`
}

// Reserved reports whether the map lists seats.
func (m SeatMap) Reserved() bool { return m.Seats != nil }

// Seat is one seat of a reserved map.
type Seat struct {
	ID         string `json:"id"`
	Row        string `json:"row"`
	Number     int    `json:"number"`
	Status     string `json:"status"`
	Accessible bool   `json:"accessible"`
}

// HoldRequest is the body of POST …/holds: explicit Seats or a Quantity.
type HoldRequest struct {
	SectionID string   `json:"section_id"`
	Seats     []string `json:"seats,omitempty"`
	Quantity  int      `json:"quantity,omitempty"`
}

// Hold is a hold as the API returns it.
type Hold struct {
	ID        string    `json:"id"`
	EventID   string    `json:"event_id"`
	SectionID string    `json:"section_id"`
	Seats     []string  `json:"seats"`
	Quantity  int       `json:"quantity"`
	Status    string    `json:"status"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	UserID    string    `json:"user_id"`
}

// Order is an order as the API returns it.
type Order struct {
	ID         string    `json:"id"`
	HoldID     string    `json:"hold_id"`
	EventID    string    `json:"event_id"`
	SectionID  string    `json:"section_id"`
	Seats      []string  `json:"seats"`
	Quantity   int       `json:"quantity"`
	Status     string    `json:"status"`
	TotalCents int64     `json:"total_cents"`
	Currency   string    `json:"currency"`
	CreatedAt  time.Time `json:"created_at"`
	UserID     string    `json:"user_id"`
}

// errorBody is every error answer: {"error":{"code","message","details"}}.
type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// The error codes blitzload acts on.
const (
	CodeSeatUnavailable = "SEAT_UNAVAILABLE"
	CodeSoldOut         = "SOLD_OUT"
	CodePaymentDeclined = "PAYMENT_DECLINED"
	CodeHoldNotActive   = "HOLD_NOT_ACTIVE"
	CodeHoldExpired     = "HOLD_EXPIRED"
	CodeLimitExceeded   = "LIMIT_EXCEEDED"
	CodeRateLimited     = "RATE_LIMITED"
	CodeUnavailable     = "UNAVAILABLE"
	CodeIdempotency     = "IDEMPOTENCY_CONFLICT"
)

// The payment tokens of the simulated payment step.
const (
	PaymentOK      = "tok_ok"
	PaymentDecline = "tok_decline"
)

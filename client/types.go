package client

import "time"

// The request and response bodies of docs/openapi.yaml. Answers decode into them field
// for field; lists the server sends are never nil after a successful call.

// Section kinds.
const (
	// KindReserved sections have numbered seats.
	KindReserved = "reserved"
	// KindGeneralAdmission sections have places, counted but not named.
	KindGeneralAdmission = "general_admission"
)

// Payment tokens the server's simulated payment step understands.
const (
	// PaymentTokenOK is accepted (as is any token but PaymentTokenDeclined).
	PaymentTokenOK = "tok_ok"
	// PaymentTokenDeclined is declined: PAYMENT_DECLINED, and the hold stays held.
	PaymentTokenDeclined = "tok_decline"
)

// EventSpec is the body of POST /api/v1/events.
type EventSpec struct {
	Name     string    `json:"name"`
	Venue    string    `json:"venue"`
	StartsAt time.Time `json:"starts_at"`
	// Currency is an ISO 4217 code in capitals, the currency of every price.
	Currency string `json:"currency"`
	// MaxTicketsPerUser caps what one user holds and buys for the event; zero leaves
	// the server's default (8).
	MaxTicketsPerUser int           `json:"max_tickets_per_user,omitempty"`
	Sections          []SectionSpec `json:"sections"`
}

// SectionSpec is one section of an EventSpec: Rows for a reserved section, Capacity
// for general admission.
type SectionSpec struct {
	// ID is 1 to 32 characters of A-Z a-z 0-9 _ -.
	ID string `json:"id"`
	// Name defaults to ID.
	Name string `json:"name,omitempty"`
	// Kind is KindReserved or KindGeneralAdmission.
	Kind       string `json:"kind"`
	PriceCents int64  `json:"price_cents"`
	// Capacity is required for general admission; for a reserved section it may be
	// left out, or must equal the number of seats.
	Capacity int       `json:"capacity,omitempty"`
	Rows     []RowSpec `json:"rows,omitempty"`
	// Accessible lists accessible seats of a reserved section ("A-1").
	Accessible []string `json:"accessible,omitempty"`
}

// RowSpec is one row of a reserved section: seats Label-1 to Label-Seats.
type RowSpec struct {
	// Label is 1 to 3 capital letters.
	Label string `json:"label"`
	Seats int    `json:"seats"`
}

// Event is an event as the API answers it.
type Event struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Venue    string    `json:"venue"`
	StartsAt time.Time `json:"starts_at"`
	Currency string    `json:"currency"`
	// Status is "on_sale".
	Status            string    `json:"status"`
	MaxTicketsPerUser int       `json:"max_tickets_per_user"`
	Sections          []Section `json:"sections"`
}

// Section is one section of an Event with its committed counts
// (Available + Held + Sold = Capacity).
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

// SeatMap is a section's committed state at Version: Seats for a reserved section, the
// counts for general admission.
type SeatMap struct {
	SectionID string `json:"section_id"`
	Version   int64  `json:"version"`
	Seats     []Seat `json:"seats,omitempty"`
	Capacity  int    `json:"capacity,omitempty"`
	Available int    `json:"available,omitempty"`
	Held      int    `json:"held,omitempty"`
	Sold      int    `json:"sold,omitempty"`
}

// SeatHistory is every attempt on one seat, in decision order.
type SeatHistory struct {
	SeatID   string        `json:"seat_id"`
	Attempts []SeatAttempt `json:"attempts"`
}

// SeatAttempt is one attempt on a seat. User is "you" or "another fan" for a fan, the
// user id for an admin; Code is empty when the attempt was granted; Reason is for people.
type SeatAttempt struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	User    string    `json:"user"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
	Code    Code      `json:"code"`
	Reason  string    `json:"reason"`
	Version int64     `json:"version"`
}

// Reserved reports whether the map lists seats (a reserved section).
func (m SeatMap) Reserved() bool { return m.Seats != nil }

// Seat is one seat of a reserved section's map.
type Seat struct {
	// ID is "<row>-<number>", such as "A-12".
	ID     string `json:"id"`
	Row    string `json:"row"`
	Number int    `json:"number"`
	// Status is "available", "held" or "sold".
	Status     string `json:"status"`
	Accessible bool   `json:"accessible"`
}

// HoldRequest is the body of POST /api/v1/events/{event_id}/holds: Seats, or a
// Quantity (best available in a reserved section, places in general admission).
type HoldRequest struct {
	SectionID string `json:"section_id"`
	// Seats are exactly these seats, all or none (at most 20).
	Seats []string `json:"seats,omitempty"`
	// Quantity asks for this many seats or places (1 to 20) instead of Seats.
	Quantity int `json:"quantity,omitempty"`
	// Accessible asks a quantity request in a reserved section for accessible seats.
	Accessible bool `json:"accessible,omitempty"`
}

// HoldSeats asks for exactly these seats of a reserved section, all or none.
func HoldSeats(sectionID string, seats ...string) HoldRequest {
	return HoldRequest{SectionID: sectionID, Seats: seats}
}

// HoldBestAvailable asks for the best quantity adjacent seats of a reserved section.
func HoldBestAvailable(sectionID string, quantity int) HoldRequest {
	return HoldRequest{SectionID: sectionID, Quantity: quantity}
}

// HoldPlaces asks for quantity places of a general-admission section.
func HoldPlaces(sectionID string, quantity int) HoldRequest {
	return HoldRequest{SectionID: sectionID, Quantity: quantity}
}

// Hold is a hold as the API answers it.
type Hold struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
	// Seats are the held seats; empty in general admission.
	Seats    []string `json:"seats"`
	Quantity int      `json:"quantity"`
	// Status is "held", "released", "expired" or "confirmed".
	Status    string    `json:"status"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	UserID    string    `json:"user_id"`
}

// Released is the answer to a release.
type Released struct {
	ID string `json:"id"`
	// Status is "released".
	Status string `json:"status"`
}

// Order is an order as the API answers it.
type Order struct {
	ID        string `json:"id"`
	HoldID    string `json:"hold_id"`
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
	// Seats are the bought seats; empty in general admission.
	Seats    []string `json:"seats"`
	Quantity int      `json:"quantity"`
	// Status is "confirmed" or "cancelled".
	Status     string    `json:"status"`
	TotalCents int64     `json:"total_cents"`
	Currency   string    `json:"currency"`
	CreatedAt  time.Time `json:"created_at"`
	UserID     string    `json:"user_id"`
}

// Token is a bearer token with its expiry.
type Token struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Health is the answer of /healthz.
type Health struct {
	// Status is "ok".
	Status string `json:"status"`
}

// Readiness is the answer of a ready node's /readyz.
type Readiness struct {
	// Status is "ready".
	Status string `json:"status"`
	// Checks holds each readiness check ("postgres", "redis", "cluster") with "ok", or
	// "degraded: " and its error for one the node serves without (Redis).
	Checks map[string]string `json:"checks"`
}

// Cluster is the cluster as the answering node sees it.
type Cluster struct {
	// Node is the node that answered.
	Node    string   `json:"node"`
	Members []Member `json:"members"`
}

// Member is one member of a Cluster.
type Member struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// Status is "alive", "suspect", "leaving", "dead" or "left".
	Status string `json:"status"`
	// Sections counts the sections active on the member.
	Sections int `json:"sections"`
}

// FlashSaleRequest starts a simulated crowd inside the engine.
type FlashSaleRequest struct {
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
	// Fans (1 to 2000) arrive evenly over Seconds (1 to 60); zero leaves the server's
	// defaults (300 over 10 s).
	Fans    int `json:"fans,omitempty"`
	Seconds int `json:"seconds,omitempty"`
}

// FlashSale is a flash sale's progress. Each attempt ends as a hold or a refusal.
type FlashSale struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
	Fans      int    `json:"fans"`
	Seconds   int    `json:"seconds"`
	// Status is "running" or "done".
	Status   string `json:"status"`
	Attempts int64  `json:"attempts"`
	Holds    int64  `json:"holds"`
	Orders   int64  `json:"orders"`
	Refusals int64  `json:"refusals"`
}

// Waiting-room orders.
const (
	// QueueOrderFIFO gives positions in the order fans join.
	QueueOrderFIFO = "fifo"
	// QueueOrderRandom shuffles everyone who joined before OpensAt at OpensAt; later
	// fans get positions after them, in the order they join.
	QueueOrderRandom = "random"
)

// Queue ticket statuses.
const (
	// QueueWaiting: not admitted yet.
	QueueWaiting = "waiting"
	// QueueAdmitted: the ticket carries a pass.
	QueueAdmitted = "admitted"
	// QueueExpired: admitted, and the pass has run out.
	QueueExpired = "expired"
	// QueueSoldOut: not admitted, and the event has no seat left to hold; it reads
	// QueueWaiting again if seats return.
	QueueSoldOut = "sold_out"
)

// WaitingRoomRequest is the body of PUT /api/v1/events/{event_id}/waiting-room.
type WaitingRoomRequest struct {
	Enabled bool `json:"enabled"`
	// Order is QueueOrderFIFO (the server's default when empty) or QueueOrderRandom.
	Order string `json:"order,omitempty"`
	// OpensAt is when admission starts; a random room needs it. Nil: at once.
	OpensAt *time.Time `json:"opens_at,omitempty"`
	// AdmitPerS fixes the admission rate in fans per second; nil follows the
	// sections' live headroom.
	AdmitPerS *int `json:"admit_per_s,omitempty"`
}

// WaitingRoom is an event's waiting room as the API answers it.
type WaitingRoom struct {
	EventID string `json:"event_id"`
	Enabled bool   `json:"enabled"`
	Order   string `json:"order"`
	// OpensAt is nil when admission starts at once.
	OpensAt *time.Time `json:"opens_at"`
	// AdmitPerS is nil when the room follows the headroom.
	AdmitPerS *int `json:"admit_per_s"`
	// AdmittingPerS is the rate the room admits at now, fans per second.
	AdmittingPerS float64 `json:"admitting_per_s"`
	// Waiting counts the fans not yet admitted, Admitted those admitted so far.
	Waiting  int64 `json:"waiting"`
	Admitted int64 `json:"admitted"`
}

// QueueTicket is a fan's place in an event's queue.
type QueueTicket struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	UserID  string `json:"user_id"`
	// Position is 1-based and fixed once assigned; nil in a random room until it opens.
	Position *int64 `json:"position"`
	// Ahead counts the fans with a smaller position not yet admitted.
	Ahead      int64 `json:"ahead"`
	ETASeconds int64 `json:"eta_seconds"`
	// Status is QueueWaiting, QueueAdmitted, QueueExpired or QueueSoldOut.
	Status string `json:"status"`
	// Pass, while admitted, is what QueuePass sends with holds; nil otherwise.
	Pass *string `json:"pass"`
	// PassExpiresAt is when the pass runs out (10 minutes after admission); nil while
	// waiting.
	PassExpiresAt *time.Time `json:"pass_expires_at"`
	JoinedAt      time.Time  `json:"joined_at"`
	// FollowAfterMS is how long to wait, in milliseconds from receiving the ticket,
	// before opening its websocket (FollowQueue) or reading it again (QueueTicket);
	// on the websocket, before coming back should the connection end. Zero unless
	// waiting, and near the front.
	FollowAfterMS int64 `json:"follow_after_ms"`
}

// FollowAfter is FollowAfterMS as a duration.
func (t QueueTicket) FollowAfter() time.Duration {
	return time.Duration(max(t.FollowAfterMS, 0)) * time.Millisecond
}

// Admitted reports whether the ticket carries a pass to hold with.
func (t QueueTicket) Admitted() bool { return t.Status == QueueAdmitted && t.Pass != nil }

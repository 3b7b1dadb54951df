package audit

import "time"

// The seat statuses of a reserved seat map.
const (
	SeatAvailable = "available"
	SeatHeld      = "held"
	SeatSold      = "sold"
)

// The section kinds.
const (
	KindReserved         = "reserved"
	KindGeneralAdmission = "general_admission"
)

// The order statuses.
const (
	OrderConfirmed = "confirmed"
	OrderCancelled = "cancelled"
)

// SeatMap is one section's state as GET …/seats returned it.
type SeatMap struct {
	Kind    string `json:"kind"`
	Version int64  `json:"version"`
	// Seats maps each seat id of a reserved section to its status.
	Seats map[string]string `json:"seats,omitempty"`
	// The counts of a general-admission section.
	Capacity  int `json:"capacity,omitempty"`
	Available int `json:"available,omitempty"`
	Held      int `json:"held,omitempty"`
	Sold      int `json:"sold,omitempty"`
	// ReadStart and ReadEnd bracket the read.
	ReadStart time.Time `json:"read_start"`
	ReadEnd   time.Time `json:"read_end"`
}

// Order is an order as the API shows it.
type Order struct {
	ID        string   `json:"id"`
	HoldID    string   `json:"hold_id"`
	EventID   string   `json:"event_id"`
	SectionID string   `json:"section_id"`
	UserID    string   `json:"user_id"`
	Seats     []string `json:"seats"`
	Quantity  int      `json:"quantity"`
	Status    string   `json:"status"`
}

// Hold is a hold as GET /api/v1/me/holds lists it.
type Hold struct {
	ID        string   `json:"id"`
	EventID   string   `json:"event_id"`
	SectionID string   `json:"section_id"`
	UserID    string   `json:"user_id"`
	Seats     []string `json:"seats"`
	Quantity  int      `json:"quantity"`
	Status    string   `json:"status"`
}

// OrderRead is the answer to GET /api/v1/orders/{id} asked as the order's owner.
type OrderRead struct {
	Status int    `json:"status"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
	Order  Order  `json:"order"`
}

// Final is the state read back through the API after the run.
type Final struct {
	// At is when the read-back started; every record ended before it.
	At time.Time `json:"at"`
	// SeatMaps holds the final map of every section the records touched.
	SeatMaps map[SectionRef]SeatMap `json:"-"`
	// Orders holds GET /orders/{id} for every order the records know.
	Orders map[string]OrderRead `json:"orders"`
	// UserOrders holds GET /me/orders for users whose confirm had an unknown outcome;
	// a user missing here was not read.
	UserOrders map[string][]Order `json:"user_orders"`
	// UserHolds holds GET /me/holds for users with a hold request answered 503 or not
	// answered at all; a user missing here was not read.
	UserHolds map[string][]Hold `json:"user_holds"`
}

// Options tune the checks.
type Options struct {
	// ClockSkew is how far the server's clock (hold expiries) may be from the
	// client's; default 2s.
	ClockSkew time.Duration
	// ExpiryGrace is how long after its expires_at a hold may still show as held
	// (expiry timers run late under load); default 30s.
	ExpiryGrace time.Duration
	// MaxListed bounds the violations listed per kind (all are counted); default 20.
	MaxListed int
}

// withDefaults returns a copy of o with every unset field filled in.
func (o Options) withDefaults() Options {
	if o.ClockSkew == 0 {
		o.ClockSkew = 2 * time.Second
	}
	if o.ExpiryGrace == 0 {
		o.ExpiryGrace = 30 * time.Second
	}
	if o.MaxListed == 0 {
		o.MaxListed = 20
	}
	return o
}

// Input is everything Check looks at.
type Input struct {
	Records []Record
	// Initial optionally holds the maps read before the run, for sections that were
	// not fresh: seats taken then are not blamed on the run.
	Initial map[SectionRef]SeatMap
	Final   Final
}

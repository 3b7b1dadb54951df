package audit

import (
	"sync"
	"time"
)

// Op names the kind of state-changing request a Record describes.
type Op string

// The state-changing requests of the public API.
const (
	OpHold    Op = "hold"    // POST /api/v1/events/{event_id}/holds
	OpRelease Op = "release" // DELETE /api/v1/holds/{hold_id}
	OpConfirm Op = "confirm" // POST /api/v1/holds/{hold_id}/confirm
	OpCancel  Op = "cancel"  // POST /api/v1/orders/{order_id}/cancel
	OpExtend  Op = "extend"  // POST /api/v1/holds/{hold_id}/extend
)

// SectionRef names one section of one event.
type SectionRef struct {
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
}

// String returns "<event>/<section>".
func (r SectionRef) String() string { return r.EventID + "/" + r.SectionID }

// Record is one request a fan sent and what came back. Start is taken just before the
// request is written and End just after the answer (or the failure) arrived, so any
// change the request made took effect between the two.
type Record struct {
	User    string `json:"user"`
	Op      Op     `json:"op"`
	EventID string `json:"event_id"`
	// SectionID is the section the request is about; for release, confirm, cancel and
	// extend it may be empty, and the audit takes it from the hold.
	SectionID string `json:"section_id,omitempty"`

	// Seats are the explicit seats a hold asked for; Quantity the number a
	// best-available or general-admission hold asked for.
	Seats    []string `json:"seats,omitempty"`
	Quantity int      `json:"quantity,omitempty"`
	// HoldID is the hold a release, confirm or extend is about, and the new hold's id
	// when a hold succeeded.
	HoldID string `json:"hold_id,omitempty"`
	// OrderID is the order a cancel is about, and the new order's id when a confirm
	// succeeded.
	OrderID        string `json:"order_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	PaymentToken   string `json:"payment_token,omitempty"`

	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Status  int       `json:"status"`
	Code    string    `json:"code,omitempty"`
	Outcome Outcome   `json:"outcome"`
	Error   string    `json:"error,omitempty"`

	// What a successful answer said: the seats held or sold, the quantity, and the
	// hold's expiry (holds and extends).
	GotSeats    []string  `json:"got_seats,omitempty"`
	GotQuantity int       `json:"got_quantity,omitempty"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
}

// Log collects Records from many goroutines. The zero value is ready to use.
type Log struct {
	mu   sync.Mutex
	recs []Record
}

// Add appends r.
func (l *Log) Add(r Record) {
	l.mu.Lock()
	l.recs = append(l.recs, r)
	l.mu.Unlock()
}

// Len returns the number of records so far.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

// Records returns a copy of the records so far.
func (l *Log) Records() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Record, len(l.recs))
	copy(out, l.recs)
	return out
}

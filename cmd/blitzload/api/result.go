package api

import (
	"fmt"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// Result is how one call went.
type Result struct {
	Start, End time.Time
	// Status is the HTTP status, 0 when no answer arrived.
	Status  int
	Code    string
	Message string
	Outcome audit.Outcome
	// Err is set when no answer arrived or the answer could not be read.
	Err error
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Seats are the seats an error's details named (SEAT_UNAVAILABLE).
	Seats []string
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Error describes a call that did not succeed; nil when it did.
func (r Result) Error() error {
	switch {
	case r.Err != nil:
		return r.Err
	case r.OK():
		return nil
	default:
		return fmt.Errorf("status %d %s: %s", r.Status, r.Code, r.Message)
	}
}

// Retryable reports a call worth sending again: no answer, a 5xx, or a 429.
func (r Result) Retryable() bool {
	return r.Outcome == audit.Unknown || r.Code == CodeRateLimited
}

// errText renders Err for a record.
func (r Result) errText() string {
	if r.Err == nil {
		return r.Message
	}
	return r.Err.Error()
}

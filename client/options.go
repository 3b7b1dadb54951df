package client

import (
	"net/http"
	"time"
)

// CallOption adjusts one call.
type CallOption func(*callConfig)

type callConfig struct {
	idempotencyKey string
	requestID      string
	queuePass      string
	capture        *Exchange
}

// IdempotencyKey sends the Idempotency-Key header (1 to 128 printable ASCII
// characters), which holds and confirms honour: a retry with the same key and the
// same request gets the first answer, even when the first attempt timed out after the
// server decided it. An empty key sends nothing.
func IdempotencyKey(key string) CallOption {
	return func(c *callConfig) { c.idempotencyKey = key }
}

// RequestID sends the X-Request-Id header; the server keeps an id of 1 to 128
// characters of A-Z a-z 0-9 - _ . : and writes it in its log lines about the request.
func RequestID(id string) CallOption {
	return func(c *callConfig) { c.requestID = id }
}

// Capture stores how the call went into ex when it returns, whatever the outcome.
func Capture(ex *Exchange) CallOption {
	return func(c *callConfig) { c.capture = ex }
}

// Exchange is how one call went on the wire.
type Exchange struct {
	// Method is the HTTP method.
	Method string
	// Route names the route by its template: "POST /api/v1/events/{event_id}/holds".
	Route string
	// Path is the concrete path requested.
	Path string
	// Status is the answer's status; 0 when no answer arrived.
	Status int
	// Header is the answer's header; nil when no answer arrived.
	Header http.Header
	// Start is when the request was sent, End when the answer was read (or the
	// attempt failed). Both are zero when the request could not be built.
	Start, End time.Time
}

// Answered reports whether a status arrived, whatever it was.
func (e Exchange) Answered() bool { return e.Status != 0 }

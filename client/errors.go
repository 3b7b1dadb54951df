package client

import (
	"errors"
	"fmt"
	"time"
)

// Code is the API's stable name of a failure; each comes with one HTTP status.
type Code string

// The error codes of the API, with their statuses.
const (
	// CodeValidationFailed (400): bad JSON or fields; Error.Fields names each.
	CodeValidationFailed Code = "VALIDATION_FAILED"
	// CodeUnauthenticated (401): no, bad or expired token.
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	// CodePaymentDeclined (402): the payment failed; the hold stays held.
	CodePaymentDeclined Code = "PAYMENT_DECLINED"
	// CodeForbidden (403): not your hold or order, or not an admin.
	CodeForbidden Code = "FORBIDDEN"
	// CodeNotFound (404): no such event, section, hold, order or route.
	CodeNotFound Code = "NOT_FOUND"
	// CodeSeatUnavailable (409): a requested seat is held or sold; Error.Seats names them.
	CodeSeatUnavailable Code = "SEAT_UNAVAILABLE"
	// CodeSoldOut (409): not enough seats or places for a quantity request.
	CodeSoldOut Code = "SOLD_OUT"
	// CodeHoldNotActive (409): the hold was already released, confirmed or cancelled.
	CodeHoldNotActive Code = "HOLD_NOT_ACTIVE"
	// CodeIdempotencyConflict (409): the idempotency key came with another request.
	CodeIdempotencyConflict Code = "IDEMPOTENCY_CONFLICT"
	// CodeHoldExpired (410): the hold ran out of time.
	CodeHoldExpired Code = "HOLD_EXPIRED"
	// CodeLimitExceeded (422): the per-user ticket limit of the event.
	CodeLimitExceeded Code = "LIMIT_EXCEEDED"
	// CodeQueueRequired (403): the event's waiting room is open and the hold carried no
	// valid pass (QueuePass).
	CodeQueueRequired Code = "QUEUE_REQUIRED"
	// CodeRateLimited (429): too many requests; retry after Error.RetryAfter.
	CodeRateLimited Code = "RATE_LIMITED"
	// CodeUnavailable (503): retryable, nothing was decided; retry after Error.RetryAfter.
	CodeUnavailable Code = "UNAVAILABLE"
	// CodeNotRecorded (501): a seat's history on a server that keeps no attempt log.
	CodeNotRecorded Code = "NOT_RECORDED"
)

// Sentinels for errors.Is: errors.Is(err, ErrSoldOut) holds for any *Error whose Code
// is CodeSoldOut.
var (
	ErrValidationFailed    = &Error{Code: CodeValidationFailed}
	ErrUnauthenticated     = &Error{Code: CodeUnauthenticated}
	ErrPaymentDeclined     = &Error{Code: CodePaymentDeclined}
	ErrForbidden           = &Error{Code: CodeForbidden}
	ErrNotFound            = &Error{Code: CodeNotFound}
	ErrSeatUnavailable     = &Error{Code: CodeSeatUnavailable}
	ErrSoldOut             = &Error{Code: CodeSoldOut}
	ErrHoldNotActive       = &Error{Code: CodeHoldNotActive}
	ErrIdempotencyConflict = &Error{Code: CodeIdempotencyConflict}
	ErrHoldExpired         = &Error{Code: CodeHoldExpired}
	ErrLimitExceeded       = &Error{Code: CodeLimitExceeded}
	ErrQueueRequired       = &Error{Code: CodeQueueRequired}
	ErrRateLimited         = &Error{Code: CodeRateLimited}
	ErrUnavailable         = &Error{Code: CodeUnavailable}
	ErrNotRecorded         = &Error{Code: CodeNotRecorded}
)

// Error is an answer of the API outside 2xx.
type Error struct {
	// Method and Path name the request.
	Method, Path string
	// Status is the HTTP status.
	Status int
	// Code is the API's error code; empty when the answer was not the API's JSON error
	// (a proxy's page, say), whose text is then in Message.
	Code Code
	// Message is for people and may change; act on Code.
	Message string
	// Details is what a client can act on: the bad fields of VALIDATION_FAILED, the
	// seats of SEAT_UNAVAILABLE, retry_after_seconds. Nil when the answer had none.
	Details map[string]any
	// RetryAfter is the answer's Retry-After (RATE_LIMITED, UNAVAILABLE); zero when
	// it had none.
	RetryAfter time.Duration
	// RequestID is the answer's X-Request-Id, which the server's logs carry.
	RequestID string
}

// Error implements error: "POST /api/v1/events/demo/holds: 409 SEAT_UNAVAILABLE: …".
func (e *Error) Error() string {
	what := string(e.Code)
	if what == "" {
		what = "error"
	}
	if e.Method == "" {
		return fmt.Sprintf("%d %s: %s", e.Status, what, e.Message)
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, what, e.Message)
}

// Is reports whether target is an *Error with the same Code, so that the sentinels
// (ErrSoldOut, …) match any answer with their code.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code != "" && t.Code == e.Code
}

// Retryable reports whether the same request may succeed later: UNAVAILABLE (nothing
// was decided) and RATE_LIMITED, after RetryAfter.
func (e *Error) Retryable() bool {
	return e.Code == CodeUnavailable || e.Code == CodeRateLimited
}

// Seats returns the seats a SEAT_UNAVAILABLE names: those held or sold already.
func (e *Error) Seats() []string {
	list, _ := e.Details["seats"].([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Fields returns each bad field of a VALIDATION_FAILED with what is wrong with it
// (JSON paths such as "sections[0].rows[2].label", or a header name).
func (e *Error) Fields() map[string]string {
	if e.Code != CodeValidationFailed {
		return nil
	}
	out := make(map[string]string, len(e.Details))
	for k, v := range e.Details {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// AsError returns err's *Error, if it has one: the answer of a server that refused.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

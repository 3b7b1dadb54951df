package actors

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code is the stable, public name of a domain error (docs/api.md's error codes).
type Code string

// The domain error codes. http maps each to one HTTP status.
const (
	CodeValidation          Code = "VALIDATION_FAILED"
	CodeUnauthenticated     Code = "UNAUTHENTICATED"
	CodePaymentDeclined     Code = "PAYMENT_DECLINED"
	CodeForbidden           Code = "FORBIDDEN"
	CodeNotFound            Code = "NOT_FOUND"
	CodeSeatUnavailable     Code = "SEAT_UNAVAILABLE"
	CodeSoldOut             Code = "SOLD_OUT"
	CodeHoldNotActive       Code = "HOLD_NOT_ACTIVE"
	CodeIdempotencyConflict Code = "IDEMPOTENCY_CONFLICT"
	CodeHoldExpired         Code = "HOLD_EXPIRED"
	CodeLimitExceeded       Code = "LIMIT_EXCEEDED"
	CodeRateLimited         Code = "RATE_LIMITED"
	CodeUnavailable         Code = "UNAVAILABLE"
	// CodeQueueRequired refuses a hold on an event whose waiting room is open when the
	// request carries no valid pass. It is decided where requests come in, never by a
	// section actor, so it has no protobuf code and never crosses nodes.
	CodeQueueRequired Code = "QUEUE_REQUIRED"
	// CodeNotRecorded answers a seat's history on a server that keeps no attempt log
	// (the lock and pg strategies, or the log turned off). It never crosses nodes.
	CodeNotRecorded Code = "NOT_RECORDED"
)

// Error is a domain error: a code, a message, and the details a client can act on.
// errors.Is matches two Errors by code, so the sentinels below work with wrapped values.
type Error struct {
	Code    Code
	Message string
	// Seats lists the seats a SEAT_UNAVAILABLE refusal is about.
	Seats []string
	// Fields names each invalid field of a VALIDATION_FAILED error.
	Fields map[string]string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(strings.ToLower(string(e.Code)))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Seats) > 0 {
		b.WriteString(" [")
		b.WriteString(strings.Join(e.Seats, ","))
		b.WriteString("]")
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
		}
	}
	return b.String()
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	if t, ok := target.(*Error); ok { // the usual case, without errors.As's reflection
		return t.Code == e.Code
	}
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code
}

// Retryable reports whether the same request may succeed if sent again.
func (e *Error) Retryable() bool { return e.Code == CodeUnavailable }

// The sentinels. Compare with errors.Is; build detailed values with the helpers below.
var (
	ErrValidation          = &Error{Code: CodeValidation, Message: "invalid request"}
	ErrUnauthenticated     = &Error{Code: CodeUnauthenticated, Message: "missing, invalid or expired token"}
	ErrPaymentDeclined     = &Error{Code: CodePaymentDeclined, Message: "payment declined; the hold is still held"}
	ErrForbidden           = &Error{Code: CodeForbidden, Message: "not allowed"}
	ErrNotFound            = &Error{Code: CodeNotFound, Message: "not found"}
	ErrSeatUnavailable     = &Error{Code: CodeSeatUnavailable, Message: "a requested seat is held or sold"}
	ErrSoldOut             = &Error{Code: CodeSoldOut, Message: "not enough seats available"}
	ErrHoldNotActive       = &Error{Code: CodeHoldNotActive, Message: "the hold is no longer active"}
	ErrIdempotencyConflict = &Error{Code: CodeIdempotencyConflict, Message: "idempotency key reused with a different request"}
	ErrHoldExpired         = &Error{Code: CodeHoldExpired, Message: "the hold has expired"}
	ErrLimitExceeded       = &Error{Code: CodeLimitExceeded, Message: "per-user ticket limit for this event exceeded"}
	ErrRateLimited         = &Error{Code: CodeRateLimited, Message: "too many requests"}
	ErrUnavailable         = &Error{Code: CodeUnavailable, Message: "temporarily unavailable; retry"}
	ErrQueueRequired       = &Error{Code: CodeQueueRequired, Message: "this event's waiting room is open: join the queue and hold with its pass"}
	// ErrOrderCancelled refuses to cancel an order twice (HOLD_NOT_ACTIVE).
	ErrOrderCancelled = &Error{Code: CodeHoldNotActive, Message: "the order is already cancelled"}
)

// ErrFenced means a newer activation of the section owns it now; the batch changed
// nothing. Callers see it as ErrUnavailable (retryable).
var ErrFenced = errors.New("fenced: a newer activation owns the section")

// ErrRolledBack means a batch certainly did not commit: it failed before its COMMIT was
// sent (a statement failed, the connection broke, the time ran out) or the database
// answered the COMMIT with a rollback. Memory may be undone and the section carries on.
var ErrRolledBack = errors.New("batch rolled back: nothing was written")

// ErrCommitUnknown means a batch's COMMIT was sent and no answer came back (a timeout, a
// lost connection, a server error during the commit): the batch may or may not have
// committed. A section that sees it, or any commit error that is neither ErrFenced nor
// ErrRolledBack, stops, so that the next activation loads the truth.
var ErrCommitUnknown = errors.New("batch outcome unknown: the commit was sent but not answered")

// LimitError means a batch would have taken users past the event's per-user ticket
// limit, counted over all its sections as committed: another section committed their
// tickets since their holds were decided here. Nothing was written; errors.Is(err,
// ErrRolledBack) holds. The section undoes the batch and everything decided on top of
// it, and decides those commands again knowing the users' totals, so that those users'
// holds are refused LIMIT_EXCEEDED and everyone else's go through in the next batch.
type LimitError struct {
	// Totals are the users' held and bought tickets in the whole event as committed.
	Totals map[string]int
}

// Error implements error.
func (e *LimitError) Error() string {
	users := make([]string, 0, len(e.Totals))
	for u := range e.Totals {
		users = append(users, u)
	}
	sort.Strings(users)
	var b strings.Builder
	b.WriteString("batch would take users past the per-user ticket limit:")
	for _, u := range users {
		fmt.Fprintf(&b, " %s has %d", u, e.Totals[u])
	}
	return b.String()
}

// Is makes a LimitError an ErrRolledBack: the batch certainly did not commit.
func (e *LimitError) Is(target error) bool { return target == ErrRolledBack }

// codeNotInSection answers a command about a hold or order its section does not hold in
// memory: finished (and committed) before, or never there. It never leaves actors: Client
// answers such a command from the store.
const codeNotInSection Code = "NOT_IN_SECTION"

// errNotInSection is the section's answer about a hold or order it does not have.
var errNotInSection = &Error{Code: codeNotInSection, Message: "not live in its section"}

// codeExpired answers a command whose deadline passed before its section could decide it,
// and codeOverloaded one its section's full mailbox refused as it arrived: neither was
// decided, now or later. They never leave actors: Client answers both as UNAVAILABLE.
const (
	codeExpired    Code = "EXPIRED"
	codeOverloaded Code = "OVERLOADED"
)

var (
	// errExpired is the section's answer to a command it reached too late to decide.
	errExpired = &Error{Code: codeExpired, Message: "the command's deadline passed before the section could decide it"}
	// errOverloaded is the answer of a section's full mailbox.
	errOverloaded = &Error{Code: codeOverloaded, Message: "the section's mailbox is full"}
)

// SeatsUnavailable returns a SEAT_UNAVAILABLE error naming the seats.
func SeatsUnavailable(seats []string) *Error {
	return &Error{Code: CodeSeatUnavailable, Message: ErrSeatUnavailable.Message, Seats: seats}
}

// Invalid returns a VALIDATION_FAILED error for one field.
func Invalid(field, problem string) *Error {
	return &Error{Code: CodeValidation, Message: "invalid request", Fields: map[string]string{field: problem}}
}

// InvalidFields returns a VALIDATION_FAILED error for several fields.
func InvalidFields(fields map[string]string) *Error {
	return &Error{Code: CodeValidation, Message: "invalid request", Fields: fields}
}

// Unavailable returns a retryable error that says why.
func Unavailable(why string) *Error {
	return &Error{Code: CodeUnavailable, Message: why}
}

// AsError returns err as a domain *Error: itself when it is one, ErrUnavailable for
// ErrFenced, and nil with ok false for anything else.
func AsError(err error) (*Error, bool) {
	if e, ok := err.(*Error); ok { // the usual case, without errors.As's reflection
		return e, true
	}
	var e *Error // escapes to errors.As: allocated on this path only
	if errors.As(err, &e) {
		return e, true
	}
	if errors.Is(err, ErrFenced) {
		return Unavailable("section moved to another activation"), true
	}
	return nil, false
}

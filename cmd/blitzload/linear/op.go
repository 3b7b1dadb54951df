package linear

import (
	"errors"
	"fmt"
	"time"
)

// Kind is what an op did to a seat.
type Kind string

// The kinds of op.
const (
	// KindHold placed a hold on the seat (POST …/holds).
	KindHold Kind = "hold"
	// KindRelease released a hold (DELETE /api/v1/holds/{id}).
	KindRelease Kind = "release"
	// KindConfirm turned a hold into an order (POST /api/v1/holds/{id}/confirm).
	KindConfirm Kind = "confirm"
	// KindCancel cancelled an order (POST /api/v1/orders/{id}/cancel).
	KindCancel Kind = "cancel"
	// KindRead observed the seat's status in a seat map (GET …/seats).
	KindRead Kind = "read"
)

// Result is how an op was answered.
type Result string

// The results of an op.
const (
	// ResultOK: the request succeeded (201 or 200).
	ResultOK Result = "ok"
	// ResultRefused: the server said the request could not apply to this seat's state:
	// SEAT_UNAVAILABLE naming this seat for a hold, HOLD_NOT_ACTIVE or HOLD_EXPIRED for a
	// release or confirm, an order no longer cancellable for a cancel.
	ResultRefused Result = "refused"
	// ResultDeclined: a confirm answered PAYMENT_DECLINED; the hold stays held.
	ResultDeclined Result = "declined"
	// ResultUnknown: no answer that tells; the op may or may not have taken effect.
	ResultUnknown Result = "unknown"
)

// The statuses a read can observe.
const (
	StatusAvailable = "available"
	StatusHeld      = "held"
	StatusSold      = "sold"
)

// Op is one client operation's effect on (or observation of) one seat.
type Op struct {
	// Section is "<event_id>/<section_id>".
	Section string
	// Seat is the seat id, such as "A-3".
	Seat string
	// Kind is what the op did.
	Kind Kind
	// Hold is the hold id: of the hold placed (when known), released or confirmed.
	Hold string
	// Order is the order id: of a confirm answered ok (when known), or of the order
	// cancelled.
	Order string
	// Result is how the op was answered.
	Result Result
	// Status is what a read observed: StatusAvailable, StatusHeld or StatusSold.
	Status string
	// Call is when the request was sent.
	Call time.Time
	// Return is when the answer arrived; zero means never answered. An op never
	// answered, or answered with ResultUnknown, may take effect at any moment after
	// Call: the request may still be in flight after the client gave up on it.
	Return time.Time
	// Client is the fan's number, shown in visualizations.
	Client int
}

// key names the seat the op is about.
func (o Op) key() string { return o.Section + "/" + o.Seat }

// answered reports whether the op has a Return time.
func (o Op) answered() bool { return !o.Return.IsZero() }

// validate rejects ops the model cannot give a meaning to, so that a projection bug
// shows as an invalid op rather than as a linearizability violation.
func (o Op) validate() error {
	if o.Section == "" || o.Seat == "" {
		return errors.New("no section or seat")
	}
	if o.Call.IsZero() {
		return errors.New("no call time")
	}
	switch o.Result {
	case ResultOK, ResultRefused, ResultUnknown:
	case ResultDeclined:
		if o.Kind != KindConfirm {
			return fmt.Errorf("result %q on a %s", o.Result, o.Kind)
		}
	default:
		return fmt.Errorf("unknown result %q", o.Result)
	}
	switch o.Kind {
	case KindHold:
	case KindRelease, KindConfirm:
		if o.Hold == "" {
			return fmt.Errorf("%s without a hold id", o.Kind)
		}
	case KindCancel:
		if o.Order == "" {
			return errors.New("cancel without an order id")
		}
	case KindRead:
		if o.Result == ResultRefused {
			return errors.New("refused read")
		}
		if o.Result == ResultOK && !knownStatus(o.Status) {
			return fmt.Errorf("read of unknown status %q", o.Status)
		}
	default:
		return fmt.Errorf("unknown kind %q", o.Kind)
	}
	return nil
}

func knownStatus(s string) bool {
	return s == StatusAvailable || s == StatusHeld || s == StatusSold
}

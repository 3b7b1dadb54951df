package audit

import "net/http"

// Outcome says what a response proves about the change a request asked for.
type Outcome string

// The outcomes.
const (
	// OK: a 2xx answer; the change committed before the answer was sent.
	OK Outcome = "ok"
	// Refused: a definite refusal (4xx); nothing changed.
	Refused Outcome = "refused"
	// Unknown: no answer (timeout, broken connection) or a server-side failure (5xx,
	// including the retryable 503); the change may or may not have happened.
	Unknown Outcome = "unknown"
)

// Classify turns an HTTP status (0 when no answer arrived) into an Outcome.
func Classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return OK
	case status == http.StatusRequestTimeout:
		return Unknown
	case status >= 400 && status < 500:
		return Refused
	default:
		return Unknown
	}
}

// The error codes of the public API that prove something about a hold.
const (
	CodeHoldNotActive   = "HOLD_NOT_ACTIVE"
	CodeHoldExpired     = "HOLD_EXPIRED"
	CodePaymentDeclined = "PAYMENT_DECLINED"
)

// endsHold reports whether a refusal proves the hold was no longer held.
func endsHold(code string) bool {
	return code == CodeHoldNotActive || code == CodeHoldExpired
}

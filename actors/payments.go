package actors

import "context"

// DeclinedToken is the payment token the simulated payment step declines.
const DeclinedToken = "tok_decline"

// SimulatedPayments approves every token but DeclinedToken, instantly.
type SimulatedPayments struct{}

// Charge declines DeclinedToken and an empty token, and approves anything else.
func (SimulatedPayments) Charge(_ context.Context, token string, _ int64, _ string) error {
	switch token {
	case "":
		return Invalid("payment_token", "required")
	case DeclinedToken:
		return ErrPaymentDeclined
	}
	return nil
}

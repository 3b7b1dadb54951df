package actors

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DeclinedToken is the payment token the simulated payment step declines.
const DeclinedToken = "tok_decline"

// SimulatedPayments approves every token but DeclinedToken. The zero value answers at
// once and records nothing.
type SimulatedPayments struct {
	// Latency is how long each charge takes to answer, as a real provider's round trip
	// does (0: at once). A charge whose context ends first fails with the context's error.
	Latency time.Duration
	// Ledger, when set, records every approved charge and every refund.
	Ledger *PaymentLedger
}

// Charge declines DeclinedToken and an empty token, and approves anything else, after
// Latency.
func (p SimulatedPayments) Charge(ctx context.Context, token string, amountCents int64, currency string) error {
	if p.Latency > 0 {
		t := time.NewTimer(p.Latency)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("simulated charge: %w", ctx.Err())
		case <-t.C:
		}
	}
	switch token {
	case "":
		return Invalid("payment_token", "required")
	case DeclinedToken:
		return ErrPaymentDeclined
	}
	p.Ledger.add(false, PaymentRecord{Token: token, AmountCents: amountCents, Currency: currency})
	return nil
}

// Refund records the refund in the Ledger; it always succeeds.
func (p SimulatedPayments) Refund(_ context.Context, token string, amountCents int64, currency string) error {
	p.Ledger.add(true, PaymentRecord{Token: token, AmountCents: amountCents, Currency: currency})
	return nil
}

// PaymentRecord is one charge or refund of the simulated provider.
type PaymentRecord struct {
	Token       string
	AmountCents int64
	Currency    string
}

// PaymentLedger is what the simulated provider did: the charges it approved and the
// refunds it made. It is safe for concurrent use; a nil *PaymentLedger records nothing.
type PaymentLedger struct {
	mu      sync.Mutex
	charges []PaymentRecord
	refunds []PaymentRecord
}

// add records a charge, or a refund.
func (l *PaymentLedger) add(refund bool, r PaymentRecord) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if refund {
		l.refunds = append(l.refunds, r)
	} else {
		l.charges = append(l.charges, r)
	}
}

// Charges returns the approved charges, oldest first.
func (l *PaymentLedger) Charges() []PaymentRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]PaymentRecord(nil), l.charges...)
}

// Refunds returns the refunds, oldest first.
func (l *PaymentLedger) Refunds() []PaymentRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]PaymentRecord(nil), l.refunds...)
}

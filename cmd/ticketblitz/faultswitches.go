package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// faultSwitches are the delays a node of a dev cluster adds, switched at run time from
// the classroom's fault controls. The zero value adds none.
type faultSwitches struct {
	payment atomic.Int64 // nanoseconds added to each charge
	store   atomic.Int64 // nanoseconds added to each batch commit
}

// set applies the switches and reports whether they changed.
func (f *faultSwitches) set(sw tbhttp.ChaosSwitches) bool {
	p := int64(time.Duration(sw.PaymentDelayMS) * time.Millisecond)
	s := int64(time.Duration(sw.StoreDelayMS) * time.Millisecond)
	return f.payment.Swap(p) != p || f.store.Swap(s) != s
}

// delay waits d, or until ctx ends (returning its error).
func delay(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// slowStore adds the store switch's delay before each batch commit: a database that
// answers slowly, as the section's group commit sees it.
type slowStore struct {
	actors.Store
	sw *faultSwitches
}

// Commit waits the injected delay, then commits. A batch whose context ends meanwhile
// was not written: it is rolled back.
func (s slowStore) Commit(ctx context.Context, b *actors.Batch) error {
	if err := delay(ctx, time.Duration(s.sw.store.Load())); err != nil {
		return fmt.Errorf("%w: injected database delay: %w", actors.ErrRolledBack, err)
	}
	return s.Store.Commit(ctx, b)
}

// slowPayments adds the payment switch's delay to each charge.
type slowPayments struct {
	actors.Payments
	sw *faultSwitches
}

// Charge waits the injected delay, then charges.
func (p slowPayments) Charge(ctx context.Context, token string, amountCents int64, currency string) error {
	if err := delay(ctx, time.Duration(p.sw.payment.Load())); err != nil {
		return fmt.Errorf("simulated charge: injected delay: %w", err)
	}
	return p.Payments.Charge(ctx, token, amountCents, currency)
}

package persistence

import (
	"context"
	"testing"
	"time"
)

// TestRelayLeaseTakeOverFromAGoneHolder: a relay that knows the holder's process is gone
// takes the lease while the holder's time still runs, with a token that fences the
// holder; a takeover naming a holder that no longer holds it changes nothing.
func TestRelayLeaseTakeOverFromAGoneHolder(t *testing.T) {
	pool := outboxTestPool(t)
	o := NewOutbox(pool)
	ctx := context.Background()
	id := outboxInsert(t, pool, "seat.reserved", "e1/A", `{"n":1}`, 0)
	tokenA, ok, err := o.AcquireRelayLease(ctx, "n1/m1/relay-a", time.Hour)
	if err != nil || !ok {
		t.Fatalf("acquire = %v, %v", ok, err)
	}
	holder, live, err := o.RelayLeaseHolder(ctx)
	if err != nil || holder != "n1/m1/relay-a" || !live {
		t.Fatalf("RelayLeaseHolder = %q, %v, %v; want n1/m1/relay-a, live", holder, live, err)
	}
	if _, ok, err := o.TakeOverRelayLease(ctx, "n2/m2/relay-b", "n3/m3/relay-c", time.Minute); err != nil || ok {
		t.Fatalf("take over from a relay that does not hold it = %v, %v; want false", ok, err)
	}
	tokenB, ok, err := o.TakeOverRelayLease(ctx, "n2/m2/relay-b", "n1/m1/relay-a", time.Minute)
	if err != nil || !ok || tokenB <= tokenA {
		t.Fatalf("take over = %d, %v, %v; want a token above %d", tokenB, ok, err, tokenA)
	}
	if ok, err := o.MarkPublished(ctx, tokenA, []int64{id}); err != nil || ok {
		t.Errorf("mark by the holder taken over from = %v, %v; want false", ok, err)
	}
	if ok, err := o.RenewRelayLease(ctx, tokenA, time.Hour); err != nil || ok {
		t.Errorf("renew by the holder taken over from = %v, %v; want false", ok, err)
	}
	if ok, err := o.MarkPublished(ctx, tokenB, []int64{id}); err != nil || !ok {
		t.Errorf("mark by the new holder = %v, %v", ok, err)
	}
	if err := o.ReleaseRelayLease(ctx, tokenB); err != nil {
		t.Fatal(err)
	}
	if holder, live, err := o.RelayLeaseHolder(ctx); err != nil || holder != "" || live {
		t.Errorf("after release RelayLeaseHolder = %q, %v, %v; want \"\", not live", holder, live, err)
	}
}

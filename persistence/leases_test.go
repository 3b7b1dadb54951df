package persistence

import (
	"context"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestLeasesAcquireRenewRelease(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := context.Background()
	l := NewLeases(rdb, prefix)
	key := prefix + "lease:ev/A"

	ok, holder, err := l.Acquire(ctx, "ev/A", "node-1", 5*time.Second)
	if err != nil || !ok || holder != (actors.LeaseHolder{}) {
		t.Fatalf("first acquire = %v, %+v, %v; want true, no holder", ok, holder, err)
	}
	if got := rdb.Get(ctx, key).Val(); got != "node-1" {
		t.Fatalf("lease key %q holds %q, want node-1", key, got)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > 5*time.Second {
		t.Fatalf("lease ttl %v, want within (0, 5s]", ttl)
	}
	ok, holder, err = l.Acquire(ctx, "ev/A", "node-2", 5*time.Second)
	if err != nil || ok || holder.Owner != "node-1" || holder.Remaining <= 4*time.Second || holder.Remaining > 5*time.Second {
		t.Fatalf("second owner acquire = %v, %+v, %v; want false with node-1's ~5s left", ok, holder, err)
	}
	// The remaining time is the holder's, whatever TTL the caller asks for.
	if err := rdb.PExpire(ctx, key, 1200*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	ok, holder, err = l.Acquire(ctx, "ev/A", "node-2", time.Minute)
	if err != nil || ok || holder.Remaining <= 900*time.Millisecond || holder.Remaining > 1200*time.Millisecond {
		t.Fatalf("acquire of a lease with 1.2s left = %v, %+v, %v; want false, about 1.2s", ok, holder, err)
	}
	if got := rdb.Get(ctx, key).Val(); got != "node-1" {
		t.Fatalf("refused acquire changed the holder to %q", got)
	}
	// A key without expiry (not written by Leases) reports no remaining time.
	if err := rdb.Persist(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, holder, err := l.Acquire(ctx, "ev/A", "node-2", time.Second); err != nil || ok || holder.Remaining != 0 {
		t.Fatalf("acquire of a lease without expiry = %v, %+v, %v; want false, 0", ok, holder, err)
	}
	if err := rdb.PExpire(ctx, key, 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}

	if ok, err := l.Renew(ctx, "ev/A", "node-2", time.Minute); err != nil || ok {
		t.Fatalf("renew by non-owner = %v, %v; want false", ok, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl > 5*time.Second {
		t.Fatalf("non-owner renew changed ttl to %v", ttl)
	}
	if ok, err := l.Renew(ctx, "ev/A", "node-1", time.Minute); err != nil || !ok {
		t.Fatalf("renew by owner = %v, %v; want true", ok, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 5*time.Second {
		t.Fatalf("owner renew left ttl at %v, want about 1m", ttl)
	}

	if err := l.Release(ctx, "ev/A", "node-2"); err != nil {
		t.Fatal(err)
	}
	if got := rdb.Get(ctx, key).Val(); got != "node-1" {
		t.Fatalf("release by non-owner deleted the lease (now %q)", got)
	}
	if err := l.Release(ctx, "ev/A", "node-1"); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Fatal("release by owner left the key")
	}
	if ok, err := l.Renew(ctx, "ev/A", "node-1", time.Minute); err != nil || ok {
		t.Fatalf("renew of a released lease = %v, %v; want false", ok, err)
	}
	if ok, holder, err := l.Acquire(ctx, "ev/A", "node-2", 5*time.Second); err != nil || !ok || holder.Remaining != 0 {
		t.Fatalf("acquire after release = %v, %+v, %v; want true, 0", ok, holder, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 4*time.Second || ttl > 5*time.Second {
		t.Fatalf("acquired lease ttl %v, want about 5s", ttl)
	}
	t.Cleanup(func() { rdb.Del(context.Background(), key) })
}

// TestLeasesTakeOver: a lease is taken over only from the owner named, or when free; the
// taker then holds it for its ttl.
func TestLeasesTakeOver(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := context.Background()
	l := NewLeases(rdb, prefix)
	key := prefix + "lease:ev/B"
	t.Cleanup(func() { rdb.Del(context.Background(), key) })
	if ok, _, err := l.Acquire(ctx, "ev/B", "dead/act_1", time.Minute); err != nil || !ok {
		t.Fatalf("acquire = %v, %v", ok, err)
	}
	if ok, err := l.TakeOver(ctx, "ev/B", "other/act_9", "new/act_2", 5*time.Second); err != nil || ok {
		t.Fatalf("take over from an owner that does not hold it = %v, %v; want false", ok, err)
	}
	if ok, err := l.TakeOver(ctx, "ev/B", "dead/act_1", "new/act_2", 5*time.Second); err != nil || !ok {
		t.Fatalf("take over from the holder = %v, %v; want true", ok, err)
	}
	if got, ttl := rdb.Get(ctx, key).Val(), rdb.PTTL(ctx, key).Val(); got != "new/act_2" || ttl <= 4*time.Second || ttl > 5*time.Second {
		t.Fatalf("after the takeover the key holds %q for %v; want new/act_2 for about 5s", got, ttl)
	}
	if ok, err := l.Renew(ctx, "ev/B", "dead/act_1", time.Minute); err != nil || ok {
		t.Fatalf("the former owner renewed = %v, %v; want false", ok, err)
	}
	if err := l.Release(ctx, "ev/B", "new/act_2"); err != nil {
		t.Fatal(err)
	}
	if ok, err := l.TakeOver(ctx, "ev/B", "dead/act_1", "third/act_3", time.Second); err != nil || !ok {
		t.Fatalf("take over of a free lease = %v, %v; want true", ok, err)
	}
	if _, err := l.TakeOver(ctx, "ev/B", "x", "y", 0); err == nil {
		t.Fatal("take over with a zero ttl succeeded")
	}
}

func TestLeasesRejectTinyTTL(t *testing.T) {
	rdb, prefix := testRedis(t)
	l := NewLeases(rdb, prefix)
	if _, _, err := l.Acquire(context.Background(), "x", "o", time.Microsecond); err == nil {
		t.Fatal("acquire with a 1µs ttl succeeded")
	}
	if _, err := l.Renew(context.Background(), "x", "o", 0); err == nil {
		t.Fatal("renew with a zero ttl succeeded")
	}
}

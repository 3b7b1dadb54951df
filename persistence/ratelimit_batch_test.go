package persistence

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-redis/redis_rate/v10"
)

// Concurrent checks of one key share script calls, yet each request is charged once:
// of 120 at the same moment under 50/min, exactly 50 pass.
func TestRateLimiterConcurrentChecksChargeEachRequest(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := context.Background()
	l, err := NewRateLimiter(rdb, prefix, "50/min")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rdb.Del(context.Background(), "rate:"+prefix+"ratelimit:crowd", "rate:"+prefix+"ratelimit:other")
	})
	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	for range 120 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, retry, err := l.Allow(ctx, "crowd")
			switch {
			case err != nil:
				t.Error(err)
			case ok:
				allowed.Add(1)
			case retry <= 0:
				t.Errorf("refused with retryAfter %v", retry)
			default:
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 50 || refused.Load() != 70 {
		t.Errorf("allowed %d, refused %d; want 50 and 70", allowed.Load(), refused.Load())
	}
	if ok, _, err := l.Allow(ctx, "other"); !ok || err != nil {
		t.Errorf("another key = %v, %v; want allowed", ok, err)
	}
}

// The state in Redis is redis_rate's: a node still on redis_rate and a node on the
// batched script share one allowance.
func TestRateLimiterSharesStateWithRedisRate(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := context.Background()
	l, err := NewRateLimiter(rdb, prefix, "5/min")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Del(context.Background(), "rate:"+prefix+"ratelimit:carol") })
	old := redis_rate.NewLimiter(rdb)
	for i := range 3 {
		res, err := old.Allow(ctx, prefix+"ratelimit:carol", l.Limit())
		if err != nil || res.Allowed != 1 {
			t.Fatalf("redis_rate request %d = %+v, %v", i+1, res, err)
		}
	}
	for i := range 2 {
		if ok, _, err := l.Allow(ctx, "carol"); !ok || err != nil {
			t.Fatalf("request %d = %v, %v; want allowed", i+4, ok, err)
		}
	}
	if ok, _, err := l.Allow(ctx, "carol"); ok || err != nil {
		t.Fatalf("6th request = %v, %v; want refused", ok, err)
	}
	if res, err := old.Allow(ctx, prefix+"ratelimit:carol", l.Limit()); err != nil || res.Allowed != 0 {
		t.Fatalf("redis_rate after the batched limiter = %+v, %v; want refused", res, err)
	}
}

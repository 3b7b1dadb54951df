package persistence

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
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

// rateKeys is n keys of a fresh prefix, deleted when t ends.
func rateKeys(t testing.TB, rdb *redis.Client, prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("rate:%sratelimit:fan%d", prefix, i)
	}
	t.Cleanup(func() { rdb.Del(context.Background(), keys...) })
	return keys
}

// The script answers one integer per key, 0 when it is allowed: reading a batch of
// allowed keys costs no allocation per key beyond sending the key itself (the answer
// of two values per key, one of them the string "-1", cost two more: about 1,540 for
// these 512 keys). A refusal still says when to retry.
func TestAllowEachAllocations(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := context.Background()
	limit := redis_rate.PerMinute(1_000_000)
	keys := rateKeys(t, rdb, prefix, 512)
	got := testing.AllocsPerRun(10, func() {
		as, err := runAllowEach(ctx, rdb, limit, keys)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range as {
			if !a.allowed {
				t.Fatalf("key %d refused", i)
			}
		}
	})
	if got > 660 {
		t.Errorf("%.0f allocations for 512 allowed keys, want at most 660", got)
	}
	as, err := runAllowEach(ctx, rdb, redis_rate.PerMinute(1), []string{keys[0], keys[0]})
	if err != nil {
		t.Fatal(err)
	}
	if as[1].allowed || as[1].retryAfter < 59*time.Second || as[1].retryAfter > time.Minute {
		t.Errorf("a spent key: %+v, want refused with a retry in about a minute", as[1])
	}
}

// BenchmarkAllowEach is one rate-limit script call for 512 keys, all allowed, as the
// coalescer sends them in a rush.
func BenchmarkAllowEach(b *testing.B) {
	rdb, prefix := testRedis(b)
	ctx := context.Background()
	limit := redis_rate.PerMinute(1 << 30)
	keys := rateKeys(b, rdb, prefix, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := runAllowEach(ctx, rdb, limit, keys); err != nil {
			b.Fatal(err)
		}
	}
}

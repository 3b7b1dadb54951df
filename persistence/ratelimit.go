package persistence

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/actors"
)

// ParseRate parses a rate such as "100/min" (TICKETBLITZ_RATE_LIMIT): a positive count,
// a slash, and a unit: s, sec, second, m, min, minute, h, hour (plural forms too).
// The burst equals the count, so a fresh key may spend its whole allowance at once.
func ParseRate(s string) (redis_rate.Limit, error) {
	countText, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return redis_rate.Limit{}, fmt.Errorf("rate %q: want <count>/<unit> such as 100/min", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(countText))
	if err != nil || count <= 0 {
		return redis_rate.Limit{}, fmt.Errorf("rate %q: count must be a positive whole number", s)
	}
	var period time.Duration
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "secs", "second", "seconds":
		period = time.Second
	case "m", "min", "mins", "minute", "minutes":
		period = time.Minute
	case "h", "hr", "hour", "hours":
		period = time.Hour
	default:
		return redis_rate.Limit{}, fmt.Errorf("rate %q: unit must be one of s, sec, second, m, min, minute, h, hour", s)
	}
	return redis_rate.Limit{Rate: count, Burst: count, Period: period}, nil
}

// RateLimiter is a per-key limit shared by every node: the GCRA state of each key lives
// in Redis and is read and written by one Lua script, so nodes never disagree.
// Concurrent checks share one script call (see coalescer and allowEach); several such
// calls may be in flight at once, and Redis runs each whole, so the limit holds.
type RateLimiter struct {
	limit  redis_rate.Limit
	prefix string
	checks *coalescer[string, rateAnswer]
}

// Concurrent checks share one script call of at most rateBatchMax keys.
const (
	rateBatchMax     = 512
	rateBatchTimeout = 5 * time.Second
)

// NewRateLimiter returns a limiter allowing rate (as ParseRate reads it) per key.
// Keys live in Redis as "rate:" + prefix + "ratelimit:" + key.
func NewRateLimiter(rdb *redis.Client, prefix string, rate string) (*RateLimiter, error) {
	if rdb == nil {
		return nil, fmt.Errorf("rate limiter: redis client is required")
	}
	limit, err := ParseRate(rate)
	if err != nil {
		return nil, fmt.Errorf("rate limiter: %w", err)
	}
	return &RateLimiter{limit: limit, prefix: prefix, checks: &coalescer[string, rateAnswer]{
		run: func(ctx context.Context, keys []string) ([]rateAnswer, error) {
			return runAllowEach(ctx, rdb, limit, keys)
		},
		max: rateBatchMax, timeout: rateBatchTimeout, inflight: redisBatchesInFlight,
	}}, nil
}

// Limit returns the limit the limiter enforces.
func (l *RateLimiter) Limit() redis_rate.Limit { return l.limit }

// Allow spends one request of key's allowance. When it is refused, retryAfter says how
// long until the next request would be allowed (always positive).
func (l *RateLimiter) Allow(ctx context.Context, key string) (allowed bool, retryAfter time.Duration, err error) {
	res, err := l.checks.do(ctx, l.redisKey(key))
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %q: %w", key, err)
	}
	if res.allowed {
		return true, 0, nil
	}
	retryAfter = res.retryAfter
	if retryAfter <= 0 {
		retryAfter = time.Millisecond
	}
	return false, retryAfter, nil
}

// redisKey is where key's state lives: redis_rate's key, "rate:" before the limiter's
// own name.
func (l *RateLimiter) redisKey(key string) string { return "rate:" + l.prefix + "ratelimit:" + key }

// RateLimitedError is a request a RateLimiter's allowance refused in a step that does
// more than the check (see WaitingRooms.ChargeJoinsTo): actors.ErrRateLimited, with when
// the next request would be allowed.
type RateLimitedError struct {
	// After is how long until the next request would be allowed (always positive).
	After time.Duration
}

func (e *RateLimitedError) Error() string { return actors.ErrRateLimited.Error() }

// Unwrap makes the error match actors.ErrRateLimited.
func (e *RateLimitedError) Unwrap() error { return actors.ErrRateLimited }

// RetryAfter is After, at least a millisecond, as Allow answers it.
func (e *RateLimitedError) RetryAfter() time.Duration { return max(e.After, time.Millisecond) }

package persistence

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Defaults of RedisBreakerConfig.
const (
	DefaultRedisProbeInterval = 500 * time.Millisecond
	DefaultRedisProbeTimeout  = 250 * time.Millisecond
)

// ErrRedisUnavailable is what every Redis call answers, wrapped, while the breaker is
// open: the call was not sent.
var ErrRedisUnavailable = errors.New("redis unavailable: calls fail fast until it answers again")

// RedisBreakerConfig tunes a RedisBreaker. The zero value works.
type RedisBreakerConfig struct {
	// ProbeInterval is how often an open breaker pings Redis (default 500ms).
	ProbeInterval time.Duration
	// ProbeTimeout bounds each ping, the probe's and the readiness check's (default
	// 250ms).
	ProbeTimeout time.Duration
	// Logger receives one warning when the breaker opens and one when it closes.
	Logger *zap.Logger
	// Registerer receives ticketblitz_redis_up and
	// ticketblitz_redis_fast_failed_calls_total; nil registers nothing.
	Registerer prometheus.Registerer
}

func (c RedisBreakerConfig) withDefaults() RedisBreakerConfig {
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = DefaultRedisProbeInterval
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = DefaultRedisProbeTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// RedisBreaker is a circuit breaker in front of one Redis client, shared by everything
// that calls Redis through it (leases, the rate limiter, the lock strategy's seat
// locks). The first call that fails for want of Redis (a network error or a timeout, not
// an error reply) opens it; while it is open every call fails at once with
// ErrRedisUnavailable instead of waiting out dial retries and timeouts, and Run pings
// Redis every ProbeInterval on a client of its own, closing the breaker when Redis
// answers. Nothing else closes it, so Run must be running. (A general-purpose breaker
// such as sony/gobreaker closes by letting real calls through as trials after a
// timeout; here no caller ever waits on a Redis that may hang: only the probe does.)
type RedisBreaker struct {
	cfg   RedisBreakerConfig
	probe *redis.Client

	open   atomic.Bool
	opened chan struct{} // 1-buffered: wakes Run

	// period counts closings: a call that began before the last one cannot reopen it.
	// It changes under mu.
	period atomic.Uint64

	mu     sync.Mutex
	since  time.Time // when it opened
	cause  error     // why it opened, then the probe's latest failure
	failed int64     // calls failed fast in this opening

	up         prometheus.Gauge
	fastFailed prometheus.Counter
}

// NewRedisBreaker installs a breaker on rdb: from now on every command and pipeline of
// rdb passes through it. The probe client has rdb's address, credentials, database and
// TLS settings, no retries and ProbeTimeout as its timeouts.
func NewRedisBreaker(rdb *redis.Client, cfg RedisBreakerConfig) (*RedisBreaker, error) {
	if rdb == nil {
		return nil, errors.New("redis breaker: redis client is required")
	}
	cfg = cfg.withDefaults()
	o := rdb.Options()
	b := &RedisBreaker{
		cfg: cfg,
		probe: redis.NewClient(&redis.Options{
			Network: o.Network, Addr: o.Addr, ClientName: o.ClientName, Protocol: o.Protocol,
			Username: o.Username, Password: o.Password, CredentialsProvider: o.CredentialsProvider,
			CredentialsProviderContext: o.CredentialsProviderContext, StreamingCredentialsProvider: o.StreamingCredentialsProvider,
			DB: o.DB, TLSConfig: o.TLSConfig, DisableIdentity: o.DisableIdentity, IdentitySuffix: o.IdentitySuffix,
			PoolSize: 2, MaxRetries: -1, DialerRetries: 1,
			DialTimeout: cfg.ProbeTimeout, ReadTimeout: cfg.ProbeTimeout, WriteTimeout: cfg.ProbeTimeout, PoolTimeout: cfg.ProbeTimeout,
		}),
		opened: make(chan struct{}, 1),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ticketblitz_redis_up",
			Help: "1 while Redis answers; 0 while the breaker is open and Redis calls fail fast.",
		}),
		fastFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ticketblitz_redis_fast_failed_calls_total",
			Help: "Redis calls failed at once, without being sent, because the breaker was open.",
		}),
	}
	b.up.Set(1)
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{b.up, b.fastFailed} {
			if err := cfg.Registerer.Register(c); err != nil {
				_ = b.probe.Close()
				return nil, fmt.Errorf("redis breaker metrics: %w", err)
			}
		}
	}
	rdb.AddHook(breakerHook{b})
	return b, nil
}

// Run probes Redis while the breaker is open, until ctx ends; then it closes the probe
// client. It is the breaker's one goroutine.
func (b *RedisBreaker) Run(ctx context.Context) error {
	defer func() { _ = b.probe.Close() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-b.opened:
		}
		b.probeUntilUp(ctx)
	}
}

// Up reports whether the breaker is closed: Redis answered last time it was asked.
func (b *RedisBreaker) Up() bool { return !b.open.Load() }

// Check is the readiness check of Redis: while the breaker is open it answers at once
// why; otherwise it pings Redis (at most ProbeTimeout) and opens the breaker if that fails.
func (b *RedisBreaker) Check(ctx context.Context) error {
	period, err := b.admit(false)
	if err != nil {
		return err
	}
	if err := b.ping(ctx); err != nil {
		if outage(err) {
			b.trip(period, err)
		}
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// admit lets a call through while the breaker is closed and returns the closed period it
// belongs to; while it is open it returns the error to fail it with, counting it when
// countFailed.
func (b *RedisBreaker) admit(countFailed bool) (uint64, error) {
	if !b.open.Load() {
		return b.period.Load(), nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open.Load() { // closed meanwhile
		return b.period.Load(), nil
	}
	if countFailed {
		b.failed++
		b.fastFailed.Inc()
	}
	return 0, fmt.Errorf("%w (for %v; last error: %v)", ErrRedisUnavailable, time.Since(b.since).Round(time.Millisecond), b.cause)
}

// trip opens the breaker after a call of period failed for want of Redis, unless the
// breaker opened since, or closed again after that call began.
func (b *RedisBreaker) trip(period uint64, cause error) {
	b.mu.Lock()
	if b.open.Load() || period != b.period.Load() {
		b.mu.Unlock()
		return
	}
	b.since, b.cause, b.failed = time.Now(), cause, 0
	b.open.Store(true)
	b.mu.Unlock()
	b.up.Set(0)
	b.cfg.Logger.Warn("redis unreachable: its calls fail fast until a probe answers",
		zap.Error(cause), zap.Duration("probe_interval", b.cfg.ProbeInterval))
	select {
	case b.opened <- struct{}{}:
	default:
	}
}

// probeUntilUp pings Redis every ProbeInterval until it answers (then closes the breaker)
// or ctx ends.
func (b *RedisBreaker) probeUntilUp(ctx context.Context) {
	t := time.NewTicker(b.cfg.ProbeInterval)
	defer t.Stop()
	for b.open.Load() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := b.ping(ctx)
		if err != nil {
			b.mu.Lock()
			b.cause = err
			b.mu.Unlock()
			continue
		}
		b.mu.Lock()
		b.period.Add(1)
		outageFor, failed := time.Since(b.since), b.failed
		b.open.Store(false)
		b.mu.Unlock()
		b.up.Set(1)
		b.cfg.Logger.Warn("redis answers again: its calls go through",
			zap.Duration("outage", outageFor), zap.Int64("calls_failed_fast", failed))
	}
}

// ping asks Redis for PONG within ProbeTimeout. It connects over TCP first, so that a
// Redis that refuses connections costs no pool dial, which go-redis would report on its
// own logger (standard error) at every probe.
func (b *RedisBreaker) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.ProbeTimeout)
	defer cancel()
	o := b.probe.Options()
	conn, err := (&net.Dialer{}).DialContext(ctx, o.Network, o.Addr)
	if err != nil {
		return err
	}
	_ = conn.Close()
	return b.probe.Ping(ctx).Err()
}

// outage reports whether err means Redis could not be reached or did not answer in time:
// a dial, read or write that failed on the network (refused, reset, timed out). An
// answer (an error reply, no such key), a call given up by its caller, and a call that
// never left the node because the pool had no free connection in time (ErrPoolTimeout,
// or the caller's deadline passing while it queued for one) are not: under a burst the
// pool queues, Redis is up, and opening the breaker would fail every call for nothing.
func outage(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, ErrRedisUnavailable) {
		return false
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return true // the dial, or the connection's read or write, failed
	}
	if errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) ||
		errors.Is(err, context.DeadlineExceeded) {
		// Nothing was sent: with the client's context timeouts off (go-redis's default)
		// a caller's deadline bounds only the wait for a pooled connection and the dial,
		// and a dial that fails is a net.OpError above.
		return false
	}
	var reply redis.Error
	return !errors.As(err, &reply)
}

// breakerHook puts the breaker in front of a client's commands and pipelines.
type breakerHook struct{ b *RedisBreaker }

// DialHook implements redis.Hook; dials pass through (only commands dial).
func (h breakerHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (h breakerHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		period, err := h.b.admit(true)
		if err != nil {
			cmd.SetErr(err)
			return err
		}
		err = next(ctx, cmd)
		if outage(err) {
			h.b.trip(period, err)
		}
		return err
	}
}

// ProcessPipelineHook implements redis.Hook.
func (h breakerHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		period, err := h.b.admit(true)
		if err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		err = next(ctx, cmds)
		if outage(err) {
			h.b.trip(period, err)
		}
		return err
	}
}

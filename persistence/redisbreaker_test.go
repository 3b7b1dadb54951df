package persistence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

const (
	testProbeInterval = 50 * time.Millisecond
	testProbeTimeout  = 100 * time.Millisecond
)

// breakerOn returns a client of srv with a running breaker and the breaker's log; tune,
// when given, adjusts the client's options first.
func breakerOn(t *testing.T, srv *testenv.RedisServer, tune ...func(*redis.Options)) (*redis.Client, *RedisBreaker, *observer.ObservedLogs) {
	t.Helper()
	opts, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tune {
		f(opts)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	core, logs := observer.New(zapcore.InfoLevel)
	b, err := NewRedisBreaker(rdb, RedisBreakerConfig{
		ProbeInterval: testProbeInterval, ProbeTimeout: testProbeTimeout,
		Logger: zap.New(core), Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return rdb, b, logs
}

// TestRedisBreaker kills a Redis of the test's own: the first call that finds it gone
// opens the breaker; then the leases, the rate limiter and every other call fail at once
// without being sent, the readiness check says why, and a restarted Redis on the same port
// closes the breaker within a few probes.
func TestRedisBreaker(t *testing.T) {
	srv := testenv.StartRedisServer(t, 0)
	rdb, b, logs := breakerOn(t, srv)
	ctx := context.Background()
	leases := NewLeases(rdb, "t:")
	limiter, err := NewRateLimiter(rdb, "t:", "100/min")
	if err != nil {
		t.Fatal(err)
	}

	// Answers, error replies included, are not outages.
	if err := rdb.Get(ctx, "t:missing").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("get of a missing key: %v", err)
	}
	if err := rdb.Eval(ctx, "return redis.error_reply('NOPE refused')", nil).Err(); err == nil {
		t.Fatal("an error reply came back as success")
	}
	if ok, _, err := leases.Acquire(ctx, "ev/A", "n1", time.Second); err != nil || !ok {
		t.Fatalf("acquire with redis up: %v %v", ok, err)
	}
	if !b.Up() || testutil.ToFloat64(b.up) != 1 || b.Check(ctx) != nil {
		t.Fatal("the breaker is not closed while redis answers")
	}

	srv.Kill()
	if err := rdb.Ping(ctx).Err(); err == nil || errors.Is(err, ErrRedisUnavailable) {
		t.Fatalf("the first call after the kill = %v, want the network's error", err)
	}
	if b.Up() || testutil.ToFloat64(b.up) != 0 {
		t.Fatal("the breaker did not open on a failed call")
	}
	calls := []func() error{
		func() error { return rdb.Set(ctx, "t:k", "v", 0).Err() },
		func() error { _, _, err := leases.Acquire(ctx, "ev/B", "n1", time.Second); return err },
		func() error { _, err := leases.Renew(ctx, "ev/A", "n1", time.Second); return err },
		func() error { _, _, err := limiter.Allow(ctx, "user:u1"); return err },
		func() error {
			_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, "t:a"); p.Get(ctx, "t:b"); return nil })
			return err
		},
	}
	for i, call := range calls {
		if err := call(); !errors.Is(err, ErrRedisUnavailable) {
			t.Errorf("call %d while open = %v, want ErrRedisUnavailable", i, err)
		}
	}
	if got := testutil.ToFloat64(b.fastFailed); got != float64(len(calls)) {
		t.Errorf("fast-failed calls = %v, want %d", got, len(calls))
	}
	if err := b.Check(ctx); !errors.Is(err, ErrRedisUnavailable) {
		t.Errorf("readiness while open = %v", err)
	}
	// Redis stays down across several probes: still open, and it opened once.
	time.Sleep(4 * testProbeInterval)
	if b.Up() {
		t.Fatal("the breaker closed while redis was down")
	}

	testenv.StartRedisServer(t, srv.Port)
	testenv.Eventually(t, 5*time.Second, func() error {
		if !b.Up() {
			return errors.New("the breaker is still open")
		}
		return nil
	})
	if testutil.ToFloat64(b.up) != 1 {
		t.Error("ticketblitz_redis_up is not back to 1")
	}
	if ok, _, err := leases.Acquire(ctx, "ev/A", "n1", time.Second); err != nil || !ok {
		t.Fatalf("acquire after redis came back: %v %v", ok, err)
	}
	if err := b.Check(ctx); err != nil {
		t.Errorf("readiness after redis came back: %v", err)
	}
	warnings := logs.FilterLevelExact(zapcore.WarnLevel).All()
	if len(warnings) != 2 {
		t.Fatalf("%d warnings, want one when it opened and one when it closed: %+v", len(warnings), warnings)
	}
	if f := warnings[1].ContextMap(); f["calls_failed_fast"] != int64(len(calls)) {
		t.Errorf("closing warning %v", f)
	}
}

// TestRedisBreakerIgnoresStaleFailures: a call that began before the breaker last
// closed cannot open it again with its old failure.
func TestRedisBreakerIgnoresStaleFailures(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	b, err := NewRedisBreaker(rdb, RedisBreakerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.probe.Close() }()
	b.period.Add(1) // a closing after the call below began
	b.trip(0, errors.New("dial tcp: connection refused"))
	if !b.Up() {
		t.Fatal("a stale failure opened the breaker")
	}
	b.trip(1, errors.New("dial tcp: connection refused"))
	if b.Up() {
		t.Fatal("a current failure did not open the breaker")
	}
}

func TestRedisOutage(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{redis.Nil, false},
		{context.Canceled, false},
		{redis.ErrClosed, false},
		{ErrRedisUnavailable, false},
		{redis.ErrNoScript, false},
		{context.DeadlineExceeded, false},
		{redis.ErrPoolTimeout, false},
		{fmt.Errorf("join: %w", redis.ErrPoolTimeout), false},
		{&net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}, true},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{io.EOF, true},
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), true},
	} {
		if got := outage(c.err); got != c.want {
			t.Errorf("outage(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestRedisBreakerIgnoresPoolWaits: calls that queue for a pooled connection and give up
// (the pool's timeout, or the caller's deadline) never reached Redis, which is up: the
// breaker stays closed, and the next call goes through.
func TestRedisBreakerIgnoresPoolWaits(t *testing.T) {
	srv := testenv.StartRedisServer(t, 0)
	rdb, b, _ := breakerOn(t, srv, func(o *redis.Options) {
		o.PoolSize, o.PoolTimeout, o.MaxRetries = 1, 20*time.Millisecond, -1
	})
	ctx := context.Background()
	// Hold the pool's one connection with a blocking pop.
	blocked := make(chan error, 1)
	go func() { blocked <- rdb.BLPop(ctx, time.Second, "t:never").Err() }()
	testenv.Eventually(t, 5*time.Second, func() error {
		if s := rdb.PoolStats(); s.TotalConns != 1 || s.IdleConns != 0 {
			return fmt.Errorf("the pool's connection is not taken yet: %+v", s)
		}
		return nil
	})
	if err := rdb.Get(ctx, "t:k").Err(); !errors.Is(err, redis.ErrPoolTimeout) {
		t.Fatalf("a call while the pool is taken = %v, want the pool's timeout", err)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := rdb.Get(short, "t:k").Err(); !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, redis.ErrPoolTimeout) {
		t.Fatalf("a call whose deadline passes in the pool's queue = %v", err)
	}
	if !b.Up() {
		t.Fatal("waits for a pooled connection opened the breaker")
	}
	if err := <-blocked; !errors.Is(err, redis.Nil) {
		t.Fatalf("blocking pop: %v", err)
	}
	if err := rdb.Set(ctx, "t:k", "v", 0).Err(); err != nil || !b.Up() {
		t.Fatalf("a call once the pool is free = %v (breaker up %v)", err, b.Up())
	}
}

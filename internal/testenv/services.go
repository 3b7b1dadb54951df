package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// The services' addresses when the environment names none: the machine's own
// PostgreSQL (trust auth) and Redis.
const (
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
)

// RequireEnv is the variable that turns a missing service from a skip into a failure.
const RequireEnv = "TICKETBLITZ_REQUIRE_SERVICES"

// PostgresURL is the administrative PostgreSQL URL tests create their databases with:
// TICKETBLITZ_TEST_POSTGRES_URL, or DefaultPostgresURL.
func PostgresURL() string { return EnvOr("TICKETBLITZ_TEST_POSTGRES_URL", DefaultPostgresURL) }

// RedisURL is the Redis tests use: TICKETBLITZ_REDIS_URL, or DefaultRedisURL.
func RedisURL() string { return EnvOr("TICKETBLITZ_REDIS_URL", DefaultRedisURL) }

// EnvOr returns the environment variable k, or d when it is empty.
func EnvOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

// Services names the services a test needs; an empty URL is not checked.
type Services struct {
	PostgresURL string
	RedisURL    string
}

// Both is PostgreSQL and Redis at their usual addresses.
func Both() Services { return Services{PostgresURL: PostgresURL(), RedisURL: RedisURL()} }

// Check reports every service of s that does not answer within five seconds.
func (s Services) Check() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var problems []error
	if s.PostgresURL != "" {
		if conn, err := pgx.Connect(ctx, s.PostgresURL); err != nil {
			problems = append(problems, fmt.Errorf("postgres: %w", err))
		} else {
			_ = conn.Close(ctx)
		}
	}
	if s.RedisURL != "" {
		opts, err := redis.ParseURL(s.RedisURL)
		if err == nil {
			rc := redis.NewClient(opts)
			err = rc.Ping(ctx).Err()
			_ = rc.Close()
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("redis: %w", err))
		}
	}
	return errors.Join(problems...)
}

// Require skips t unless every service of s answers; with TICKETBLITZ_REQUIRE_SERVICES=1
// it fails t instead.
func Require(t testing.TB, s Services) {
	t.Helper()
	Unavailable(t, s.Check())
}

// Unavailable skips t (or fails it, with TICKETBLITZ_REQUIRE_SERVICES=1) when err, a
// service check's result, is not nil. Packages that check once in TestMain call it
// from each test with the error they kept.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("services required: %v", err)
	}
	t.Skipf("services unavailable: %v", err)
}

package serverproc

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// RequireServices skips t (or, with TICKETBLITZ_REQUIRE_SERVICES=1, fails it) unless
// PostgreSQL at pgURL and Redis at redisURL answer.
func RequireServices(t testing.TB, pgURL, redisURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var problems []string
	if conn, err := pgx.Connect(ctx, pgURL); err != nil {
		problems = append(problems, "postgres: "+err.Error())
	} else {
		conn.Close(ctx)
	}
	if opt, err := redis.ParseURL(redisURL); err != nil {
		problems = append(problems, "redis: "+err.Error())
	} else {
		rc := redis.NewClient(opt)
		if err := rc.Ping(ctx).Err(); err != nil {
			problems = append(problems, "redis: "+err.Error())
		}
		rc.Close()
	}
	if len(problems) == 0 {
		return
	}
	if os.Getenv("TICKETBLITZ_REQUIRE_SERVICES") == "1" {
		t.Fatalf("services required: %s", strings.Join(problems, "; "))
	}
	t.Skipf("services unavailable: %s", strings.Join(problems, "; "))
}

// EnvOr returns the environment variable k, or d when it is empty.
func EnvOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

package persistence

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// The package's tests share one fresh database, created and migrated in TestMain and
// dropped afterwards, and Redis with a key prefix per test. TestMain checks each service
// once; a test that needs one that is missing skips (or fails, with
// TICKETBLITZ_REQUIRE_SERVICES=1) through testenv.Unavailable.

var (
	testPoolValue *pgxpool.Pool
	postgresError error
	redisError    error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	base := testenv.PostgresURL()
	name := fmt.Sprintf("tb_test_persistence_%d", os.Getpid())
	pool, err := Open(ctx, replaceDB(base, name), 16)
	cancel()
	if err != nil {
		postgresError = fmt.Errorf("postgres: %w", err)
	}
	testPoolValue = pool
	redisError = testenv.Services{RedisURL: testenv.RedisURL()}.Check()
	code := m.Run()
	if pool != nil {
		pool.Close()
		dropDatabase(base, name)
	}
	os.Exit(code)
}

func replaceDB(dsn, name string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

func dropDatabase(base, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// testPool returns the package's database pool, or skips the test (fails it with
// TICKETBLITZ_REQUIRE_SERVICES=1) when PostgreSQL is missing.
func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	testenv.Unavailable(t, postgresError)
	return testPoolValue
}

// testRedis returns a Redis client and a key prefix unique to the test, or skips the
// test (fails it with TICKETBLITZ_REQUIRE_SERVICES=1) when Redis is missing.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	testenv.Unavailable(t, redisError)
	opts, err := redis.ParseURL(testenv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c, fmt.Sprintf("tbtest:%s:%d:", t.Name(), time.Now().UnixNano())
}

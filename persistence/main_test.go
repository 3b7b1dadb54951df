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
)

// The package's tests share one fresh database, created and migrated in TestMain and
// dropped afterwards, and one Redis connection with a key prefix per test.

var (
	testDSN       string
	testPoolValue *pgxpool.Pool
	testRedisURL  = envOr("TICKETBLITZ_REDIS_URL", "redis://127.0.0.1:6379/0")
	servicesError error
)

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	base := envOr("TICKETBLITZ_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	name := fmt.Sprintf("tb_test_persistence_%d", os.Getpid())
	testDSN = replaceDB(base, name)
	pool, err := Open(ctx, testDSN, 16)
	if err != nil {
		servicesError = err
	}
	testPoolValue = pool
	cancel()
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

// needServices skips the test when PostgreSQL or Redis is missing, or fails it when
// TICKETBLITZ_REQUIRE_SERVICES=1.
func needServices(t testing.TB) {
	t.Helper()
	if servicesError == nil {
		return
	}
	if os.Getenv("TICKETBLITZ_REQUIRE_SERVICES") == "1" {
		t.Fatalf("postgres unavailable: %v", servicesError)
	}
	t.Skipf("postgres unavailable: %v", servicesError)
}

// testPool returns the package's database pool.
func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	needServices(t)
	return testPoolValue
}

// testRedis returns a Redis client and a key prefix unique to the test.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opts, err := redis.ParseURL(testRedisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	if err := c.Ping(context.Background()).Err(); err != nil {
		c.Close()
		if os.Getenv("TICKETBLITZ_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis unavailable: %v", err)
		}
		t.Skipf("redis unavailable: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, fmt.Sprintf("tbtest:%s:%d:", t.Name(), time.Now().UnixNano())
}

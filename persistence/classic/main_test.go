package classic

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// The package's tests share one fresh database, created and migrated in TestMain and
// dropped afterwards, and Redis with a key prefix per test.

var (
	testPoolValue *pgxpool.Pool
	servicesError error
)

func TestMain(m *testing.M) {
	base := testenv.PostgresURL()
	name := fmt.Sprintf("tb_test_classic_%d", os.Getpid())
	pool, err := openFresh(base, name)
	testPoolValue = pool
	servicesError = errors.Join(err, testenv.Services{RedisURL: testenv.RedisURL()}.Check())
	code := m.Run()
	if pool != nil {
		pool.Close()
		dropDatabase(base, name)
	}
	os.Exit(code)
}

// openFresh creates the database name on the server of base, migrates it and opens a
// pool on it.
func openFresh(base, name string) (*pgxpool.Pool, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	u.Path = "/" + name
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return persistence.Open(ctx, u.String(), 16)
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
// TICKETBLITZ_REQUIRE_SERVICES=1) when PostgreSQL or Redis is missing.
func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	testenv.Unavailable(t, servicesError)
	return testPoolValue
}

// testRedis returns a Redis client and a key prefix unique to the test.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	testenv.Unavailable(t, servicesError)
	opts, err := redis.ParseURL(testenv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c, fmt.Sprintf("tbtest:%s:%d:", t.Name(), time.Now().UnixNano())
}

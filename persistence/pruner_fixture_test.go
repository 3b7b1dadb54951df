package persistence

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pruneSchemaSeq numbers the schemas of one test binary.
var pruneSchemaSeq atomic.Int64

// prunerSchema returns a pool whose tables live in a fresh, migrated schema of the
// package's database, dropped when the test ends: the pruner deletes by age across a
// whole table, so its tests count rows in tables nothing else writes. more opens
// further pools on the same schema, like other nodes.
func prunerSchema(t *testing.T) (pool *pgxpool.Pool, more func() *pgxpool.Pool) {
	t.Helper()
	base := testPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	schema := fmt.Sprintf("prune_%d_%d", time.Now().UnixNano(), pruneSchemaSeq.Add(1))
	if _, err := base.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = base.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	u, err := url.Parse(base.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()
	open := func() *pgxpool.Pool {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		p, err := Open(ctx, dsn, 8)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	return open(), open
}

// Row ages are given in microseconds before the database's now().
const agoSQL = `now() - $2::bigint * interval '1 microsecond'`

// addKeys inserts n idempotency keys named prefix0…, created age ago.
func addKeys(t testing.TB, pool *pgxpool.Pool, prefix string, n int, age time.Duration) {
	t.Helper()
	fixtureExec(t, pool, `
INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response, created_at)
SELECT 'u' || (g % 997), $1 || g, 'e1', 's' || (g % 20), '\x01'::bytea, convert_to(repeat('r', 120), 'UTF8'), `+agoSQL+`
FROM generate_series(1, $3::int) AS g`, prefix, age.Microseconds(), n)
}

// addOutbox inserts n outbox records keyed prefix, created created ago and published
// published ago, or unpublished when published is negative.
func addOutbox(t testing.TB, pool *pgxpool.Pool, prefix string, n int, created, published time.Duration) {
	t.Helper()
	fixtureExec(t, pool, `
INSERT INTO outbox (topic, key, payload, created_at, published_at)
SELECT 'seat.reserved', $1, convert_to(repeat('p', 200), 'UTF8'), `+agoSQL+`,
	CASE WHEN $4::bigint < 0 THEN NULL ELSE now() - $4::bigint * interval '1 microsecond' END
FROM generate_series(1, $3::int) AS g`, prefix, created.Microseconds(), n, published.Microseconds())
}

// addNotifications inserts n notifications named prefix0…, received age ago.
func addNotifications(t testing.TB, pool *pgxpool.Pool, prefix string, n int, age time.Duration) {
	t.Helper()
	fixtureExec(t, pool, `
INSERT INTO notifications (envelope_id, topic, key, type, partition, "offset", payload, received_at)
SELECT $1 || g, 'seat.reserved', 'e1/s1', 'seat.reserved', 0, g, '{"v":1}'::jsonb, `+agoSQL+`
FROM generate_series(1, $3::int) AS g`, prefix, age.Microseconds(), n)
}

// addAttempts inserts n attempts of section (e1, section), decided age ago.
func addAttempts(t testing.TB, pool *pgxpool.Pool, section string, n int, age time.Duration) {
	t.Helper()
	fixtureExec(t, pool, `
INSERT INTO attempts (event_id, section_id, seq, at, version, user_id, action, seats, ref, code, cause_seq, kind, command)
SELECT 'e1', $1, g, `+agoSQL+`, g, 'u', 'hold', '{A-1}', '', '', 0, '', ''
FROM generate_series(1, $3::int) AS g`, section, age.Microseconds(), n)
}

func fixtureExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := pool.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

// countRows runs a count query.
func fixtureCount(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var n int64
	if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rowsLeft counts what is left of each group of rows the fixtures wrote.
type rowsLeft struct {
	keys, outbox, notifications, attempts func(prefix string) int64
}

func leftIn(t testing.TB, pool *pgxpool.Pool) rowsLeft {
	return rowsLeft{
		keys: func(p string) int64 {
			return fixtureCount(t, pool, `SELECT count(*) FROM idempotency_keys WHERE starts_with(key, $1)`, p)
		},
		outbox: func(p string) int64 {
			return fixtureCount(t, pool, `SELECT count(*) FROM outbox WHERE key = $1`, p)
		},
		notifications: func(p string) int64 {
			return fixtureCount(t, pool, `SELECT count(*) FROM notifications WHERE starts_with(envelope_id, $1)`, p)
		},
		attempts: func(p string) int64 {
			return fixtureCount(t, pool, `SELECT count(*) FROM attempts WHERE section_id = $1`, p)
		},
	}
}

package persistence

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestPruneLargeBacklogInBatchesBesideAWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 200,000 rows")
	}
	const backlog = 200_000
	pool, _ := prunerSchema(t)
	addKeys(t, pool, "key-old-", backlog, 2*day)
	fixtureExec(t, pool, `ANALYZE idempotency_keys`)

	// The writer commits what a section's batch writes to the history tables: keys,
	// outbox records (the relay's notifications arrive apart), each transaction timed.
	var seq int
	write := func(ctx context.Context) (time.Duration, error) {
		seq++
		began := time.Now()
		tx, err := pool.Begin(ctx)
		if err != nil {
			return 0, err
		}
		defer func() { _ = tx.Rollback(ctx) }()
		if _, err := tx.Exec(ctx, `
INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response)
SELECT 'writer', $1 || g, 'e1', 's1', '\x01'::bytea, '\x02'::bytea FROM generate_series(1, 20) AS g`,
			fmt.Sprintf("w%d-", seq)); err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO outbox (topic, key, payload) SELECT 'seat.reserved', 'writer', '\x03'::bytea FROM generate_series(1, 20)`); err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO notifications (envelope_id, topic, key, type, partition, "offset", payload)
SELECT $1 || g, 'seat.reserved', 'writer', 'seat.reserved', 0, g, '{}'::jsonb FROM generate_series(1, 5) AS g`,
			fmt.Sprintf("w%d-", seq)); err != nil {
			return 0, err
		}
		if err := tx.Commit(ctx); err != nil {
			return 0, err
		}
		return time.Since(began), nil
	}
	// runWriter writes until stop closes (at least min transactions).
	runWriter := func(stop <-chan struct{}, min int) []time.Duration {
		var took []time.Duration
		for {
			select {
			case <-stop:
				if len(took) >= min {
					return took
				}
			default:
			}
			d, err := write(context.Background())
			if err != nil {
				t.Error(err)
				return took
			}
			took = append(took, d)
		}
	}

	closed := make(chan struct{})
	close(closed)
	runWriter(closed, 50) // warm the connections and the statement cache
	alone := runWriter(closed, 300)

	p := newTestPruner(t, standardRetention(PrunerConfig{Pool: pool, BatchPause: DefaultPruneBatchPause}))
	stop := make(chan struct{})
	var during []time.Duration
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		during = runWriter(stop, 1)
	}()
	// Meanwhile, sample whether any session of the database waits for a lock.
	var samples, waiting int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			var n int
			if err := pool.QueryRow(context.Background(), `
SELECT count(*) FROM pg_locks
WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
				t.Error(err)
				return
			}
			samples++
			if n > 0 {
				waiting++
			}
		}
	}()
	res := p.pass(context.Background())
	close(stop)
	wg.Wait()
	if res.err != nil {
		t.Fatal(res.err)
	}

	// The batches: every old key, in statements of at most BatchSize rows, one more to
	// find nothing left.
	want := backlog/DefaultPruneBatchSize + 1
	if res.rows["idempotency_keys"] != backlog || res.statements["idempotency_keys"] != want || res.largest > DefaultPruneBatchSize {
		t.Errorf("pruned %d keys with %d statements, at most %d rows each; want %d with %d of at most %d",
			res.rows["idempotency_keys"], res.statements["idempotency_keys"], res.largest, backlog, want, DefaultPruneBatchSize)
	}
	if left := leftIn(t, pool); left.keys("key-old-") != 0 || left.keys("w") != int64(20*seq) {
		t.Errorf("left %d old keys and %d of the writer's %d", left.keys("key-old-"), left.keys("w"), 20*seq)
	}
	t.Logf("pruned %d keys in %v: %d statements, slowest %v", backlog, res.took.Round(time.Millisecond),
		res.statements["idempotency_keys"], res.slowest.Round(time.Microsecond))
	t.Logf("writer alone:         %s", latencies(alone))
	t.Logf("writer while pruning: %s", latencies(during))
	t.Logf("lock waits in the database: %d of %d samples", waiting, samples)
}

// latencies summarises transaction times.
func latencies(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no transactions"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))].Round(time.Microsecond) }
	return fmt.Sprintf("%d transactions, p50 %v, p99 %v, max %v", len(s), at(0.5), at(0.99), s[len(s)-1].Round(time.Microsecond))
}

// outboxLagSQL is the query of Outbox.Lag.
const outboxLagSQL = `
SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
FROM outbox WHERE published_at IS NULL`

func TestPruneStatementsUseIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 150,000 rows")
	}
	pool, _ := prunerSchema(t)
	addKeys(t, pool, "key-old-", 40_000, 2*day)
	addKeys(t, pool, "key-young-", 10_000, time.Hour)
	addOutbox(t, pool, "published-old", 40_000, 3*time.Hour, 2*time.Hour)
	addOutbox(t, pool, "published-young", 9_900, time.Hour, time.Minute)
	addOutbox(t, pool, "unpublished", 100, time.Minute, -1)
	addNotifications(t, pool, "note-old-", 40_000, 2*week)
	addNotifications(t, pool, "note-young-", 10_000, day)
	addAttempts(t, pool, "att-old", 40_000, 2*week)
	addAttempts(t, pool, "att-young", 10_000, day)
	fixtureExec(t, pool, `VACUUM ANALYZE idempotency_keys, outbox, notifications, attempts`)

	p := newTestPruner(t, standardRetention(PrunerConfig{Pool: pool}))
	indexes := map[string]string{
		"idempotency_keys": "idempotency_keys_created",
		"outbox":           "outbox_published",
		"notifications":    "notifications_received",
		"attempts":         "attempts_at",
	}
	for _, tb := range p.tables {
		plan := explain(t, pool, tb.deleteSQL, tb.retention.Microseconds(), p.cfg.BatchSize)
		wantPlan(t, "prune "+tb.name, plan, "Index Scan using "+indexes[tb.name], "Tid Scan on "+tb.name)
		plan = explain(t, pool, tb.oldestSQL)
		wantPlan(t, "oldest "+tb.name, plan, "using "+indexes[tb.name])
	}

	// The relay's lag query, with a large published backlog and few unpublished
	// records, then with a large unpublished backlog.
	wantPlan(t, "lag, published backlog", explain(t, pool, outboxLagSQL), "using outbox_unpublished")
	addOutbox(t, pool, "unpublished", 100_000, time.Minute, -1)
	fixtureExec(t, pool, `VACUUM ANALYZE outbox`)
	wantPlan(t, "lag, unpublished backlog", explain(t, pool, outboxLagSQL), "Index Only Scan using outbox_unpublished")
}

// explain returns the plan of sql with args.
func explain(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), "EXPLAIN "+sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// wantPlan checks that plan reads no table whole and has every one of want.
func wantPlan(t *testing.T, what, plan string, want ...string) {
	t.Helper()
	ok := !strings.Contains(plan, "Seq Scan")
	for _, w := range want {
		ok = ok && strings.Contains(plan, w)
	}
	if !ok {
		t.Errorf("%s: want no Seq Scan and %q in the plan:\n%s", what, want, plan)
	}
}

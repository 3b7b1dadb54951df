package persistence

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// standardRetention is the server's default retention of each table.
func standardRetention(cfg PrunerConfig) PrunerConfig {
	cfg.IdempotencyRetention, cfg.OutboxRetention, cfg.NotificationsRetention = day, time.Hour, week
	cfg.AttemptsRetention = week
	return cfg
}

func newTestPruner(t *testing.T, cfg PrunerConfig) *Pruner {
	t.Helper()
	if cfg.Interval == 0 {
		cfg.Interval = 10 * time.Minute // a pass is never cut short in these tests
	}
	if cfg.BatchPause == 0 {
		cfg.BatchPause = time.Millisecond
	}
	p, err := NewPruner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPruneDeletesExactlyTheRowsPastRetention(t *testing.T) {
	pool, _ := prunerSchema(t)
	// Each group sits well clear of its retention, so the test's own duration cannot
	// move a row across it.
	addKeys(t, pool, "key-old-", 1500, day+time.Hour)
	addKeys(t, pool, "key-young-", 700, day-time.Hour)
	addKeys(t, pool, "key-new-", 300, 0)
	addOutbox(t, pool, "published-old", 1200, 3*time.Hour, 2*time.Hour)
	// Created long ago but published recently: retention counts from publication.
	addOutbox(t, pool, "published-young", 400, 5*time.Hour, 10*time.Minute)
	// Never published, however old: the relay still owes them to Kafka.
	addOutbox(t, pool, "unpublished-old", 300, 30*day, -1)
	addOutbox(t, pool, "unpublished-new", 100, 0, -1)
	addNotifications(t, pool, "note-old-", 900, week+day)
	addNotifications(t, pool, "note-young-", 200, week-day)
	addAttempts(t, pool, "att-old", 600, week+day)
	addAttempts(t, pool, "att-young", 250, week-day)
	left := leftIn(t, pool)

	// First with notifications kept forever: that table is not touched.
	core, logs := observer.New(zap.InfoLevel)
	reg := prometheus.NewRegistry()
	cfg := standardRetention(PrunerConfig{Pool: pool, BatchSize: 500, Logger: zap.New(core), Registerer: reg})
	cfg.NotificationsRetention = 0
	p := newTestPruner(t, cfg)
	res := p.pass(context.Background())
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.rows["idempotency_keys"] != 1500 || res.rows["outbox"] != 1200 || res.rows["notifications"] != 0 || res.rows["attempts"] != 600 {
		t.Errorf("pruned %v, want 1500 keys, 1200 outbox records, no notifications, 600 attempts", res.rows)
	}
	if got, young := left.attempts("att-old"), left.attempts("att-young"); got != 0 || young != 250 {
		t.Errorf("attempts left: %d old, %d young; want 0 and 250", got, young)
	}
	if res.statements["notifications"] != 0 {
		t.Errorf("%d statements on notifications, kept forever", res.statements["notifications"])
	}
	for prefix, want := range map[string]int64{"key-old-": 0, "key-young-": 700, "key-new-": 300} {
		if got := left.keys(prefix); got != want {
			t.Errorf("%s keys left: %d, want %d", prefix, got, want)
		}
	}
	for prefix, want := range map[string]int64{"published-old": 0, "published-young": 400, "unpublished-old": 300, "unpublished-new": 100} {
		if got := left.outbox(prefix); got != want {
			t.Errorf("%s outbox records left: %d, want %d", prefix, got, want)
		}
	}
	if got := left.notifications("note-old-"); got != 900 {
		t.Errorf("old notifications left: %d, want all 900 (kept forever)", got)
	}

	// Metrics: rows counted per table, and the oldest row each table keeps.
	if got := testutil.ToFloat64(p.metrics.pruned.WithLabelValues("idempotency_keys")); got != 1500 {
		t.Errorf("pruned keys counter %v, want 1500", got)
	}
	if got := testutil.ToFloat64(p.metrics.pruned.WithLabelValues("outbox")); got != 1200 {
		t.Errorf("pruned outbox counter %v, want 1200", got)
	}
	assertAge(t, p, "idempotency_keys", day-time.Hour)
	assertAge(t, p, "outbox", 10*time.Minute)
	assertAge(t, p, "notifications", week+day)
	if n, err := testutil.GatherAndCount(reg, "ticketblitz_retention_pruned_rows_total", "ticketblitz_retention_oldest_row_age_seconds", "ticketblitz_retention_errors_total"); err != nil || n != 12 {
		t.Errorf("registered %d series (%v), want 3 metrics × 4 tables", n, err)
	}

	// One line for the pass, not one per batch.
	lines := logs.FilterMessage("pruned rows past retention").All()
	if len(lines) != 1 || logs.Len() != 1 {
		t.Fatalf("logged %d lines (%d about pruning), want one", logs.Len(), len(lines))
	}
	fields := lines[0].ContextMap()
	if fields["idempotency_keys"] != int64(1500) || fields["outbox"] != int64(1200) || fields["took"] == nil {
		t.Errorf("log fields %v", fields)
	}
	if _, ok := fields["notifications"]; ok {
		t.Errorf("log names notifications, which are kept forever: %v", fields)
	}

	// Then with every retention: the old notifications go, and a second pass finds
	// nothing and logs nothing.
	p2 := newTestPruner(t, standardRetention(PrunerConfig{Pool: pool, BatchSize: 500, Logger: zap.New(core)}))
	if res := p2.pass(context.Background()); res.err != nil || res.rows["notifications"] != 900 || res.rows["idempotency_keys"] != 0 || res.rows["outbox"] != 0 {
		t.Errorf("second pass pruned %v (%v), want only the 900 old notifications", res.rows, res.err)
	}
	if got := left.notifications("note-young-"); got != 200 {
		t.Errorf("young notifications left: %d, want 200", got)
	}
	assertAge(t, p2, "notifications", week-day)
	before := logs.Len()
	if res := p2.pass(context.Background()); res.err != nil || res.rows["notifications"]+res.rows["outbox"]+res.rows["idempotency_keys"] != 0 {
		t.Errorf("third pass pruned %v (%v), want nothing", res.rows, res.err)
	}
	if logs.Len() != before {
		t.Errorf("a pass that pruned nothing logged %v", logs.All()[before:])
	}
}

// assertAge checks table's oldest-row gauge against want, give or take a minute.
func assertAge(t *testing.T, p *Pruner, table string, want time.Duration) {
	t.Helper()
	got := time.Duration(testutil.ToFloat64(p.metrics.oldest.WithLabelValues(table)) * float64(time.Second))
	if got < want || got > want+time.Minute {
		t.Errorf("oldest %s row %v old, want %v", table, got, want)
	}
}

func TestPruneSkipsRowsAnotherSessionHolds(t *testing.T) {
	pool, _ := prunerSchema(t)
	addKeys(t, pool, "key-old-", 3000, 2*day)
	addOutbox(t, pool, "published-old", 100, 3*time.Hour, 2*time.Hour)

	// Another node's batch in flight: it holds the 1000 oldest keys.
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT 1 FROM idempotency_keys ORDER BY created_at, key LIMIT 1000 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	// A pruner that waited on those rows would end in its statement timeout with an
	// error; this one must pass them by and delete the rest.
	p := newTestPruner(t, standardRetention(PrunerConfig{Pool: pool, BatchSize: 400}))
	res := p.pass(ctx)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.rows["idempotency_keys"] != 2000 || res.rows["outbox"] != 100 {
		t.Errorf("pruned %v, want 2000 keys (1000 held elsewhere) and 100 outbox records", res.rows)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if res := p.pass(ctx); res.err != nil || res.rows["idempotency_keys"] != 1000 {
		t.Errorf("once released, pruned %v (%v), want the 1000 keys", res.rows, res.err)
	}
}

func TestPrunersOnTwoNodesAtOnce(t *testing.T) {
	pool, open := prunerSchema(t)
	addKeys(t, pool, "key-old-", 30_000, 2*day)
	addKeys(t, pool, "key-young-", 500, time.Hour)
	addOutbox(t, pool, "published-old", 10_000, 3*time.Hour, 2*time.Hour)
	addOutbox(t, pool, "unpublished-old", 500, 3*time.Hour, -1)
	addNotifications(t, pool, "note-old-", 10_000, 2*week)
	addNotifications(t, pool, "note-young-", 500, day)

	nodes := []*Pruner{
		newTestPruner(t, standardRetention(PrunerConfig{Pool: open(), BatchSize: 500})),
		newTestPruner(t, standardRetention(PrunerConfig{Pool: open(), BatchSize: 500})),
	}
	results := make([]passResult, len(nodes))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = p.pass(context.Background())
		}()
	}
	close(start)
	wg.Wait()

	total := map[string]int64{}
	for i, res := range results {
		if res.err != nil {
			t.Errorf("node %d: %v", i, res.err)
		}
		for table, n := range res.rows {
			total[table] += n
		}
		t.Logf("node %d pruned %v in %v with %v statements", i, res.rows, res.took.Round(time.Millisecond), res.statements)
	}
	if total["idempotency_keys"] != 30_000 || total["outbox"] != 10_000 || total["notifications"] != 10_000 {
		t.Errorf("the two nodes pruned %v together, want every old row once: 30000 keys, 10000 outbox, 10000 notifications", total)
	}
	left := leftIn(t, pool)
	if left.keys("key-old-") != 0 || left.outbox("published-old") != 0 || left.notifications("note-old-") != 0 {
		t.Errorf("old rows left: %d keys, %d outbox, %d notifications", left.keys("key-old-"), left.outbox("published-old"), left.notifications("note-old-"))
	}
	if left.keys("key-young-") != 500 || left.outbox("unpublished-old") != 500 || left.notifications("note-young-") != 500 {
		t.Errorf("young or unpublished rows lost: %d keys, %d outbox, %d notifications of 500 each",
			left.keys("key-young-"), left.outbox("unpublished-old"), left.notifications("note-young-"))
	}
}

func TestPrunerRunPrunesAndStopsWithItsContext(t *testing.T) {
	pool, _ := prunerSchema(t)
	addOutbox(t, pool, "published-old", 50, 3*time.Hour, 2*time.Hour)
	reg := prometheus.NewRegistry()
	p := newTestPruner(t, standardRetention(PrunerConfig{Pool: pool, Interval: 20 * time.Millisecond, Registerer: reg}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := leftIn(t, pool).outbox("published-old"); n != 0 {
			return errors.New("old outbox records still there")
		}
		return nil
	})
	// Rows that age past retention while it runs go at a later pass.
	addOutbox(t, pool, "published-later", 30, 3*time.Hour, 2*time.Hour)
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := leftIn(t, pool).outbox("published-later"); n != 0 {
			return errors.New("later outbox records still there")
		}
		return nil
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
	if got := testutil.ToFloat64(p.metrics.pruned.WithLabelValues("outbox")); got != 80 {
		t.Errorf("pruned outbox counter %v, want 80", got)
	}
}

func TestPrunerLogsAnOutageOnce(t *testing.T) {
	pool, open := prunerSchema(t)
	broken := open()
	broken.Close() // every statement fails: the pool is closed
	core, logs := observer.New(zap.InfoLevel)
	p := newTestPruner(t, standardRetention(PrunerConfig{Pool: broken, Logger: zap.New(core)}))
	for range 3 {
		if res := p.pass(context.Background()); res.err == nil {
			t.Fatal("a pass on a closed pool succeeded")
		}
	}
	if n := logs.FilterMessage("pruning history failed; retrying at the next pass").Len(); n != 1 || logs.Len() != 1 {
		t.Errorf("three failed passes logged %v, want one warning", logs.All())
	}
	if got := testutil.ToFloat64(p.metrics.errors.WithLabelValues("outbox")); got < 3 {
		t.Errorf("errors counter for outbox %v, want at least 3", got)
	}
	p.cfg.Pool = pool
	if res := p.pass(context.Background()); res.err != nil {
		t.Fatal(res.err)
	}
	if logs.FilterMessage("pruning history works again").Len() != 1 {
		t.Errorf("recovery not logged: %v", logs.All())
	}
}

func TestNewPrunerRefusesBadConfig(t *testing.T) {
	if _, err := NewPruner(PrunerConfig{}); err == nil {
		t.Error("a pruner without a pool was made")
	}
	pool := testPool(t)
	for _, cfg := range []PrunerConfig{
		{Pool: pool, IdempotencyRetention: -time.Second},
		{Pool: pool, OutboxRetention: -time.Second},
		{Pool: pool, NotificationsRetention: -time.Second},
	} {
		if _, err := NewPruner(cfg); err == nil {
			t.Errorf("a negative retention was accepted: %+v", cfg)
		}
	}
	p, err := NewPruner(PrunerConfig{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	if p.cfg.BatchSize != DefaultPruneBatchSize || p.cfg.Interval != DefaultPruneInterval || p.cfg.BatchPause != DefaultPruneBatchPause {
		t.Errorf("defaults %+v", p.cfg)
	}
}

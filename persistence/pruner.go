package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Defaults of PrunerConfig.
const (
	DefaultPruneInterval   = time.Minute
	DefaultPruneBatchSize  = 2000
	DefaultPruneBatchPause = 50 * time.Millisecond
)

// pruneStatementTimeout bounds one prune statement or oldest-row read. A batch takes
// milliseconds; one that waits this long is waiting on something (a migration's lock)
// and is better given up and tried at the next pass.
const pruneStatementTimeout = 10 * time.Second

// PrunerConfig tunes a Pruner. Pool is required; a zero retention keeps that table's
// rows forever, and the other fields have defaults.
type PrunerConfig struct {
	Pool *pgxpool.Pool
	// IdempotencyRetention is how long an idempotency key's first answer is kept, by
	// its created_at. It must outlast every retry of the request (see
	// actors.ClientConfig.RetryHorizon) with a wide margin: a retry that comes later
	// is a new request.
	IdempotencyRetention time.Duration
	// OutboxRetention is how long a published outbox record is kept, by its
	// published_at. Unpublished records are never deleted.
	OutboxRetention time.Duration
	// NotificationsRetention is how long a notification is kept, by its received_at.
	NotificationsRetention time.Duration
	// AttemptsRetention is how long the attempt log keeps an attempt, by its at.
	AttemptsRetention time.Duration
	// Interval is the wait after one pass before the next (default 1m). A pass that
	// still has rows to delete after running for Interval ends there, and the next
	// one starts at once, so that the gauges and the log follow a long backlog.
	Interval time.Duration
	// BatchSize is the most rows one statement deletes (default 2000).
	BatchSize int
	// BatchPause is the pause after each round of batches, one batch per table that
	// had a full batch (default 50ms).
	BatchPause time.Duration
	// Logger receives one line per pass that deleted rows, and a pruning outage's
	// start and end.
	Logger *zap.Logger
	// Registerer receives ticketblitz_retention_pruned_rows_total,
	// ticketblitz_retention_oldest_row_age_seconds and ticketblitz_retention_errors_total;
	// nil registers nothing.
	Registerer prometheus.Registerer
}

func (c PrunerConfig) withDefaults() PrunerConfig {
	if c.Interval <= 0 {
		c.Interval = DefaultPruneInterval
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultPruneBatchSize
	}
	if c.BatchPause <= 0 {
		c.BatchPause = DefaultPruneBatchPause
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Pruner deletes history past its retention: idempotency keys, published outbox records,
// notifications and the attempt log. Holds, orders and tickets are the record of the sale and stay.
//
// Every node runs one. Each pass deletes in batches of at most BatchSize rows, each batch
// one short statement of its own (its own transaction, holding locks only on the rows it
// deletes, for milliseconds), pausing between rounds of batches, so that pruning a large
// backlog never holds a sale's writes. The statements skip rows another node's pruner
// holds (FOR UPDATE SKIP LOCKED), so several nodes pruning at once share the work
// instead of waiting on each other or deleting a row twice, and a node that dies in a
// pass leaves nothing behind but rows for the next one. Time is the database's.
//
// Run is its one goroutine; a Pruner must not be run twice at once.
type Pruner struct {
	cfg     PrunerConfig
	tables  []retainedTable
	metrics *pruneMetrics
	// failing is whether the last pass failed, to log an outage once at its start and
	// once at its end. Only Run's goroutine touches it.
	failing bool
}

// NewPruner returns a Pruner for cfg.
func NewPruner(cfg PrunerConfig) (*Pruner, error) {
	if cfg.Pool == nil {
		return nil, errors.New("pruner: postgres pool is required")
	}
	cfg = cfg.withDefaults()
	tables := retainedTables(cfg)
	for _, t := range tables {
		if t.retention < 0 {
			return nil, fmt.Errorf("pruner: %s retention %v is negative", t.name, t.retention)
		}
	}
	metrics, err := newPruneMetrics(cfg.Registerer, tables)
	if err != nil {
		return nil, err
	}
	return &Pruner{cfg: cfg, tables: tables, metrics: metrics}, nil
}

// Run prunes at once, then every Interval, until ctx ends; then it returns nil. A failed
// pass is logged (once per outage) and counted, and the next pass tries again.
func (p *Pruner) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		res := p.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if res.cut {
			t.Reset(0)
		} else {
			t.Reset(p.cfg.Interval)
		}
	}
}

// passResult is what one pass did.
type passResult struct {
	rows       map[string]int64 // deleted, by table
	statements map[string]int   // delete statements run, by table
	largest    int64            // most rows one statement deleted
	slowest    time.Duration    // longest delete statement
	took       time.Duration
	cut        bool // ended after Interval with rows left to delete
	err        error
}

// pass deletes, in rounds of one batch per table, every row past its table's retention
// (or stops after Interval), then reads the oldest row of each table into the gauges,
// logs what it deleted and reports a failure.
func (p *Pruner) pass(ctx context.Context) passResult {
	began := time.Now()
	res := passResult{rows: make(map[string]int64), statements: make(map[string]int)}
	var errs []error
	var left []retainedTable
	for _, t := range p.tables {
		if t.retention > 0 {
			left = append(left, t)
		}
	}
	for len(left) > 0 && ctx.Err() == nil {
		var full []retainedTable
		for _, t := range left {
			n, took, err := p.deleteBatch(ctx, t)
			res.statements[t.name]++
			res.slowest = max(res.slowest, took)
			if err != nil {
				if ctx.Err() == nil {
					p.metrics.errors.WithLabelValues(t.name).Inc()
					errs = append(errs, err)
				}
				continue // the table waits for the next pass
			}
			res.rows[t.name] += n
			res.largest = max(res.largest, n)
			p.metrics.pruned.WithLabelValues(t.name).Add(float64(n))
			if n >= int64(p.cfg.BatchSize) {
				full = append(full, t)
			}
		}
		left = full
		if len(left) == 0 {
			break
		}
		if time.Since(began) >= p.cfg.Interval {
			res.cut = true
			break
		}
		pause := time.NewTimer(p.cfg.BatchPause)
		select {
		case <-ctx.Done():
		case <-pause.C:
		}
		pause.Stop()
	}
	if ctx.Err() != nil {
		res.took = time.Since(began)
		return res
	}
	for _, t := range p.tables {
		if err := p.readOldest(ctx, t); err != nil && ctx.Err() == nil {
			p.metrics.errors.WithLabelValues(t.name).Inc()
			errs = append(errs, err)
		}
	}
	res.took = time.Since(began)
	res.err = errors.Join(errs...)
	p.report(res)
	return res
}

// deleteBatch deletes up to BatchSize rows of t past its retention with one statement.
func (p *Pruner) deleteBatch(ctx context.Context, t retainedTable) (int64, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, pruneStatementTimeout)
	defer cancel()
	began := time.Now()
	tag, err := p.cfg.Pool.Exec(ctx, t.deleteSQL, t.retention.Microseconds(), p.cfg.BatchSize)
	took := time.Since(began)
	if err != nil {
		return 0, took, fmt.Errorf("prune %s: %w", t.name, err)
	}
	return tag.RowsAffected(), took, nil
}

// readOldest sets t's oldest-row gauge.
func (p *Pruner) readOldest(ctx context.Context, t retainedTable) error {
	ctx, cancel := context.WithTimeout(ctx, pruneStatementTimeout)
	defer cancel()
	var seconds *float64
	if err := p.cfg.Pool.QueryRow(ctx, t.oldestSQL).Scan(&seconds); err != nil {
		return fmt.Errorf("read the oldest row of %s: %w", t.name, err)
	}
	age := 0.0
	if seconds != nil {
		age = max(*seconds, 0)
	}
	p.metrics.oldest.WithLabelValues(t.name).Set(age)
	return nil
}

// report logs a pass that deleted rows, and a pruning outage when it starts and ends.
func (p *Pruner) report(res passResult) {
	log := p.cfg.Logger
	var total int64
	fields := make([]zap.Field, 0, len(p.tables)+3)
	for _, t := range p.tables {
		if t.retention > 0 {
			total += res.rows[t.name]
			fields = append(fields, zap.Int64(t.name, res.rows[t.name]))
		}
	}
	if total > 0 {
		statements := 0
		for _, n := range res.statements {
			statements += n
		}
		fields = append(fields, zap.Int("statements", statements), zap.Duration("took", res.took))
		if res.cut {
			fields = append(fields, zap.Bool("more_left", true))
		}
		log.Info("pruned rows past retention", fields...)
	}
	switch {
	case res.err != nil && !p.failing:
		p.failing = true
		log.Warn("pruning history failed; retrying at the next pass", zap.Error(res.err))
	case res.err == nil && p.failing:
		p.failing = false
		log.Info("pruning history works again")
	}
}

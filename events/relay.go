package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The relay's defaults.
const (
	DefaultPollInterval = 50 * time.Millisecond
	DefaultBatchSize    = 500
	DefaultLeaseRetry   = time.Second
	DefaultLeaseRenew   = 2 * time.Second
	DefaultLeaseTTL     = 10 * time.Second
	DefaultMaxBackoff   = 2 * time.Second
	lagInterval         = time.Second
	markTimeout         = 5 * time.Second
)

// RelayConfig configures a Relay. Outbox and Producer are required; every other field
// has a working zero value.
type RelayConfig struct {
	// Outbox is drained in id order.
	Outbox Outbox
	// Producer publishes; build it with NewProducer.
	Producer sarama.SyncProducer
	// Logger is used under the name the caller gave it; nil means no logging.
	Logger *zap.Logger
	// Tracer receives a "kafka" trace per published record; nil means none.
	Tracer actors.Tracer
	// Node names this node in traces.
	Node string
	// Clock stamps traces and times the lease; nil means the system clock.
	Clock actors.Clock
	// Registerer receives the relay's metrics; nil means they are kept unregistered.
	Registerer prometheus.Registerer
	// PollInterval is how long an idle relay waits before looking at the outbox again,
	// unless Wake is called first. DefaultPollInterval when zero.
	PollInterval time.Duration
	// BatchSize is how many records one pass reads. DefaultBatchSize when zero.
	BatchSize int
	// LeaseRetry is how often a relay that does not hold the relay lease tries to take
	// it. DefaultLeaseRetry when zero.
	LeaseRetry time.Duration
	// LeaseTTL is how long the relay lease lasts, by the store's clock, after each
	// acquisition or renewal. A relay that cannot renew stops handing records to the
	// producer once less than half of it is left, so that what it sent lands before
	// another relay can take over. DefaultLeaseTTL when zero.
	LeaseTTL time.Duration
	// LeaseRenew is how often the holder renews the lease; it should be well under
	// half of LeaseTTL. DefaultLeaseRenew when zero (LeaseTTL / 5 when that is less).
	LeaseRenew time.Duration
	// MaxBackoff caps the exponential backoff after failures. DefaultMaxBackoff when zero.
	MaxBackoff time.Duration
	// Tail, when set, makes the relay check the end of the stream each time it takes
	// the lease over from another node: pending records found there were published by a
	// relay that died before marking them, and are marked instead of sent again.
	Tail TailReader
}

// TailReader reads the envelope ids at the end of topics; Tail implements it.
type TailReader interface {
	RecentIDs(ctx context.Context, topics []string, perPartition int) (map[string]bool, error)
}

// Relay publishes the transactional outbox to Kafka. One relay per cluster publishes at
// a time (the outbox's lease decides which); the others wait for the lease.
//
// Guarantees: a record is marked published only after the broker acknowledged it; a
// record that failed stays pending and is retried, so nothing is dropped or skipped;
// and a record is never sent while an earlier record with the same key is unacknowledged,
// so no outage can publish a section's events out of order. A relay that dies between
// the acknowledgement and the marking leaves records published but pending; with Tail
// set, the next relay finds them at the end of the stream (they are among the last
// 2 × BatchSize records of their partition) and marks them instead of publishing them
// again. Without Tail, or when an acknowledgement is lost after the broker stored the
// record, a record may appear twice; its envelope id stays the same, so consumers can
// deduplicate.
type Relay struct {
	cfg     RelayConfig
	log     *zap.Logger
	metrics *relayMetrics
	wake    chan struct{}
}

// withDefaults returns a copy of c with every unset optional field filled in.
func (c RelayConfig) withDefaults() RelayConfig {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Tracer == nil {
		c.Tracer = actors.NopTracer{}
	}
	if c.Clock == nil {
		c.Clock = actors.SystemClock{}
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.LeaseRetry <= 0 {
		c.LeaseRetry = DefaultLeaseRetry
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.LeaseRenew <= 0 {
		c.LeaseRenew = min(DefaultLeaseRenew, c.LeaseTTL/5)
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	return c
}

// NewRelay returns a relay; call Run to start it.
func NewRelay(cfg RelayConfig) *Relay {
	cfg = cfg.withDefaults()
	metrics, err := newRelayMetrics(cfg.Registerer)
	if err != nil {
		cfg.Logger.Warn("relay metrics not registered", zap.Error(err))
		metrics, _ = newRelayMetrics(nil)
	}
	return &Relay{cfg: cfg, log: cfg.Logger, metrics: metrics, wake: make(chan struct{}, 1)}
}

// Wake tells the relay that new records were committed, so an idle relay looks at the
// outbox now instead of at the end of its poll interval. It never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx is done, then releases the lease and returns nil. Failures of the
// outbox or the broker are logged once per outage and retried with a capped exponential
// backoff; they never end Run.
func (r *Relay) Run(ctx context.Context) error {
	if r.cfg.Outbox == nil || r.cfg.Producer == nil {
		return errors.New("relay: outbox and producer are required")
	}
	s := &relayState{outage: outage{log: r.log}, owner: r.cfg.Node + "/" + actors.NewID("relay")}
	defer r.release(s)
	for ctx.Err() == nil {
		r.refreshLag(ctx, s)
		if s.token == 0 {
			if !r.acquire(ctx, s) {
				continue
			}
		} else if r.cfg.Clock.Now().Sub(s.renewedAt) >= r.cfg.LeaseRenew {
			r.renew(ctx, s)
			continue
		}
		n, err := r.pass(ctx, s)
		if err != nil {
			s.failures++
			s.outage.failed(err)
			sleep(ctx, backoffDelay(backoffInitial, r.cfg.MaxBackoff, s.failures-1), nil)
			continue
		}
		s.failures = 0
		s.outage.recovered()
		if n >= r.cfg.BatchSize {
			continue
		}
		sleep(ctx, min(r.cfg.PollInterval, r.cfg.LeaseRenew), r.wake)
	}
	return nil
}

// relayState is what Run carries from one pass to the next.
type relayState struct {
	owner     string    // this relay's name in the lease
	token     int64     // the lease's fencing token while this relay holds it; 0 otherwise
	renewedAt time.Time // when the last acquisition or renewal that succeeded was sent
	waiting   bool      // another node holds the lease, and we said so
	failures  int       // consecutive failed passes, for the backoff
	outage    outage
	unmarked  []int64 // acknowledged by the broker, not yet marked published
	// resume: the lease was just taken from another holder (or for the first time);
	// the next pass first looks for its predecessor's unmarked records.
	resume bool
	held   bool // this relay has held the lease before
	lagAt  time.Time
}

// live reports whether the relay may hand records to the producer: it holds the lease
// and more than half of its time is left since the last renewal that succeeded.
func (r *Relay) live(s *relayState) bool {
	return s.token != 0 && r.cfg.Clock.Now().Sub(s.renewedAt) < r.cfg.LeaseTTL/2
}

// lose forgets the lease: another relay took it, or it ran out unrenewed. Records
// acknowledged but not marked are left to the next holder.
func (r *Relay) lose(s *relayState, why string) {
	if s.token == 0 {
		return
	}
	r.log.Warn("relay lease lost; publishing stopped", zap.String("why", why), zap.Int64("token", s.token),
		zap.Int("acknowledged_unmarked", len(s.unmarked)))
	s.token, s.unmarked = 0, s.unmarked[:0]
}

// release gives the lease up, on the way out.
func (r *Relay) release(s *relayState) {
	if s.token == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), markTimeout)
	defer cancel()
	if err := r.cfg.Outbox.ReleaseRelayLease(ctx, s.token); err != nil {
		r.log.Warn("release the relay lease", zap.Error(err))
	}
	r.log.Debug("relay lease released", zap.Int64("token", s.token))
	s.token = 0
}

// acquire tries to take the relay lease once and reports whether this relay holds it.
// When it does not, it has already waited before returning.
func (r *Relay) acquire(ctx context.Context, s *relayState) bool {
	sent := r.cfg.Clock.Now()
	token, ok, err := r.cfg.Outbox.AcquireRelayLease(ctx, s.owner, r.cfg.LeaseTTL)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		s.failures++
		s.outage.failed(failedAt("take relay lease", err))
		sleep(ctx, backoffDelay(backoffInitial, r.cfg.MaxBackoff, s.failures-1), nil)
		return false
	}
	if !ok {
		if !s.waiting {
			r.log.Info("another node relays the outbox; waiting for the relay lease")
			s.waiting = true
		}
		s.failures = 0
		s.outage.recovered()
		sleep(ctx, r.cfg.LeaseRetry, nil)
		return false
	}
	if s.waiting {
		r.log.Info("took over the relay lease", zap.Int64("token", token))
	}
	if s.waiting || !s.held {
		s.resume = true
	}
	s.token, s.renewedAt, s.waiting, s.held = token, sent, false, true
	return true
}

// renew extends the lease. A renewal that finds the token superseded ends this relay's
// turn at once; one that fails leaves the lease to run out, and the relay stops
// publishing when less than half of it is left.
func (r *Relay) renew(ctx context.Context, s *relayState) {
	sent := r.cfg.Clock.Now()
	ok, err := r.cfg.Outbox.RenewRelayLease(ctx, s.token, r.cfg.LeaseTTL)
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return
		}
		s.outage.failed(failedAt("renew relay lease", err))
		if sent.Sub(s.renewedAt) >= r.cfg.LeaseTTL/2 {
			r.lose(s, "renewals failed for half the lease")
		}
		sleep(ctx, min(r.cfg.LeaseRenew, backoffDelay(backoffInitial, r.cfg.MaxBackoff, 0)), nil)
	case !ok:
		r.lose(s, "another relay took the lease over")
	default:
		s.renewedAt = sent
	}
}

// pass marks what the previous pass could not, reads one batch and publishes it while
// the lease is live. It returns how many records it read.
func (r *Relay) pass(ctx context.Context, s *relayState) (int, error) {
	if err := r.mark(ctx, s); err != nil {
		return 0, err
	}
	if s.resume && r.cfg.Tail != nil {
		if err := r.skipPublished(ctx, s); err != nil {
			return 0, err
		}
	}
	s.resume = false
	var batch []OutboxRecord
	err := r.cfg.Outbox.Pending(ctx, r.cfg.BatchSize, func(id int64, topic, key string, payload []byte, createdAt time.Time) {
		batch = append(batch, OutboxRecord{ID: id, Topic: topic, Key: key, Payload: payload, CreatedAt: createdAt})
	})
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil
		}
		return 0, failedAt("read pending outbox records", err)
	}
	if len(batch) == 0 || s.token == 0 {
		return 0, nil
	}
	acked, pubErr := r.publish(batch, func() bool { return r.live(s) })
	s.unmarked = append(s.unmarked, acked...)
	if err := r.mark(ctx, s); err != nil {
		return len(batch), err
	}
	if pubErr != nil {
		return len(batch), pubErr
	}
	return len(batch), nil
}

// mark marks the acknowledged records published. It outlives ctx by a little, so that
// records published just before shutdown are not published again by the next relay.
func (r *Relay) mark(ctx context.Context, s *relayState) error {
	if len(s.unmarked) == 0 || s.token == 0 {
		return nil
	}
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	current, err := r.cfg.Outbox.MarkPublished(mctx, s.token, s.unmarked)
	if err != nil {
		return failedAt("mark published", fmt.Errorf("%d records: %w", len(s.unmarked), err))
	}
	if !current {
		r.lose(s, "another relay took the lease over")
		return nil
	}
	s.unmarked = s.unmarked[:0]
	return nil
}

// refreshLag updates the lag gauges at most once per lagInterval.
func (r *Relay) refreshLag(ctx context.Context, s *relayState) {
	now := r.cfg.Clock.Now()
	if now.Sub(s.lagAt) < lagInterval {
		return
	}
	s.lagAt = now
	count, oldest, err := r.cfg.Outbox.Lag(ctx)
	if err != nil {
		r.log.Debug("read outbox lag", zap.Error(err))
		return
	}
	r.metrics.lagRecords.Set(float64(count))
	r.metrics.lagOldest.Set(oldest.Seconds())
}

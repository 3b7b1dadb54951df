package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
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
	DefaultLeaseRetry   = 250 * time.Millisecond
	DefaultLeaseRenew   = 2 * time.Second
	DefaultLeaseTTL     = 10 * time.Second
	DefaultMaxBackoff   = 2 * time.Second
	DefaultMaxInFlight  = 4096
	DefaultMaxPerKey    = 1024
	lagInterval         = time.Second
	holeWait            = 500 * time.Millisecond
	holeRecheck         = 2 * time.Millisecond
	sweepInterval       = 2 * time.Second
	markTimeout         = 5 * time.Second
)

// RelayConfig configures a Relay. Outbox and Producer are required; every other field
// has a working zero value.
type RelayConfig struct {
	// Outbox is drained in id order.
	Outbox Outbox
	// Producer publishes; build it with NewRelayProducer (idempotent, asynchronous,
	// successes and errors returned). The relay reads its Successes and Errors until
	// Run returns; the caller closes it afterwards.
	Producer sarama.AsyncProducer
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
	// BatchSize is how many new records one read of the outbox takes at most.
	// DefaultBatchSize when zero.
	BatchSize int
	// MaxInFlight caps the records handed to the producer and not yet acknowledged,
	// over every key. DefaultMaxInFlight when zero.
	MaxInFlight int
	// MaxPerKey caps a key's records in flight, and the records of a key that the
	// relay keeps read but unmarked: a key at the cap is left out of the next reads,
	// so that a key that cannot publish never fills them. DefaultMaxPerKey when zero.
	MaxPerKey int
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
	// Members, when set, names this relay's process in the lease and lets the relay
	// take the lease at once from a holder whose process the cluster no longer counts
	// alive (kill -9, a restart), instead of waiting out LeaseTTL, provided Outbox
	// implements RelayLeaseTakeover. The relay takes no lease before Members knows its
	// member id. Nil means a lease is taken over only once its time ran out.
	Members Members
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
// a time: the holder of the relay lease, a row in the store whose epoch, the fencing
// token, rises with every acquisition. The others wait for the lease.
//
// Pipelining: records go to an idempotent asynchronous producer without waiting for
// each other, up to MaxPerKey in flight per key and MaxInFlight in all; keys are
// independent, so a key whose records fail (or whose partition is stuck) waits and
// retries on its own while the others go on. Records are marked published in batches,
// per key in id order, each only after it and every earlier record of its key were
// acknowledged.
//
// Order: a key's records are handed to the producer in id order, and the producer
// keeps one partition's requests in order. When one fails, the key sends nothing more
// until every record of it in flight is back, then sends again from the oldest one
// not acknowledged; a later record acknowledged meanwhile (it overtook the failure) is
// sent again after it. So, reading a key's records and keeping each only if it is the
// next in the key's sequence, a consumer sees every record once and in order; copies
// and overtaking records come only from failures and takeovers (see docs).
//
// Fencing: marks carry the token and the store refuses them once another relay took
// the lease. A relay whose renewals fail stops handing records over when less than
// half of the lease is left, so that what it sent lands before the lease can move.
// With Tail set, a relay taking the lease over marks, instead of sending again, the
// pending records it finds at the end of the stream (a predecessor published them and
// could not mark them), per stream up to its first pending record that is not found;
// they are among the last 2 × BatchSize records of their partition.
type Relay struct {
	cfg     RelayConfig
	log     *zap.Logger
	metrics *relayMetrics
	wake    chan struct{}
	owner   string
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
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxPerKey <= 0 {
		c.MaxPerKey = DefaultMaxPerKey
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
	return &Relay{cfg: cfg, log: cfg.Logger, metrics: metrics, wake: make(chan struct{}, 1), owner: actors.NewID("relay")}
}

// Wake tells the relay that new records were committed, so an idle relay looks at the
// outbox now instead of at the end of its poll interval. It never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx is done, then waits (a few seconds at most) for the records in
// flight, marks what was acknowledged, releases the lease and returns nil. Failures of
// the outbox or the broker are logged once per outage and retried with a capped
// exponential backoff; they never end Run.
func (r *Relay) Run(ctx context.Context) error {
	if r.cfg.Outbox == nil || r.cfg.Producer == nil {
		return errors.New("relay: outbox and producer are required")
	}
	lease := newLeaseKeeper(r.cfg, r.owner)
	mark := newMarker(r.cfg.Outbox, lease, r.log)
	leaseCtx, stopLease := context.WithCancel(context.WithoutCancel(ctx))
	markCtx, stopMark := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); lease.run(leaseCtx) }()
	go func() { defer wg.Done(); mark.run(markCtx) }()
	defer func() {
		stopMark()
		stopLease()
		wg.Wait()
		lease.release()
	}()
	l := &relayLoop{Relay: r, lease: lease, mark: mark, keys: newKeys(r.cfg.MaxBackoff), behind: map[string]int64{}, outage: outage{log: r.log}, readNow: true}
	l.run(ctx)
	l.drain()
	stopMark() // the marker finishes its queue, then returns
	return nil
}

// relayLoop is Run's state; one goroutine owns it.
type relayLoop struct {
	*Relay
	lease    *leaseKeeper
	mark     *marker
	keys     *keys
	token    int64 // the token the keys' state belongs to
	gen      int64 // bumped with every token change; outcomes of older sends are ignored
	outage   outage
	failures int  // consecutive failed reads, for the backoff
	readNow  bool // read the outbox at the next chance
	readAt   time.Time
	lagAt    time.Time
	next     *sarama.ProducerMessage // the message the loop offers the producer, if any
	floor    readFloor               // every record up to floor.at is read (see read)
	// behind holds the keys that reads left out (see read), each with the id up to
	// which its records are all read: reads from above it must not take its records.
	behind  map[string]int64
	sweptAt time.Time
}

func (l *relayLoop) run(ctx context.Context) {
	poll := time.NewTimer(0)
	defer poll.Stop()
	for ctx.Err() == nil {
		token, live := l.lease.state()
		if token != l.token {
			l.switchToken(ctx, token)
			continue
		}
		l.refreshLag(ctx)
		now := l.cfg.Clock.Now()
		if live && l.readNow && !now.Before(l.readAt) && l.keys.queued < l.cfg.BatchSize {
			l.read(ctx)
			continue
		}
		var in chan<- *sarama.ProducerMessage
		if live && l.keys.sent < l.cfg.MaxInFlight && l.prepare(now) {
			in = l.cfg.Producer.Input()
		}
		if !poll.Stop() {
			select {
			case <-poll.C:
			default:
			}
		}
		poll.Reset(l.pollDelay(now, live))
		select {
		case <-ctx.Done():
		case in <- l.next:
			l.keys.take(flightOf(l.next))
			l.next = nil
		case msg := <-l.cfg.Producer.Successes():
			l.succeeded(msg)
		case pe := <-l.cfg.Producer.Errors():
			l.failed(pe)
		case <-l.wake:
			l.readNow = true
		case <-l.lease.changed:
		case <-poll.C:
			l.readNow = true
		}
	}
}

// prepare makes sure l.next holds the next message to offer the producer, and reports
// whether there is one.
func (l *relayLoop) prepare(now time.Time) bool {
	if l.next != nil {
		return true
	}
	k := l.keys.next(now, l.cfg.MaxPerKey)
	if k == nil {
		return false
	}
	l.next = producerMessage(k.queue[0], &flight{rec: k.queue[0], key: k, gen: l.gen, token: l.token})
	return true
}

// pollDelay is how long the loop may wait for something to happen: until the next poll
// of the outbox, sooner when a key's backoff ends or the lease needs a look.
func (l *relayLoop) pollDelay(now time.Time, live bool) time.Duration {
	d := l.cfg.PollInterval
	if !live {
		d = min(d, l.cfg.LeaseRenew)
	}
	if l.readNow && now.Before(l.readAt) {
		d = min(d, l.readAt.Sub(now))
	}
	for _, k := range l.keys.ready {
		if len(k.queue) > 0 && !k.failed && now.Before(k.retryAt) {
			d = min(d, k.retryAt.Sub(now))
		}
	}
	return max(d, time.Millisecond)
}

// switchToken drops everything the loop knew under the previous token: another relay
// may have published and marked meanwhile, so it reads the outbox afresh. Outcomes of
// the records still in flight are ignored; acknowledged ones that are not marked are
// published again by the next holder, or found at the end of the stream.
func (l *relayLoop) switchToken(ctx context.Context, token int64) {
	if l.keys.sent > 0 || l.keys.queued > 0 {
		l.log.Info("relay state dropped with the lease", zap.Int("in_flight", l.keys.sent), zap.Int("read_unsent", l.keys.queued))
	}
	l.token, l.gen, l.keys, l.next, l.readNow = token, l.gen+1, newKeys(l.cfg.MaxBackoff), nil, true
	l.floor, l.behind, l.sweptAt = readFloor{}, map[string]int64{}, time.Time{}
	if token == 0 || l.cfg.Tail == nil {
		return
	}
	began := time.Now()
	if err := l.skipPublished(ctx, token); err != nil && ctx.Err() == nil {
		l.outage.failed(err)
	}
	l.log.Debug("checked the end of the stream after taking the lease", zap.Duration("took", time.Since(began)))
}

// read takes the next records from the outbox, leaving out the keys that have
// MaxPerKey records read and unmarked already.
//
// It reads above a floor (see readFloor), so that records in flight are not read again
// and again. The section lock makes a section's ids visible in the order they rise, so
// a read from the floor returns, for every stream it does not leave out, all of its
// unread records up to the last id it returns, in order. A key left out is marked
// behind at the floor of that moment; until a read from there or below takes its
// records again, reads from higher up must not take them, or a later record of its
// stream would go before an earlier one the floor passed meanwhile. Each read takes
// the holes the floor passed in the last holeKeep as well (see readFloor): a record of
// a transaction slower than holeWait is read there, before any later record of its
// stream, which could only be written after it committed. A sweep from the start every
// sweepInterval reads what the floor passed anyway: records of a transaction that
// committed more than holeKeep after the floor passed its id.
func (l *relayLoop) read(ctx context.Context) {
	l.readNow = false
	l.mark.forgetMarked()
	now := l.cfg.Clock.Now()
	skip := l.keys.full(l.cfg.MaxPerKey)
	for _, key := range skip {
		if _, ok := l.behind[key]; !ok {
			l.behind[key] = l.floor.at
		}
	}
	after := l.floor.at
	sweep := now.Sub(l.sweptAt) >= sweepInterval
	if sweep {
		after = 0
	}
	for key, from := range l.behind {
		if !slices.Contains(skip, key) {
			after = min(after, from) // read it again from where it was left out
		}
	}
	limit := 2 * l.cfg.BatchSize
	if sweep {
		limit = l.cfg.BatchSize + l.keys.queued + l.keys.sent
	}
	var ids, late []int64
	fresh := 0
	holes := l.floor.holes(now, holeKeep, after)
	err := l.cfg.Outbox.Pending(ctx, after, holes, limit, skip, func(id int64, topic, key string, payload []byte, createdAt time.Time) {
		ids = append(ids, id)
		if from, ok := l.behind[key]; ok && after > from {
			return // the reads missed some of its records: they come first
		}
		rec := OutboxRecord{ID: id, Topic: topic, Key: key, Payload: payload, CreatedAt: createdAt}
		switch {
		case l.keys.add(rec):
			fresh++
		case l.keys.addLate(rec, l.mark.has):
			fresh++
			late = append(late, id)
		}
	})
	l.noteLate(late)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		l.failures++
		l.outage.failed(failedAt("read pending outbox records", err))
		l.readNow = true
		l.readAt = l.cfg.Clock.Now().Add(backoffDelay(backoffInitial, l.cfg.MaxBackoff, l.failures-1))
		return
	}
	l.failures = 0
	l.outage.recovered()
	if sweep {
		l.sweptAt = now
	}
	for key, from := range l.behind {
		switch {
		case slices.Contains(skip, key) || after > from:
		case len(ids) < limit:
			delete(l.behind, key) // every record of it is read
		default:
			l.behind[key] = max(from, ids[len(ids)-1])
		}
	}
	l.floor.note(ids)
	holeOpen := l.floor.advance(now, holeWait)
	if len(ids) == limit || fresh >= l.cfg.BatchSize/2 || holeOpen {
		l.readNow = true // more may be waiting, or the hole may fill
		if holeOpen {
			l.readAt = now.Add(min(max(holeRecheck, l.floor.holeAge(now)/8), l.cfg.PollInterval))
		}
	}
}

// succeeded handles an acknowledgement.
func (l *relayLoop) succeeded(msg *sarama.ProducerMessage) {
	f := flightOf(msg)
	if f == nil || f.gen != l.gen {
		return
	}
	f.offset = msg.Offset
	done := l.keys.acked(f, l.cfg.Clock.Now())
	l.noteOvertaken()
	if len(done) == 0 {
		return
	}
	ids := make([]int64, len(done))
	for i, d := range done {
		ids[i] = d.rec.ID
		l.published(d.rec, d.offset)
	}
	l.mark.add(f.token, ids)
}

// failed handles a record the producer gave up on.
func (l *relayLoop) failed(pe *sarama.ProducerError) {
	f := flightOf(pe.Msg)
	if f == nil || f.gen != l.gen {
		return
	}
	if l.next != nil && flightOf(l.next).key == f.key {
		l.next = nil // the key stops sending until its round is settled
	}
	l.metrics.publishErrors.Inc()
	l.outage.failed(failedAt("publish to kafka", fmt.Errorf("%s/%s: %w", f.rec.Topic, f.rec.Key, pe.Err)))
	l.keys.failed(f, pe.Err, l.cfg.Clock.Now())
	l.noteOvertaken()
}

func (l *relayLoop) noteOvertaken() {
	if l.keys.overtaken > 0 {
		l.metrics.resent.Add(float64(l.keys.overtaken))
		l.log.Warn("acknowledged records overtook a failed earlier record of their key; sent again after it",
			zap.Int("records", l.keys.overtaken))
		l.keys.overtaken = 0
	}
}

// drain waits, for markTimeout at most, for the outcomes of the records in flight, so
// that what was acknowledged gets marked before the lease is released.
func (l *relayLoop) drain() {
	if l.keys.sent == 0 {
		return
	}
	deadline := time.NewTimer(markTimeout)
	defer deadline.Stop()
	for l.keys.sent > 0 {
		select {
		case msg := <-l.cfg.Producer.Successes():
			l.succeeded(msg)
		case pe := <-l.cfg.Producer.Errors():
			l.failed(pe)
		case <-deadline.C:
			l.log.Warn("records still in flight at shutdown; the next relay publishes them again", zap.Int("records", l.keys.sent))
			return
		}
	}
}

// refreshLag updates the lag gauges at most once per lagInterval.
func (l *relayLoop) refreshLag(ctx context.Context) {
	now := l.cfg.Clock.Now()
	if now.Sub(l.lagAt) < lagInterval {
		return
	}
	l.lagAt = now
	count, oldest, err := l.cfg.Outbox.Lag(ctx)
	if err != nil {
		l.log.Debug("read outbox lag", zap.Error(err))
		return
	}
	l.metrics.lagRecords.Set(float64(count))
	l.metrics.lagOldest.Set(oldest.Seconds())
	l.metrics.inFlight.Set(float64(l.keys.sent))
	// The visualizer's invariant panel shows the lag as the relay reads it.
	l.cfg.Tracer.Trace(actors.Trace{
		Type: TraceOutboxLag, At: now.UTC(), Node: l.cfg.Node,
		Depth: count, Millis: float64(oldest) / float64(time.Millisecond),
	})
}

// TraceOutboxLag is the type of the trace each relay sends with every lag reading
// (every lagInterval at most): Depth the unpublished records, Millis the age of the
// oldest one.
const TraceOutboxLag = "outbox"

package events

import (
	"context"
	"fmt"
	"sync"

	"go.uber.org/zap"
)

// marker marks acknowledged records published, in the order the relay hands them over,
// in a goroutine of its own: while one mark runs, the next batch accumulates. Each
// mark carries the lease token the records were sent under, so a relay that lost the
// lease marks nothing.
type marker struct {
	outbox Outbox
	lease  *leaseKeeper
	log    *zap.Logger
	mu     sync.Mutex
	queue  []markItem
	kick   chan struct{}
	busy   bool
	outage outage
	// pending holds the ids queued, being marked, or marked since the relay's last
	// read began, so that a read that returns one of them (a read that began before
	// the mark committed sees it unpublished) can tell it from a record never read.
	pending map[int64]struct{}
	done    []int64 // marked (or dropped) ids to leave pending at the next read
}

type markItem struct {
	token int64
	id    int64
}

func newMarker(outbox Outbox, lease *leaseKeeper, log *zap.Logger) *marker {
	return &marker{outbox: outbox, lease: lease, log: log, kick: make(chan struct{}, 1), outage: outage{log: log}, pending: map[int64]struct{}{}}
}

// add queues ids acknowledged under token.
func (m *marker) add(token int64, ids []int64) {
	if len(ids) == 0 {
		return
	}
	m.mu.Lock()
	for _, id := range ids {
		m.queue = append(m.queue, markItem{token, id})
		m.pending[id] = struct{}{}
	}
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// run marks until ctx ends and the queue is empty. A failed mark is retried (the
// relay's outage logging hears of it); a superseded token drops its records, which the
// next holder publishes or finds at the end of the stream.
func (m *marker) run(ctx context.Context) {
	failures := 0
	for {
		m.mu.Lock()
		batch := m.queue
		m.queue = nil
		m.busy = len(batch) > 0
		m.mu.Unlock()
		if len(batch) == 0 {
			if ctx.Err() != nil {
				return
			}
			select {
			case <-m.kick:
			case <-ctx.Done():
			}
			continue
		}
		rest := m.markRuns(context.WithoutCancel(ctx), batch)
		m.mu.Lock()
		for _, it := range batch[:len(batch)-len(rest)] {
			m.done = append(m.done, it.id)
		}
		m.queue = append(rest, m.queue...)
		m.busy = false
		m.mu.Unlock()
		if len(rest) == 0 {
			failures = 0
			m.outage.recovered()
			continue
		}
		failures++
		if failures > 3 && ctx.Err() != nil {
			return // shutting down and the store is away: the next holder takes over
		}
		sleep(context.Background(), backoffDelay(backoffInitial, DefaultMaxBackoff, failures-1), nil)
	}
}

// markRuns marks batch run by run of equal tokens and returns what is left after a
// failure.
func (m *marker) markRuns(ctx context.Context, batch []markItem) []markItem {
	for len(batch) > 0 {
		n := 1
		for n < len(batch) && batch[n].token == batch[0].token {
			n++
		}
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = batch[i].id
		}
		mctx, cancel := context.WithTimeout(ctx, markTimeout)
		current, err := m.outbox.MarkPublished(mctx, batch[0].token, ids)
		cancel()
		if err != nil {
			m.outage.failed(failedAt("mark published", fmt.Errorf("%d records: %w", n, err)))
			return batch
		}
		if !current {
			m.lease.lose(batch[0].token, "another relay took the lease over")
			m.log.Info("acknowledged records left unmarked: the lease moved on", zap.Int("records", n))
		}
		batch = batch[n:]
	}
	return nil
}

// forgetMarked drops from pending the ids marked so far; the relay calls it as a read
// begins, so that a read never misses a mark that committed after it began.
func (m *marker) forgetMarked() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range m.done {
		delete(m.pending, id)
	}
	m.done = m.done[:0]
}

// has reports whether id is queued, being marked, or marked since the last read began.
func (m *marker) has(id int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.pending[id]
	return ok
}

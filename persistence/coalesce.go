package persistence

import (
	"context"
	"sync"
	"time"
)

// coalescer runs concurrent requests of one kind as batches: one round trip answers
// everyone queued. In a rush every request makes the same small round trip (an
// idempotency-key lookup in PostgreSQL, a rate-limit script in Redis), and the round
// trips cost the node and the database more CPU than the work itself. The first caller
// runs a batch of one; callers arriving while a batch is in flight queue up, and when
// it finishes the first of them runs one batch for the whole queue (up to max), and so
// on. At most one batch is in flight, no goroutine runs in the background, and a lone
// caller pays one round trip as before.
type coalescer[Q, A any] struct {
	// run answers qs in order, or fails them all. Its context is not any one caller's
	// (a batch serves several) but is bounded by timeout.
	run     func(ctx context.Context, qs []Q) ([]A, error)
	max     int
	timeout time.Duration

	mu      sync.Mutex
	busy    bool // a batch is in flight or about to be
	pending []*coalesced[Q, A]
}

// coalesced is one caller's request.
type coalesced[Q, A any] struct {
	q Q
	// lead is closed when this caller is to run the next batch; done when its answer is in.
	lead, done chan struct{}
	a          A
	err        error
}

// do queues q and returns its answer, or ctx's error if ctx ends first.
func (c *coalescer[Q, A]) do(ctx context.Context, q Q) (A, error) {
	var zero A
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	w := &coalesced[Q, A]{q: q, lead: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	c.pending = append(c.pending, w)
	if !c.busy {
		c.busy = true
		close(w.lead)
	}
	c.mu.Unlock()
	select {
	case <-w.lead:
		c.runBatch(ctx)
	case <-w.done:
	case <-ctx.Done():
		c.abandon(w)
		return zero, ctx.Err()
	}
	select {
	case <-w.done:
		return w.a, w.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// abandon takes a caller who gave up out of the queue. If it had just been made the
// leader, the next batch must still run: it runs it on the caller's way out.
func (c *coalescer[Q, A]) abandon(w *coalesced[Q, A]) {
	c.mu.Lock()
	for i, p := range c.pending {
		if p == w {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			break
		}
	}
	c.mu.Unlock()
	select {
	case <-w.lead:
		c.runBatch(context.Background())
	default:
	}
}

// runBatch takes up to max queued callers, answers them with one call of run, then
// makes the first caller still queued the next leader (or marks the coalescer idle).
func (c *coalescer[Q, A]) runBatch(ctx context.Context) {
	c.mu.Lock()
	n := min(len(c.pending), max(c.max, 1))
	batch := append([]*coalesced[Q, A](nil), c.pending[:n]...)
	c.pending = append(c.pending[:0], c.pending[n:]...)
	c.mu.Unlock()

	if len(batch) > 0 {
		qs := make([]Q, len(batch))
		for i, w := range batch {
			qs[i] = w.q
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		as, err := c.run(bctx, qs)
		cancel()
		for i, w := range batch {
			if err == nil && i < len(as) {
				w.a = as[i]
			} else {
				w.err = err
			}
			close(w.done)
		}
	}

	c.mu.Lock()
	if len(c.pending) == 0 {
		c.busy = false
	} else {
		close(c.pending[0].lead)
	}
	c.mu.Unlock()
}

package persistence

import (
	"context"
	"sync"
	"time"
)

// coalescer runs concurrent requests of one kind as batches: one round trip answers
// everyone queued. In a rush every request makes the same small round trip (an
// idempotency-key lookup in PostgreSQL, a rate-limit script in Redis), and the round
// trips cost the node and the database more CPU than the work itself.
//
// It commits as a group does. A request that finds a batch slot free starts a flusher
// at once, so a lone caller pays one round trip as before; requests arriving while
// every slot is in flight queue up, and the first flusher to finish takes the whole
// queue (up to max) as its next batch, without waiting for anyone to be scheduled.
// Up to inflight batches are in flight at once (pipelined on their own connections), so
// a queued request waits about one round trip, not one round trip for each batch ahead
// of it. A flusher is a goroutine that lives while there is work queued and ends when
// the queue is empty: nothing runs in the background of an idle coalescer.
type coalescer[Q, A any] struct {
	// run answers qs in order, or fails them all. Its context is not any one caller's
	// (a batch serves several) but carries the first caller's values, without its
	// cancellation, and is bounded by timeout.
	run     func(ctx context.Context, qs []Q) ([]A, error)
	max     int
	timeout time.Duration
	// inflight bounds the batches in flight at once; below 1 it is 1.
	inflight int

	mu      sync.Mutex
	running int // flushers alive: batches in flight, or about to be
	pending []*coalesced[Q, A]

	// waiters keeps the requests whose answers their callers have read, each with its
	// channel, for the next callers: a request would otherwise cost two allocations
	// (the request and its channel) on every hold's lookups.
	waiters sync.Pool
}

// coalesced is one caller's request.
type coalesced[Q, A any] struct {
	ctx context.Context
	q   Q
	// done receives one value when the answer is in. It has room for that value, so
	// the batch never waits for the caller, and is never closed, so that it serves the
	// request's next caller once this one has read its answer.
	done chan struct{}
	a    A
	err  error
}

// do queues q and returns its answer, or ctx's error if ctx ends first. A request whose
// caller gave up before its batch was taken is never sent; one already sent is
// answered to nobody.
func (c *coalescer[Q, A]) do(ctx context.Context, q Q) (A, error) {
	var zero A
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	w := c.waiter(ctx, q)
	c.mu.Lock()
	c.pending = append(c.pending, w)
	if c.running < max(c.inflight, 1) {
		c.running++
		go c.flush()
	}
	c.mu.Unlock()
	select {
	case <-w.done:
		a, err := w.a, w.err
		c.recycle(w)
		return a, err
	case <-ctx.Done():
		if c.abandon(w) {
			c.recycle(w)
		}
		return zero, ctx.Err()
	}
}

// waiter returns a request for q: one whose last caller is done with it, or a new one.
func (c *coalescer[Q, A]) waiter(ctx context.Context, q Q) *coalesced[Q, A] {
	w, _ := c.waiters.Get().(*coalesced[Q, A])
	if w == nil {
		w = &coalesced[Q, A]{done: make(chan struct{}, 1)}
	}
	w.ctx, w.q = ctx, q
	return w
}

// recycle keeps w for another caller. Nothing may hold w any more: its answer was
// read, or no batch took it; either way its channel is empty.
func (c *coalescer[Q, A]) recycle(w *coalesced[Q, A]) {
	*w = coalesced[Q, A]{done: w.done}
	c.waiters.Put(w)
}

// abandon takes a caller who gave up out of the queue, if no batch has taken it yet,
// and reports whether it did; a request a batch took is answered to nobody.
func (c *coalescer[Q, A]) abandon(w *coalesced[Q, A]) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.pending {
		if p == w {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return true
		}
	}
	return false
}

// flush runs batches of the queue, each of up to max callers, until the queue is empty.
func (c *coalescer[Q, A]) flush() {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.running--
			c.mu.Unlock()
			return
		}
		n := min(len(c.pending), max(c.max, 1))
		batch := append([]*coalesced[Q, A](nil), c.pending[:n]...)
		c.pending = append(c.pending[:0], c.pending[n:]...)
		c.mu.Unlock()
		c.runBatch(batch)
	}
}

// runBatch answers batch with one call of run.
func (c *coalescer[Q, A]) runBatch(batch []*coalesced[Q, A]) {
	qs := make([]Q, len(batch))
	for i, w := range batch {
		qs[i] = w.q
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(batch[0].ctx), c.timeout)
	as, err := c.run(ctx, qs)
	cancel()
	for i, w := range batch {
		if err == nil && i < len(as) {
			w.a = as[i]
		} else {
			w.err = err
		}
		w.done <- struct{}{} // w may serve another caller from here on
	}
}

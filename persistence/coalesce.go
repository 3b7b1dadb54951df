package persistence

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
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
//
// A caller queues without a lock: it pushes its request onto a stack with one
// compare-and-swap, and only the flushers take a lock, among themselves. When 10,000
// callers arrived at once behind one mutex, the mutex went into its starvation mode
// and handed itself from waiter to waiter, each woken in turn; a flusher back from its
// round trip queued behind all of them before it could take its next batch, and a
// caller descheduled while holding it stopped every other.
type coalescer[Q, A any] struct {
	// run answers qs in order, or fails them all. Its context is not any one caller's
	// (a batch serves several) but carries the first caller's values, without its
	// cancellation, and is bounded by timeout.
	run     func(ctx context.Context, qs []Q) ([]A, error)
	max     int
	timeout time.Duration
	// inflight bounds the batches in flight at once; below 1 it is 1.
	inflight int

	// arrivals are the requests queued since a flusher last looked, newest first,
	// each linked to the one queued before it.
	arrivals atomic.Pointer[coalesced[Q, A]]
	// running counts the flushers alive: batches in flight, or about to be.
	running atomic.Int32

	// mu is the flushers' lock: it guards pending, the requests taken from arrivals
	// (in the order they came) and not yet in a batch.
	mu      sync.Mutex
	pending []*coalesced[Q, A]

	// waiters keeps the requests whose answers their callers have read, each with its
	// channel, for the next callers: a request would otherwise cost two allocations
	// (the request and its channel) on every hold's lookups.
	waiters sync.Pool
}

// The states of a queued request: waiting for a batch, taken into one, or given up
// by its caller before any batch took it.
const (
	requestQueued int32 = iota
	requestTaken
	requestAbandoned
)

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
	// next is the request queued before this one, while both are in arrivals.
	next *coalesced[Q, A]
	// state is requestQueued until a batch takes the request or its caller gives up,
	// whichever comes first.
	state atomic.Int32
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
	for {
		head := c.arrivals.Load()
		w.next = head
		if c.arrivals.CompareAndSwap(head, w) {
			break
		}
	}
	c.wake()
	select {
	case <-w.done:
		a, err := w.a, w.err
		c.recycle(w)
		return a, err
	case <-ctx.Done():
		// Given up before a batch took it, the request stays where it is, and the
		// flusher that comes to it drops it; it is not kept for another caller.
		w.state.CompareAndSwap(requestQueued, requestAbandoned)
		return zero, ctx.Err()
	}
}

// wake starts a flusher if a batch slot is free.
func (c *coalescer[Q, A]) wake() {
	limit := int32(max(c.inflight, 1))
	for {
		n := c.running.Load()
		if n >= limit {
			return
		}
		if c.running.CompareAndSwap(n, n+1) {
			go c.flush()
			return
		}
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
// read; its channel is empty.
func (c *coalescer[Q, A]) recycle(w *coalesced[Q, A]) {
	var zeroQ Q
	var zeroA A
	w.ctx, w.q, w.a, w.err, w.next = nil, zeroQ, zeroA, nil, nil
	w.state.Store(requestQueued)
	c.waiters.Put(w)
}

// flush runs batches of the queue, each of up to max callers, until the queue is empty.
func (c *coalescer[Q, A]) flush() {
	limit := int32(max(c.inflight, 1))
	for {
		if batch := c.take(); len(batch) > 0 {
			c.runBatch(batch)
			continue
		}
		c.running.Add(-1)
		// A caller who queued after take looked, and found every slot taken before the
		// line above freed this one, started no flusher: look again.
		for {
			if c.arrivals.Load() == nil {
				return
			}
			n := c.running.Load()
			if n >= limit {
				return // a flusher alive takes it
			}
			if c.running.CompareAndSwap(n, n+1) {
				break
			}
		}
	}
}

// take returns the next batch: up to max of the requests queued, in the order they
// came, leaving out those their callers gave up.
func (c *coalescer[Q, A]) take() []*coalesced[Q, A] {
	size := max(c.max, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) < size {
		if head := c.arrivals.Swap(nil); head != nil {
			from := len(c.pending)
			for w := head; w != nil; {
				next := w.next
				w.next = nil
				c.pending = append(c.pending, w)
				w = next
			}
			slices.Reverse(c.pending[from:])
		}
	}
	var batch []*coalesced[Q, A]
	i := 0
	for ; i < len(c.pending) && len(batch) < size; i++ {
		if w := c.pending[i]; w.state.CompareAndSwap(requestQueued, requestTaken) {
			if batch == nil {
				batch = make([]*coalesced[Q, A], 0, min(size, len(c.pending)-i))
			}
			batch = append(batch, w)
		}
	}
	rest := copy(c.pending, c.pending[i:])
	clear(c.pending[rest:])
	c.pending = c.pending[:rest]
	return batch
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

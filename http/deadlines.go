package http

import (
	"context"
	"sync/atomic"
	"time"
)

// deadlineSlack is how much earlier than its request's start plus the request timeout a
// shared deadline may fall.
const deadlineSlack = 10 * time.Millisecond

// requestDeadlines hands each request a context that ends RequestTimeout after the
// request started, at most deadlineSlack earlier: requests that start within the same
// few milliseconds share one context, so a rush of thousands of requests a second
// makes a few hundred contexts and timers, not one each. A shared context is not
// cancelled when its requests end, only at its deadline: every handler uses its
// context only while it runs.
type requestDeadlines struct {
	timeout time.Duration
	cur     atomic.Pointer[sharedDeadline]
}

// sharedDeadline is one context and its deadline.
type sharedDeadline struct {
	ctx      context.Context
	deadline time.Time
	// cancel is called by the context's own timer at the deadline; kept for vet.
	cancel context.CancelFunc
}

func newRequestDeadlines(timeout time.Duration) *requestDeadlines {
	return &requestDeadlines{timeout: timeout}
}

// context returns a context whose deadline lies in (start+timeout-deadlineSlack,
// start+timeout].
func (d *requestDeadlines) context(start time.Time) context.Context {
	want := start.Add(d.timeout)
	if s := d.cur.Load(); s != nil && !s.deadline.After(want) && want.Sub(s.deadline) < deadlineSlack {
		return s.ctx
	}
	ctx, cancel := context.WithDeadline(context.Background(), want)
	d.cur.Store(&sharedDeadline{ctx: ctx, deadline: want, cancel: cancel})
	return ctx
}

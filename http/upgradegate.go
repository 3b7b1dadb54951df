package http

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// A queue websocket's upgrade yields to the requests the node is answering. In a rush
// through the waiting room each fan opens its websocket as soon as its join is
// answered, while thousands of other joins still wait for theirs, and the upgrades (the
// ticket's read, the handshake, the first ticket pushed) took the node's cores from
// them. An upgrade that finds more than upgradeBacklog requests in flight waits, its
// connection goroutine parked, until the backlog falls to that bound or upgradeWaitMax
// has passed; a fan's websocket then opens a moment later, its first message the same.
const (
	// upgradeBacklog is the backlog an upgrade waits out: the waiting room's controller
	// admits nobody above the same bound (waitingroom.RateConfig.BacklogBound).
	upgradeBacklog = 100
	// upgradeWaitMax bounds an upgrade's wait: a node that stays busy still opens its
	// websockets.
	upgradeWaitMax = 2 * time.Second
)

// backlogGate parks callers while a backlog is above its bound and lets them all go
// at once when it falls to it. It takes no lock: thousands of upgrades arrive at once.
type backlogGate struct {
	bound int64
	// waiting counts the callers parked, so that a request's end looks no further
	// when there are none.
	waiting atomic.Int64
	// open is the channel the parked callers wait on, closed when the backlog falls
	// to the bound; nil when nobody waits.
	open atomic.Pointer[chan struct{}]
}

// wait returns once the backlog read by backlog is at most the gate's bound, after
// max at the latest, or when ctx ends.
func (g *backlogGate) wait(ctx context.Context, backlog func() int64, max time.Duration) {
	if backlog() <= g.bound {
		return
	}
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	ch := g.open.Load()
	if ch == nil {
		fresh := make(chan struct{})
		if g.open.CompareAndSwap(nil, &fresh) {
			ch = &fresh
		} else {
			ch = g.open.Load()
		}
	}
	// The backlog may have fallen before this caller counted itself among the waiting,
	// with nobody to see it: look once more.
	if ch == nil || backlog() <= g.bound {
		g.release()
		return
	}
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-*ch:
	case <-t.C:
	case <-ctx.Done():
	}
}

// done tells the gate a request ended, left requests still in flight.
func (g *backlogGate) done(left int64) {
	if left <= g.bound && g.waiting.Load() > 0 {
		g.release()
	}
}

// release lets every parked caller go.
func (g *backlogGate) release() {
	if ch := g.open.Swap(nil); ch != nil {
		close(*ch)
	}
}

// yieldToBacklog holds a websocket upgrade back while the node's backlog is above
// upgradeBacklog (see backlogGate), then passes it on.
func (s *Server) yieldToBacklog(c *fiber.Ctx) error {
	if isUpgrade(c) {
		s.upgrades.wait(c.UserContext(), s.inFlight.Load, upgradeWaitMax)
	}
	return c.Next()
}

// requestDone counts a request that was not an upgrade out of the backlog.
func (s *Server) requestDone() {
	s.upgrades.done(s.inFlight.Add(-1))
}

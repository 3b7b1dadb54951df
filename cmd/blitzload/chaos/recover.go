package chaos

import (
	"context"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/linear"
)

// pending is an operation that ran out of retries without a definite answer. After the
// fault, when the cluster is whole again, the fan settles it: holds and confirms by
// sending the same request with the same idempotency key (the server answers what it
// answered the first time, or decides now), releases and cancels by reading the hold
// or order back. The settled operation spans from its first attempt to the settling
// answer, so the seat histories stay honest.
type pending struct {
	fan     *fan
	kind    linear.Kind
	section string
	start   time.Time
	key     string
	req     api.HoldRequest // hold
	hold    api.Hold        // confirm, release
	token   string          // confirm
	order   api.Order       // cancel
}

// settle settles every pending operation; it reports how many stayed unknown.
func (s *sale) settle() (settled, unknown int) {
	s.mu.Lock()
	list := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, p := range list {
		if p.settle() {
			settled++
		} else {
			unknown++
		}
	}
	return settled, unknown
}

func (p *pending) settle() bool {
	f := p.fan
	reserved := p.section != f.s.ga
	a := attempt{start: p.start}
	switch p.kind {
	case linear.KindHold:
		var h api.Hold
		a = p.retry(func(ctx context.Context, c *api.Client) api.Result {
			var r api.Result
			h, r = c.Hold(ctx, f.s.eventID, p.req, p.key)
			return r
		})
		switch {
		case a.r.OK() && a.r.Err == nil:
			f.s.expectEvent(&f.s.expect.holds, h.ID)
			if reserved {
				f.seatOps(p.section, h.Seats, linear.KindHold, linear.ResultOK, h.ID, "", a)
			}
			return true
		case a.r.Code == api.CodeSeatUnavailable && reserved:
			f.seatOps(p.section, a.r.Seats, linear.KindHold, linear.ResultRefused, "", "", a)
			return true
		case a.definite():
			return true
		}
		if reserved && len(p.req.Seats) > 0 {
			f.seatOps(p.section, p.req.Seats, linear.KindHold, linear.ResultUnknown, "", "", attempt{start: p.start})
		} else if reserved {
			f.s.markUnsound(p.section)
		}
	case linear.KindConfirm:
		var o api.Order
		a = p.retry(func(ctx context.Context, c *api.Client) api.Result {
			var r api.Result
			o, r = c.Confirm(ctx, f.s.eventID, p.section, p.hold.ID, p.token, p.key)
			return r
		})
		switch {
		case a.r.OK() && a.r.Err == nil:
			f.s.expectEvent(&f.s.expect.orders, o.ID)
			if reserved {
				f.seatOps(p.section, p.hold.Seats, linear.KindConfirm, linear.ResultOK, p.hold.ID, o.ID, a)
			}
			return true
		case a.definite():
			if reserved {
				f.seatOps(p.section, p.hold.Seats, linear.KindConfirm, refusal(attempt{r: a.r}, api.CodePaymentDeclined), p.hold.ID, "", a)
			}
			return true
		}
		if reserved {
			f.seatOps(p.section, p.hold.Seats, linear.KindConfirm, linear.ResultUnknown, p.hold.ID, "", attempt{start: p.start})
		}
	case linear.KindRelease:
		var h api.Hold
		a = p.retry(func(ctx context.Context, c *api.Client) api.Result {
			var r api.Result
			h, r = c.GetHold(ctx, p.hold.ID)
			return r
		})
		if a.r.OK() && a.r.Err == nil {
			if h.Status == "released" {
				f.s.expectEvent(&f.s.expect.released, p.hold.ID)
				if reserved {
					f.seatOps(p.section, p.hold.Seats, linear.KindRelease, linear.ResultOK, p.hold.ID, "", a)
				}
			}
			// Still held (or sold): the release never happened.
			return true
		}
		if reserved {
			f.seatOps(p.section, p.hold.Seats, linear.KindRelease, linear.ResultUnknown, p.hold.ID, "", attempt{start: p.start})
		}
	case linear.KindCancel:
		var o api.Order
		a = p.retry(func(ctx context.Context, c *api.Client) api.Result {
			var r api.Result
			o, r = c.GetOrder(ctx, p.order.ID)
			return r
		})
		if a.r.OK() && a.r.Err == nil {
			if o.Status == audit.OrderCancelled {
				f.s.expectEvent(&f.s.expect.cancelled, p.order.ID)
				if reserved {
					f.seatOps(p.section, p.order.Seats, linear.KindCancel, linear.ResultOK, p.order.HoldID, p.order.ID, a)
				}
			}
			return true
		}
		if reserved {
			f.seatOps(p.section, p.order.Seats, linear.KindCancel, linear.ResultUnknown, p.order.HoldID, p.order.ID, attempt{start: p.start})
		}
	}
	return false
}

// retry sends a settling request until it gets an answer, for at most the retry
// budget. The attempt's start is the operation's first attempt.
func (p *pending) retry(fn func(ctx context.Context, c *api.Client) api.Result) attempt {
	a := p.fan.call(linear.KindRead, p.section, fn) // not counted as a decision
	a.start = p.start
	return a
}

func (s *sale) markUnsound(section string) {
	s.mu.Lock()
	s.unsound[s.sectionKey(section)] = true
	s.mu.Unlock()
}

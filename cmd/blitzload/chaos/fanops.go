package chaos

import (
	"context"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/linear"
)

// readMap reads a reserved section's map: one read per seat for the seat histories,
// and the available seats for the fan's next pick.
func (f *fan) readMap(section string) {
	var m api.SeatMap
	a := f.call(linear.KindRead, section, func(ctx context.Context, c *api.Client) api.Result {
		var r api.Result
		m, r = c.SeatMap(ctx, f.s.eventID, section)
		return r
	})
	if !a.r.OK() || a.r.Err != nil {
		return
	}
	key := f.s.sectionKey(section)
	ops := make([]linear.Op, 0, len(m.Seats))
	var avail []string
	for _, seat := range m.Seats {
		ops = append(ops, linear.Op{Section: key, Seat: seat.ID, Kind: linear.KindRead, Result: linear.ResultOK, Status: seat.Status,
			Call: a.r.Start, Return: a.r.End, Client: f.id})
		if seat.Status == audit.SeatAvailable {
			avail = append(avail, seat.ID)
		}
	}
	f.s.addSeatOps(ops...)
	f.available[section] = avail
}

// hold places a hold with its own idempotency key, kept across retries.
func (f *fan) hold(req api.HoldRequest) (api.Hold, bool) {
	key := f.newKey()
	var h api.Hold
	a := f.call(linear.KindHold, req.SectionID, func(ctx context.Context, c *api.Client) api.Result {
		var r api.Result
		h, r = c.Hold(ctx, f.s.eventID, req, key)
		return r
	})
	reserved := req.SectionID != f.s.ga
	switch {
	case a.r.OK() && a.r.Err == nil:
		f.s.expectEvent(&f.s.expect.holds, h.ID)
		if reserved {
			f.seatOps(req.SectionID, h.Seats, linear.KindHold, linear.ResultOK, h.ID, "", a)
		}
		return h, true
	case a.r.Code == api.CodeSeatUnavailable && reserved:
		f.seatOps(req.SectionID, a.r.Seats, linear.KindHold, linear.ResultRefused, "", "", a)
	case !a.definite():
		f.s.addPending(&pending{fan: f, kind: linear.KindHold, section: req.SectionID, req: req, key: key, start: a.start})
	}
	if reserved && a.definite() {
		delete(f.available, req.SectionID) // stale: read again before the next pick
	}
	return h, false
}

// confirm pays for a hold with its own idempotency key.
func (f *fan) confirm(h api.Hold, token string, reserved bool) (api.Order, bool) {
	key := f.newKey()
	var o api.Order
	a := f.call(linear.KindConfirm, h.SectionID, func(ctx context.Context, c *api.Client) api.Result {
		var r api.Result
		o, r = c.Confirm(ctx, f.s.eventID, h.SectionID, h.ID, token, key)
		return r
	})
	switch {
	case a.r.OK() && a.r.Err == nil:
		f.s.expectEvent(&f.s.expect.orders, o.ID)
		if reserved {
			f.seatOps(h.SectionID, h.Seats, linear.KindConfirm, linear.ResultOK, h.ID, o.ID, a)
		}
		return o, true
	case !a.definite():
		f.s.addPending(&pending{fan: f, kind: linear.KindConfirm, section: h.SectionID, hold: h, key: key, token: token, start: a.start})
	case reserved:
		f.seatOps(h.SectionID, h.Seats, linear.KindConfirm, refusal(a, api.CodePaymentDeclined), h.ID, "", a)
	}
	return o, false
}

// release gives a hold back.
func (f *fan) release(h api.Hold, reserved bool) {
	a := f.call(linear.KindRelease, h.SectionID, func(ctx context.Context, c *api.Client) api.Result {
		return c.Release(ctx, f.s.eventID, h.SectionID, h.ID)
	})
	switch {
	case a.r.OK():
		f.s.expectEvent(&f.s.expect.released, h.ID)
		if reserved {
			f.seatOps(h.SectionID, h.Seats, linear.KindRelease, linear.ResultOK, h.ID, "", a)
		}
	case !a.definite():
		f.s.addPending(&pending{fan: f, kind: linear.KindRelease, section: h.SectionID, hold: h, start: a.start})
	case reserved:
		f.seatOps(h.SectionID, h.Seats, linear.KindRelease, refusal(a, ""), h.ID, "", a)
	}
}

// cancel cancels an order.
func (f *fan) cancel(o api.Order, reserved bool) {
	a := f.call(linear.KindCancel, o.SectionID, func(ctx context.Context, c *api.Client) api.Result {
		var r api.Result
		_, r = c.Cancel(ctx, f.s.eventID, o.SectionID, o.ID)
		return r
	})
	switch {
	case a.r.OK():
		f.s.expectEvent(&f.s.expect.cancelled, o.ID)
		if reserved {
			f.seatOps(o.SectionID, o.Seats, linear.KindCancel, linear.ResultOK, o.HoldID, o.ID, a)
		}
	case !a.definite():
		f.s.addPending(&pending{fan: f, kind: linear.KindCancel, section: o.SectionID, order: o, start: a.start})
	case reserved:
		f.seatOps(o.SectionID, o.Seats, linear.KindCancel, refusal(a, ""), o.HoldID, o.ID, a)
	}
}

// refusal turns a definite refusal into a seat-history result. A refusal after an
// attempt without an answer may be the first attempt's own effect (a retried release
// finds its hold released), so it proves nothing: unknown, within the operation's span.
func refusal(a attempt, declineCode string) linear.Result {
	switch {
	case declineCode != "" && a.r.Code == declineCode:
		return linear.ResultDeclined
	case a.uncertain:
		return linear.ResultUnknown
	default:
		return linear.ResultRefused
	}
}

// seatOps records one operation's effect on each of its seats.
func (f *fan) seatOps(section string, seats []string, kind linear.Kind, res linear.Result, hold, order string, a attempt) {
	key := f.s.sectionKey(section)
	ops := make([]linear.Op, 0, len(seats))
	for _, seat := range seats {
		ops = append(ops, linear.Op{Section: key, Seat: seat, Kind: kind, Hold: hold, Order: order, Result: res,
			Call: a.start, Return: a.end, Client: f.id})
	}
	f.s.addSeatOps(ops...)
}

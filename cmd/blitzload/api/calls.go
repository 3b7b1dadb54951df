package api

import (
	"context"

	"github.com/ticketblitz/ticketblitz/client"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// Healthz calls GET /healthz.
func (c *Client) Healthz(ctx context.Context) Result {
	return c.call(ctx, EndpointHealthz, false, func(o ...client.CallOption) error {
		_, err := c.api.Healthz(ctx, o...)
		return err
	})
}

// Ready calls GET /readyz.
func (c *Client) Ready(ctx context.Context) Result {
	return c.call(ctx, EndpointReadyz, false, func(o ...client.CallOption) error {
		_, err := c.api.Readyz(ctx, o...)
		return err
	})
}

// CreateEvent calls POST /api/v1/events (admin).
func (c *Client) CreateEvent(ctx context.Context, spec EventSpec) (Event, Result) {
	var ev Event
	r := c.call(ctx, EndpointCreateEvent, false, func(o ...client.CallOption) (err error) {
		ev, err = c.api.CreateEvent(ctx, spec, o...)
		return err
	})
	return ev, r
}

// ListEvents calls GET /api/v1/events.
func (c *Client) ListEvents(ctx context.Context) ([]Event, Result) {
	var evs []Event
	r := c.call(ctx, EndpointListEvents, false, func(o ...client.CallOption) (err error) {
		evs, err = c.api.ListEvents(ctx, o...)
		return err
	})
	return evs, r
}

// GetEvent calls GET /api/v1/events/{id}.
func (c *Client) GetEvent(ctx context.Context, eventID string) (Event, Result) {
	var ev Event
	r := c.call(ctx, EndpointGetEvent, false, func(o ...client.CallOption) (err error) {
		ev, err = c.api.GetEvent(ctx, eventID, o...)
		return err
	})
	return ev, r
}

// SeatMap calls GET /api/v1/events/{event}/sections/{section}/seats.
func (c *Client) SeatMap(ctx context.Context, eventID, sectionID string) (SeatMap, Result) {
	var m SeatMap
	r := c.call(ctx, EndpointSeatMap, false, func(o ...client.CallOption) (err error) {
		m, err = c.api.SeatMap(ctx, eventID, sectionID, o...)
		return err
	})
	return m, r
}

// Hold calls POST /api/v1/events/{event}/holds; idemKey may be empty.
func (c *Client) Hold(ctx context.Context, eventID string, req HoldRequest, idemKey string) (Hold, Result) {
	return c.HoldWithPass(ctx, eventID, req, idemKey, "")
}

// HoldWithPass is Hold with the waiting room's pass (X-Queue-Pass); pass may be empty.
func (c *Client) HoldWithPass(ctx context.Context, eventID string, req HoldRequest, idemKey, pass string) (Hold, Result) {
	var h Hold
	r := c.call(ctx, EndpointHold, true, func(o ...client.CallOption) (err error) {
		h, err = c.api.Hold(ctx, eventID, req, o...)
		return err
	}, client.IdempotencyKey(idemKey), client.QueuePass(pass))
	rec := audit.Record{Op: audit.OpHold, EventID: eventID, SectionID: req.SectionID, Seats: req.Seats,
		Quantity: req.Quantity, IdempotencyKey: idemKey}
	if r.OK() {
		rec.HoldID, rec.GotSeats, rec.GotQuantity, rec.ExpiresAt = h.ID, h.Seats, h.Quantity, h.ExpiresAt
	}
	c.record(rec, r)
	return h, r
}

// GetHold calls GET /api/v1/holds/{id}.
func (c *Client) GetHold(ctx context.Context, holdID string) (Hold, Result) {
	var h Hold
	r := c.call(ctx, EndpointGetHold, false, func(o ...client.CallOption) (err error) {
		h, err = c.api.GetHold(ctx, holdID, o...)
		return err
	})
	return h, r
}

// Release calls DELETE /api/v1/holds/{id}.
func (c *Client) Release(ctx context.Context, eventID, sectionID, holdID string) Result {
	r := c.call(ctx, EndpointRelease, true, func(o ...client.CallOption) error {
		_, err := c.api.Release(ctx, holdID, o...)
		return err
	})
	c.record(audit.Record{Op: audit.OpRelease, EventID: eventID, SectionID: sectionID, HoldID: holdID}, r)
	return r
}

// Extend calls POST /api/v1/holds/{id}/extend.
func (c *Client) Extend(ctx context.Context, eventID, sectionID, holdID string) (Hold, Result) {
	var h Hold
	r := c.call(ctx, EndpointExtend, true, func(o ...client.CallOption) (err error) {
		h, err = c.api.Extend(ctx, holdID, o...)
		return err
	})
	rec := audit.Record{Op: audit.OpExtend, EventID: eventID, SectionID: sectionID, HoldID: holdID}
	if r.OK() {
		rec.ExpiresAt = h.ExpiresAt
	}
	c.record(rec, r)
	return h, r
}

// Confirm calls POST /api/v1/holds/{id}/confirm; idemKey may be empty.
func (c *Client) Confirm(ctx context.Context, eventID, sectionID, holdID, paymentToken, idemKey string) (Order, Result) {
	var o Order
	r := c.call(ctx, EndpointConfirm, true, func(opts ...client.CallOption) (err error) {
		o, err = c.api.Confirm(ctx, holdID, paymentToken, opts...)
		return err
	}, client.IdempotencyKey(idemKey))
	rec := audit.Record{Op: audit.OpConfirm, EventID: eventID, SectionID: sectionID, HoldID: holdID,
		IdempotencyKey: idemKey, PaymentToken: paymentToken}
	if r.OK() {
		rec.OrderID, rec.GotSeats, rec.GotQuantity = o.ID, o.Seats, o.Quantity
	}
	c.record(rec, r)
	return o, r
}

// GetOrder calls GET /api/v1/orders/{id}.
func (c *Client) GetOrder(ctx context.Context, orderID string) (Order, Result) {
	var o Order
	r := c.call(ctx, EndpointGetOrder, false, func(opts ...client.CallOption) (err error) {
		o, err = c.api.GetOrder(ctx, orderID, opts...)
		return err
	})
	return o, r
}

// MyOrders calls GET /api/v1/me/orders.
func (c *Client) MyOrders(ctx context.Context) ([]Order, Result) {
	var os []Order
	r := c.call(ctx, EndpointMyOrders, false, func(opts ...client.CallOption) (err error) {
		os, err = c.api.MyOrders(ctx, opts...)
		return err
	})
	return os, r
}

// MyHolds calls GET /api/v1/me/holds.
func (c *Client) MyHolds(ctx context.Context) ([]Hold, Result) {
	var hs []Hold
	r := c.call(ctx, EndpointMyHolds, false, func(opts ...client.CallOption) (err error) {
		hs, err = c.api.MyHolds(ctx, opts...)
		return err
	})
	return hs, r
}

// Cancel calls POST /api/v1/orders/{id}/cancel.
func (c *Client) Cancel(ctx context.Context, eventID, sectionID, orderID string) (Order, Result) {
	var o Order
	r := c.call(ctx, EndpointCancel, true, func(opts ...client.CallOption) (err error) {
		o, err = c.api.Cancel(ctx, orderID, opts...)
		return err
	})
	c.record(audit.Record{Op: audit.OpCancel, EventID: eventID, SectionID: sectionID, OrderID: orderID}, r)
	return o, r
}

// DevToken calls POST /api/v1/auth/token for userID.
func (c *Client) DevToken(ctx context.Context, userID string) (string, Result) {
	var tok client.Token
	r := c.call(ctx, EndpointToken, false, func(opts ...client.CallOption) (err error) {
		tok, err = c.api.DevToken(ctx, userID, opts...)
		return err
	})
	return tok.Token, r
}

// Drain calls POST /api/v1/cluster/drain (admin): the node hands its sections over and
// leaves.
func (c *Client) Drain(ctx context.Context) Result {
	return c.call(ctx, EndpointDrain, false, func(opts ...client.CallOption) error {
		return c.api.Drain(ctx, opts...)
	})
}

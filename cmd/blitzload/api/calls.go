package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

func esc(s string) string { return url.PathEscape(s) }

// Healthz calls GET /healthz.
func (c *Client) Healthz(ctx context.Context) Result {
	return c.do(ctx, call{method: http.MethodGet, path: "/healthz", endpoint: EndpointHealthz}, nil)
}

// Ready calls GET /readyz.
func (c *Client) Ready(ctx context.Context) Result {
	return c.do(ctx, call{method: http.MethodGet, path: "/readyz", endpoint: "GET /readyz"}, nil)
}

// CreateEvent calls POST /api/v1/events (admin).
func (c *Client) CreateEvent(ctx context.Context, spec EventSpec) (Event, Result) {
	var ev Event
	r := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/events", endpoint: EndpointCreateEvent, body: spec}, &ev)
	return ev, r
}

// ListEvents calls GET /api/v1/events.
func (c *Client) ListEvents(ctx context.Context) ([]Event, Result) {
	var out struct {
		Events []Event `json:"events"`
	}
	r := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/events", endpoint: EndpointListEvents}, &out)
	return out.Events, r
}

// GetEvent calls GET /api/v1/events/{id}.
func (c *Client) GetEvent(ctx context.Context, eventID string) (Event, Result) {
	var ev Event
	r := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/events/" + esc(eventID), endpoint: EndpointGetEvent}, &ev)
	return ev, r
}

// SeatMap calls GET /api/v1/events/{event}/sections/{section}/seats.
func (c *Client) SeatMap(ctx context.Context, eventID, sectionID string) (SeatMap, Result) {
	var m SeatMap
	r := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/events/" + esc(eventID) + "/sections/" + esc(sectionID) + "/seats",
		endpoint: EndpointSeatMap}, &m)
	return m, r
}

// Hold calls POST /api/v1/events/{event}/holds; idemKey may be empty.
func (c *Client) Hold(ctx context.Context, eventID string, req HoldRequest, idemKey string) (Hold, Result) {
	var h Hold
	r := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/events/" + esc(eventID) + "/holds", endpoint: EndpointHold,
		body: req, idemKey: idemKey, decision: true}, &h)
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
	r := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/holds/" + esc(holdID), endpoint: EndpointGetHold}, &h)
	return h, r
}

// Release calls DELETE /api/v1/holds/{id}.
func (c *Client) Release(ctx context.Context, eventID, sectionID, holdID string) Result {
	r := c.do(ctx, call{method: http.MethodDelete, path: "/api/v1/holds/" + esc(holdID), endpoint: EndpointRelease, decision: true}, nil)
	c.record(audit.Record{Op: audit.OpRelease, EventID: eventID, SectionID: sectionID, HoldID: holdID}, r)
	return r
}

// Extend calls POST /api/v1/holds/{id}/extend.
func (c *Client) Extend(ctx context.Context, eventID, sectionID, holdID string) (Hold, Result) {
	var h Hold
	r := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/holds/" + esc(holdID) + "/extend", endpoint: EndpointExtend, decision: true}, &h)
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
	body := map[string]string{"payment_token": paymentToken}
	r := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/holds/" + esc(holdID) + "/confirm", endpoint: EndpointConfirm,
		body: body, idemKey: idemKey, decision: true}, &o)
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
	r := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/orders/" + esc(orderID), endpoint: EndpointGetOrder}, &o)
	return o, r
}

// MyOrders calls GET /api/v1/me/orders.
func (c *Client) MyOrders(ctx context.Context) ([]Order, Result) {
	var out struct {
		Orders []Order `json:"orders"`
	}
	r := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/me/orders", endpoint: EndpointMyOrders}, &out)
	return out.Orders, r
}

// Cancel calls POST /api/v1/orders/{id}/cancel.
func (c *Client) Cancel(ctx context.Context, eventID, sectionID, orderID string) (Order, Result) {
	var o Order
	r := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/orders/" + esc(orderID) + "/cancel", endpoint: EndpointCancel, decision: true}, &o)
	c.record(audit.Record{Op: audit.OpCancel, EventID: eventID, SectionID: sectionID, OrderID: orderID}, r)
	return o, r
}

// DevToken calls POST /api/v1/auth/token for userID.
func (c *Client) DevToken(ctx context.Context, userID string) (string, Result) {
	var out struct {
		Token string `json:"token"`
	}
	r := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/auth/token", endpoint: EndpointToken,
		body: map[string]string{"user_id": userID}}, &out)
	return out.Token, r
}

// Drain calls POST /api/v1/cluster/drain (admin): the node hands its sections over and
// leaves.
func (c *Client) Drain(ctx context.Context) Result {
	return c.do(ctx, call{method: http.MethodPost, path: "/api/v1/cluster/drain", endpoint: "POST /api/v1/cluster/drain"}, nil)
}

package client

import (
	"context"
	"net/http"
)

// Hold calls POST /api/v1/events/{event_id}/holds (HoldSeats, HoldBestAvailable and
// HoldPlaces build the request). Give it an IdempotencyKey to retry safely: a 503 or
// a lost answer may then be retried with the same key and request.
func (c *Client) Hold(ctx context.Context, eventID string, req HoldRequest, opts ...CallOption) (Hold, error) {
	var h Hold
	r := newRoute(http.MethodPost, "/api/v1/events/{event_id}/holds", eventID)
	r.body = req
	err := c.do(ctx, r, &h, opts)
	return h, err
}

// GetHold calls GET /api/v1/holds/{hold_id} (its owner or an admin).
func (c *Client) GetHold(ctx context.Context, holdID string, opts ...CallOption) (Hold, error) {
	var h Hold
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/holds/{hold_id}", holdID), &h, opts)
	return h, err
}

// MyHolds calls GET /api/v1/me/holds: the caller's holds that are held now, of every
// event, newest first. A hold request answered 503 never shows up here: nothing was
// decided.
func (c *Client) MyHolds(ctx context.Context, opts ...CallOption) ([]Hold, error) {
	var out struct {
		Holds []Hold `json:"holds"`
	}
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/me/holds"), &out, opts)
	return out.Holds, err
}

// Release calls DELETE /api/v1/holds/{hold_id}: the hold's seats become available.
func (c *Client) Release(ctx context.Context, holdID string, opts ...CallOption) (Released, error) {
	var out Released
	err := c.do(ctx, newRoute(http.MethodDelete, "/api/v1/holds/{hold_id}", holdID), &out, opts)
	return out, err
}

// Extend calls POST /api/v1/holds/{hold_id}/extend: the hold with its new expiry.
func (c *Client) Extend(ctx context.Context, holdID string, opts ...CallOption) (Hold, error) {
	var h Hold
	err := c.do(ctx, newRoute(http.MethodPost, "/api/v1/holds/{hold_id}/extend", holdID), &h, opts)
	return h, err
}

// Confirm calls POST /api/v1/holds/{hold_id}/confirm: pays with paymentToken and
// returns the order. PaymentTokenDeclined is declined (ErrPaymentDeclined; the hold
// stays held). Give it an IdempotencyKey to retry safely.
func (c *Client) Confirm(ctx context.Context, holdID, paymentToken string, opts ...CallOption) (Order, error) {
	var o Order
	r := newRoute(http.MethodPost, "/api/v1/holds/{hold_id}/confirm", holdID)
	r.body = struct {
		PaymentToken string `json:"payment_token"`
	}{paymentToken}
	err := c.do(ctx, r, &o, opts)
	return o, err
}

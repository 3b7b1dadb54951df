package client

import (
	"context"
	"net/http"
)

// GetOrder calls GET /api/v1/orders/{order_id} (its owner or an admin).
func (c *Client) GetOrder(ctx context.Context, orderID string, opts ...CallOption) (Order, error) {
	var o Order
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/orders/{order_id}", orderID), &o, opts)
	return o, err
}

// MyOrders calls GET /api/v1/me/orders: every order of the caller.
func (c *Client) MyOrders(ctx context.Context, opts ...CallOption) ([]Order, error) {
	var out struct {
		Orders []Order `json:"orders"`
	}
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/me/orders"), &out, opts)
	return out.Orders, err
}

// Cancel calls POST /api/v1/orders/{order_id}/cancel (its owner or an admin): the
// order, cancelled; its seats become available.
func (c *Client) Cancel(ctx context.Context, orderID string, opts ...CallOption) (Order, error) {
	var o Order
	err := c.do(ctx, newRoute(http.MethodPost, "/api/v1/orders/{order_id}/cancel", orderID), &o, opts)
	return o, err
}

package client

import (
	"context"
	"net/http"
)

// DevToken calls POST /api/v1/auth/token: a fan token for userID, from a server with
// development tokens on (ErrNotFound otherwise).
func (c *Client) DevToken(ctx context.Context, userID string, opts ...CallOption) (Token, error) {
	var t Token
	r := newRoute(http.MethodPost, "/api/v1/auth/token")
	r.body = struct {
		UserID string `json:"user_id"`
	}{userID}
	err := c.do(ctx, r, &t, opts)
	return t, err
}

// Healthz calls GET /healthz; it answers as long as the process is alive.
func (c *Client) Healthz(ctx context.Context, opts ...CallOption) (Health, error) {
	var h Health
	err := c.do(ctx, newRoute(http.MethodGet, "/healthz"), &h, opts)
	return h, err
}

// Readyz calls GET /readyz. A node that is not ready answers ErrUnavailable, whose
// Details hold "checks" (each check's result) and "failing".
func (c *Client) Readyz(ctx context.Context, opts ...CallOption) (Readiness, error) {
	var r Readiness
	err := c.do(ctx, newRoute(http.MethodGet, "/readyz"), &r, opts)
	return r, err
}

// Metrics calls GET /metrics: the node's metrics in the Prometheus text format.
func (c *Client) Metrics(ctx context.Context, opts ...CallOption) ([]byte, error) {
	var raw []byte
	err := c.do(ctx, newRoute(http.MethodGet, "/metrics"), &raw, opts)
	return raw, err
}

// Cluster calls GET /api/v1/cluster (admin): the members the answering node knows.
func (c *Client) Cluster(ctx context.Context, opts ...CallOption) (Cluster, error) {
	var out Cluster
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/cluster"), &out, opts)
	return out, err
}

// Drain calls POST /api/v1/cluster/drain (admin): the answering node stops taking
// traffic, hands its sections over and leaves. It returns once the drain is under way.
func (c *Client) Drain(ctx context.Context, opts ...CallOption) error {
	return c.do(ctx, newRoute(http.MethodPost, "/api/v1/cluster/drain"), nil, opts)
}

// StartFlashSale calls POST /api/v1/admin/flash-sale (admin): a simulated crowd on one
// section, running in the engine.
func (c *Client) StartFlashSale(ctx context.Context, req FlashSaleRequest, opts ...CallOption) (FlashSale, error) {
	var fs FlashSale
	r := newRoute(http.MethodPost, "/api/v1/admin/flash-sale")
	r.body = req
	err := c.do(ctx, r, &fs, opts)
	return fs, err
}

// FlashSale calls GET /api/v1/admin/flash-sale/{id} (admin): a sale's progress, from
// the node that runs it.
func (c *Client) FlashSale(ctx context.Context, id string, opts ...CallOption) (FlashSale, error) {
	var fs FlashSale
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/admin/flash-sale/{id}", id), &fs, opts)
	return fs, err
}

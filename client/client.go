package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds each call of a Client built without WithHTTPClient.
const DefaultTimeout = 30 * time.Second

// maxErrorText bounds the text of an error answer that is not the API's JSON.
const maxErrorText = 200

// Client calls the API of one server as one caller (or anonymously, without a token).
// It is safe for concurrent use.
type Client struct {
	base  string
	http  *http.Client
	token string
	// wsDial opens the TCP connection of a websocket; nil dials as net.Dialer does.
	wsDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc (its transport,
// timeout and connection pool). The default is an http.Client with DefaultTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithWebSocketDialer makes the client open the TCP connections of its websockets
// (FollowQueue) with dial, for example from a chosen source address. The default
// dials as a net.Dialer does.
func WithWebSocketDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *Client) { c.wsDial = dial }
}

// WithToken makes the client send "Authorization: Bearer <token>" on every call.
func WithToken(token string) Option {
	return func(c *Client) { c.token = token }
}

// New returns a client of the server at base, such as "http://127.0.0.1:8080".
func New(base string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(base, "/")}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultTimeout}
	}
	return c
}

// Base returns the server's URL, as given to New without a trailing slash.
func (c *Client) Base() string { return c.base }

// WithToken returns a client of the same server, over the same HTTP client, that
// speaks for the holder of token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// CloseIdleConnections closes the idle connections of the client's HTTP client.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// route is one call to make.
type route struct {
	method string
	// template is the route's path template ("/api/v1/holds/{hold_id}").
	template string
	// path is the concrete path, parameters escaped.
	path string
	// body is encoded as JSON when it is not nil.
	body any
}

// pathOf fills a template's {parameters}, in order, with escaped values.
func pathOf(template string, values ...string) string {
	var b strings.Builder
	rest := template
	for _, v := range values {
		open := strings.IndexByte(rest, '{')
		end := strings.IndexByte(rest, '}')
		if open < 0 || end < open {
			break
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(v))
		rest = rest[end+1:]
	}
	b.WriteString(rest)
	return b.String()
}

func newRoute(method, template string, values ...string) route {
	return route{method: method, template: template, path: pathOf(template, values...)}
}

// do sends the call and decodes a 2xx answer into out (nil: the body is not read as
// JSON). A non-2xx answer is an *Error.
func (c *Client) do(ctx context.Context, r route, out any, opts []CallOption) error {
	var cfg callConfig
	for _, o := range opts {
		o(&cfg)
	}
	ex := Exchange{Method: r.method, Route: r.method + " " + r.template, Path: r.path}
	err := c.exchange(ctx, r, out, cfg, &ex)
	if cfg.capture != nil {
		*cfg.capture = ex
	}
	return err
}

func (c *Client) exchange(ctx context.Context, r route, out any, cfg callConfig, ex *Exchange) error {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("%s %s: encode body: %w", r.method, r.path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if cfg.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", cfg.idempotencyKey)
	}
	if cfg.queuePass != "" {
		req.Header.Set("X-Queue-Pass", cfg.queuePass)
	}
	if cfg.requestID != "" {
		req.Header.Set("X-Request-Id", cfg.requestID)
	}
	ex.Start = time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		ex.End = time.Now()
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	data, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	ex.End = time.Now()
	ex.Status, ex.Header = resp.StatusCode, resp.Header
	switch {
	case readErr != nil:
		return fmt.Errorf("%s %s: read answer: %w", r.method, r.path, readErr)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return errorOf(r, resp, data)
	case out == nil:
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", r.method, r.path, err)
	}
	return nil
}

// errorOf builds the *Error of a non-2xx answer.
func errorOf(r route, resp *http.Response, data []byte) *Error {
	e := &Error{
		Method:     r.method,
		Path:       r.path,
		Status:     resp.StatusCode,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After")),
		RequestID:  resp.Header.Get("X-Request-Id"),
	}
	var body struct {
		Error struct {
			Code    Code           `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message, e.Details = body.Error.Code, body.Error.Message, body.Error.Details
		return e
	}
	e.Message = strings.TrimSpace(string(data))
	if len(e.Message) > maxErrorText {
		e.Message = e.Message[:maxErrorText]
	}
	return e
}

// retryAfter reads a Retry-After of whole seconds; zero when there is none.
func retryAfter(v string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

package live

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Defaults of EndpointConfig.
const (
	DefaultMaxConnections = 20000
	DefaultSendBuffer     = 256
	DefaultPingInterval   = 20 * time.Second
	DefaultPongWait       = 45 * time.Second
	DefaultWriteWait      = 10 * time.Second
	DefaultCloseGrace     = time.Second
)

// readLimit bounds a message from a client. The endpoints are one-way: clients send
// nothing but control frames, so anything large is misbehaviour.
const readLimit = 4 << 10

// readBufferSize is each connection's read buffer.
const readBufferSize = 256

// EndpointConfig tunes the connections of one websocket endpoint. The zero value works.
type EndpointConfig struct {
	// MaxConnections caps the endpoint's open connections; upgrades beyond it are
	// refused as UNAVAILABLE (503). DefaultMaxConnections when zero.
	MaxConnections int
	// SendBuffer is how many messages may wait for one connection's writer. What
	// happens when it is full depends on the endpoint: fans are disconnected ("too
	// slow"), visualizers lose their oldest traces. DefaultSendBuffer when zero.
	SendBuffer int
	// PingInterval is how often the server pings each client. DefaultPingInterval
	// when zero.
	PingInterval time.Duration
	// PongWait is how long a client may stay silent (no pong, no message) before the
	// server closes it; it must exceed PingInterval. DefaultPongWait when zero.
	PongWait time.Duration
	// WriteWait bounds each write to a client, the close frame included: a data write
	// has between half of it and all of it (the deadline moves once half is used).
	// DefaultWriteWait when zero.
	WriteWait time.Duration
	// CloseGrace is how long the server waits for the client's reply to its close
	// frame before it drops the connection. DefaultCloseGrace when zero.
	CloseGrace time.Duration
}

// withDefaults returns c with every zero field set to its default.
func (c EndpointConfig) withDefaults() EndpointConfig {
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.SendBuffer == 0 {
		c.SendBuffer = DefaultSendBuffer
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PongWait == 0 {
		c.PongWait = max(DefaultPongWait, 2*c.PingInterval)
	}
	if c.WriteWait == 0 {
		c.WriteWait = DefaultWriteWait
	}
	if c.CloseGrace == 0 {
		c.CloseGrace = DefaultCloseGrace
	}
	return c
}

// validate checks a config after withDefaults.
func (c *EndpointConfig) validate() error {
	var problems []error
	if c.MaxConnections < 0 {
		problems = append(problems, fmt.Errorf("max connections %d is negative", c.MaxConnections))
	}
	if c.SendBuffer < 0 {
		problems = append(problems, fmt.Errorf("send buffer %d is negative", c.SendBuffer))
	}
	for name, d := range map[string]time.Duration{
		"ping interval": c.PingInterval, "pong wait": c.PongWait, "write wait": c.WriteWait, "close grace": c.CloseGrace,
	} {
		if d < 0 {
			problems = append(problems, fmt.Errorf("%s %s is negative", name, d))
		}
	}
	if c.PongWait <= c.PingInterval {
		problems = append(problems, fmt.Errorf("pong wait %s must exceed the ping interval %s", c.PongWait, c.PingInterval))
	}
	return errors.Join(problems...)
}

// sessionFunc is what an endpoint does with one admitted connection. It runs on the
// connection's goroutine before the server starts reading from the client, may queue
// messages and close the connection, and returns the cleanup to run once the
// connection has ended (nil for none).
type sessionFunc func(c *conn) (cleanup func())

// endpoint owns the connections of one websocket route: it admits them within the
// connection limit, runs each one's reader (its writes are the senders'), and closes
// them all on shutdown.
type endpoint struct {
	name    string
	cfg     EndpointConfig
	log     *zap.Logger
	metrics *endpointMetrics
	mode    endpointMode
	session sessionFunc
	upgrade fiber.Handler

	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool
	wg      sync.WaitGroup
}

// endpointMode is how an endpoint's connections take frames.
type endpointMode struct {
	// dropOldest: a full send queue loses its oldest frame (visualizers) rather than
	// closing the connection as too slow (fans).
	dropOldest bool
	// inline: senders write frames themselves (see conn).
	inline bool
}

func newEndpoint(name string, cfg EndpointConfig, log *zap.Logger, m *connMetrics, mode endpointMode, session sessionFunc) *endpoint {
	e := &endpoint{
		name:    name,
		cfg:     cfg,
		log:     log,
		metrics: m.endpoint(name),
		mode:    mode,
		session: session,
		conns:   make(map[*conn]struct{}),
	}
	e.upgrade = websocket.New(e.serve, websocket.Config{
		HandshakeTimeout: cfg.WriteWait,
		// Clients send only control frames (at most 125 bytes of payload, the library's
		// minimum), so a small read buffer does.
		ReadBufferSize:  readBufferSize,
		WriteBufferSize: 4 << 10,
		// Every frame goes out encoded, written to the socket directly, which bypasses
		// the write buffer; a pool keeps idle connections from holding one each.
		WriteBufferPool: &sync.Pool{},
		RecoverHandler:  e.recoverPanic,
	})
	return e
}

// accept is the check made before upgrading: a websocket request, while the endpoint
// has room. A refusal is an ordinary JSON error answer.
func (e *endpoint) accept(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return actors.Invalid("upgrade", "this endpoint needs a websocket upgrade")
	}
	e.mu.Lock()
	closing, open := e.closing, len(e.conns)
	e.mu.Unlock()
	switch {
	case closing:
		e.metrics.refused.Inc()
		return actors.Unavailable("shutting down")
	case open >= e.cfg.MaxConnections:
		e.metrics.refused.Inc()
		return actors.Unavailable("too many websocket connections")
	}
	return nil
}

// admit registers c unless the endpoint is full or closing. Upgrades that passed accept
// concurrently can still overshoot the limit here; they are closed right away.
func (e *endpoint) admit(c *conn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing || len(e.conns) >= e.cfg.MaxConnections {
		return false
	}
	e.conns[c] = struct{}{}
	e.wg.Add(1)
	e.metrics.open.Inc()
	return true
}

func (e *endpoint) release(c *conn) {
	e.mu.Lock()
	delete(e.conns, c)
	e.mu.Unlock()
	e.metrics.open.Dec()
	e.wg.Done()
}

// serve runs one upgraded connection to its end, on the goroutine fasthttp gave it; the
// connection is closed when it returns.
func (e *endpoint) serve(ws *websocket.Conn) {
	c := newConn(ws, e)
	if !e.admit(c) {
		e.metrics.refused.Inc()
		reason := "too many connections"
		if e.isClosing() {
			reason = "server shutting down"
		}
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, reason),
			time.Now().Add(e.cfg.WriteWait))
		return
	}
	defer e.release(c)
	c.startPings()
	// Deferred, so that a panic of the endpoint's handler cannot leave a writer or the pings running.
	defer func() {
		c.close(websocket.CloseInternalServerErr, "internal error")
		c.end()
	}()
	if cleanup := e.session(c); cleanup != nil {
		defer cleanup()
	}
	c.readLoop()
}

func (e *endpoint) isClosing() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closing
}

// open returns how many connections are open.
func (e *endpoint) open() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.conns)
}

// Close refuses new connections, closes the open ones with "server shutting down" and
// waits for them to end, or for ctx.
func (e *endpoint) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closing = true
	conns := make([]*conn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	for _, c := range conns {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close %s websockets: %d still open: %w", e.name, e.open(), ctx.Err())
	}
}

// recoverPanic logs a panic of a connection's goroutine once; the connection is then
// closed by fasthttp.
func (e *endpoint) recoverPanic(*websocket.Conn) {
	if r := recover(); r != nil {
		e.log.Error("websocket handler panicked", zap.String("endpoint", e.name), zap.Any("panic", r),
			zap.ByteString("stack", debug.Stack()))
	}
}

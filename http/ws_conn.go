package http

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
)

// sentFlushEvery is how many writes a connection counts locally before adding them to
// the shared counter, so that thousands of writers do not contend on one cache line.
const sentFlushEvery = 64

// wsConn is one client connection. Its writer goroutine is the only one that writes
// data frames; everybody else queues prepared messages with send, which never blocks.
// Its reader runs on the connection's own goroutine and only watches for pongs, the
// client's close and silence.
//
// Lock order: EventFeed.mu, then eventSub.mu, then whatever send and close touch
// (channels and the once); wsEndpoint.mu and deadlineMu are taken alone.
type wsConn struct {
	ws         *websocket.Conn
	cfg        *WSConfig
	metrics    *endpointMetrics
	dropOldest bool
	out        chan *fws.PreparedMessage

	// ctx ends when the connection is closing, for the work done on its behalf.
	ctx    context.Context
	cancel context.CancelFunc

	once   sync.Once
	stop   chan struct{} // closed by close
	code   int           // written before stop is closed
	reason string

	// deadlineMu orders the reader's deadline extensions against the writer's final
	// deadline, so that a pong arriving while the connection closes cannot keep it open.
	deadlineMu sync.Mutex
	finishing  bool

	sent int // writer goroutine only
}

func newWSConn(ws *websocket.Conn, e *wsEndpoint) *wsConn {
	ctx, cancel := context.WithCancel(context.Background())
	return &wsConn{
		ws:         ws,
		cfg:        &e.cfg,
		metrics:    e.metrics,
		dropOldest: e.dropOldest,
		out:        make(chan *fws.PreparedMessage, e.cfg.SendBuffer),
		ctx:        ctx,
		cancel:     cancel,
		stop:       make(chan struct{}),
	}
}

// send queues m without blocking and reports whether it was queued. When the buffer is
// full, a fan's connection is closed as too slow; a visualizer drops its oldest message
// to make room.
func (c *wsConn) send(m *fws.PreparedMessage) bool {
	select {
	case <-c.stop:
		return false
	default:
	}
	select {
	case c.out <- m:
		return true
	default:
	}
	if !c.dropOldest {
		if c.close(websocket.ClosePolicyViolation, "too slow") {
			c.metrics.slow.Inc()
		}
		return false
	}
	select {
	case <-c.out:
		c.metrics.dropped.Inc()
	default:
	}
	select {
	case c.out <- m:
		return true
	default:
		c.metrics.dropped.Inc()
		return false
	}
}

// close asks the writer to send a close frame with code and reason and end the
// connection. Only the first call counts; it reports whether it was the first.
func (c *wsConn) close(code int, reason string) bool {
	first := false
	c.once.Do(func() {
		first = true
		c.code, c.reason = code, reason
		close(c.stop)
		c.cancel()
	})
	return first
}

// closed reports whether the connection is closing.
func (c *wsConn) closed() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// writeLoop writes queued messages and pings until the connection closes, then sends
// the close frame. It closes done when it returns.
func (c *wsConn) writeLoop(done chan<- struct{}) {
	defer close(done)
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	for {
		// A closing connection writes nothing more, however much is queued.
		select {
		case <-c.stop:
			c.sendClose()
			return
		default:
		}
		select {
		case <-c.stop:
			c.sendClose()
			return
		case m := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(c.cfg.WriteWait))
			if err := c.ws.WritePreparedMessage(m); err != nil {
				c.writeFailed()
				return
			}
			c.countSent()
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.cfg.WriteWait)); err != nil {
				c.writeFailed()
				return
			}
			c.flushCounts()
		}
	}
}

// sendClose writes the close frame and gives the client CloseGrace to answer it
// before the reader gives up.
func (c *wsConn) sendClose() {
	// ErrCloseSent (the client closed first and was answered) and write errors leave
	// nothing to do but stop reading.
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.code, c.reason),
		time.Now().Add(c.cfg.WriteWait))
	c.finalDeadline(time.Now().Add(c.cfg.CloseGrace))
}

// writeFailed ends a connection whose stream is broken: no close frame can follow a
// half-written one, so the reader is stopped at once.
func (c *wsConn) writeFailed() {
	c.close(websocket.CloseAbnormalClosure, "write failed")
	c.finalDeadline(time.Now())
}

// finalDeadline sets the read deadline that ends the reader; later pongs cannot move it.
func (c *wsConn) finalDeadline(t time.Time) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.finishing = true
	_ = c.ws.SetReadDeadline(t)
}

// extendRead pushes the read deadline PongWait into the future: the client is alive.
func (c *wsConn) extendRead() error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.finishing {
		return nil
	}
	return c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
}

// readLoop reads until the connection fails, the client closes it, or the client stays
// silent past PongWait (heartbeat timeout). Whatever clients send is discarded.
func (c *wsConn) readLoop() {
	c.ws.SetReadLimit(wsReadLimit)
	c.ws.SetPongHandler(func(string) error { return c.extendRead() })
	if err := c.extendRead(); err != nil {
		c.close(websocket.CloseAbnormalClosure, "connection lost")
		return
	}
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			c.readFailed(err)
			return
		}
		if err := c.extendRead(); err != nil {
			c.close(websocket.CloseAbnormalClosure, "connection lost")
			return
		}
	}
}

// readFailed closes the connection for the reason the read failed. A connection that
// was already closing just ends.
func (c *wsConn) readFailed(err error) {
	if c.closed() {
		return
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		if c.close(websocket.ClosePolicyViolation, "heartbeat timeout") {
			c.metrics.heartbeat.Inc()
		}
	case errors.Is(err, fws.ErrReadLimit):
		c.close(websocket.CloseMessageTooBig, "clients send nothing on this endpoint")
	default:
		// The client closed (its close frame was answered already) or vanished.
		c.close(websocket.CloseNormalClosure, "")
	}
}

func (c *wsConn) countSent() {
	c.sent++
	if c.sent >= sentFlushEvery {
		c.flushCounts()
	}
}

// flushCounts adds the locally counted writes to the shared counter. It runs on the
// writer goroutine, or after it ended.
func (c *wsConn) flushCounts() {
	if c.sent > 0 {
		c.metrics.sent.Add(float64(c.sent))
		c.sent = 0
	}
}

package live

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

// maxSpareBatch is the largest batch slice a writer keeps for the next batch; larger
// ones (a burst) are dropped so that an idle connection holds next to nothing.
const maxSpareBatch = 8

// conn is one client connection. Its writer goroutine is the only one that writes
// data frames; everybody else queues frames with send, which never blocks. The writer
// takes everything queued at once and hands it to the kernel in one write, so a
// connection that falls behind catches up with fewer system calls, not more. Its reader
// runs on the connection's own goroutine and only watches for pings, pongs, the
// client's close and silence.
//
// Lock order: eventHub.mu or TraceHub.viewerMu, then qmu, then whatever close touches
// (channels and the once); endpoint.mu and deadlineMu are taken alone.
type conn struct {
	ws         *websocket.Conn
	raw        net.Conn // the socket under ws; the writer writes data frames to it directly
	cfg        *EndpointConfig
	metrics    *endpointMetrics
	dropOldest bool

	qmu   sync.Mutex
	queue []*frame      // waiting for the writer, oldest first
	wake  chan struct{} // capacity 1: something was queued

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

	sent     int       // writer goroutine only
	deadline time.Time // writer goroutine only: the data writes' deadline
}

func newConn(ws *websocket.Conn, e *endpoint) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{
		ws:         ws,
		raw:        rawConn(ws.NetConn()),
		cfg:        &e.cfg,
		metrics:    e.metrics,
		dropOldest: e.dropOldest,
		wake:       make(chan struct{}, 1),
		ctx:        ctx,
		cancel:     cancel,
		stop:       make(chan struct{}),
	}
}

// rawConn unwraps fasthttp's hijacked connection, whose Read goes through the request
// reader but whose writes go straight to the socket, so that a batch of frames can be
// written with one writev.
func rawConn(nc net.Conn) net.Conn {
	if u, ok := nc.(interface{ UnsafeConn() net.Conn }); ok {
		return u.UnsafeConn()
	}
	return nc
}

// send queues m without blocking and reports whether it was queued. When SendBuffer
// frames are already waiting, a fan's connection is closed as too slow; a visualizer
// drops its oldest frame to make room.
func (c *conn) send(m *frame) bool {
	select {
	case <-c.stop:
		return false
	default:
	}
	c.qmu.Lock()
	if len(c.queue) >= c.cfg.SendBuffer {
		if !c.dropOldest {
			c.qmu.Unlock()
			if c.close(websocket.ClosePolicyViolation, "too slow") {
				c.metrics.slow.Inc()
			}
			return false
		}
		if len(c.queue) == 0 {
			c.qmu.Unlock()
			c.metrics.dropped.Inc()
			return false
		}
		n := copy(c.queue, c.queue[1:])
		c.queue[n] = nil
		c.queue = c.queue[:n]
		c.metrics.dropped.Inc()
	}
	c.queue = append(c.queue, m)
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// take returns everything queued and leaves spare (emptied) in its place.
func (c *conn) take(spare []*frame) []*frame {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	batch := c.queue
	c.queue = spare
	return batch
}

// close asks the writer to send a close frame with code and reason and end the
// connection. Only the first call counts; it reports whether it was the first.
func (c *conn) close(code int, reason string) bool {
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
func (c *conn) closed() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// writeLoop writes queued frames and pings until the connection closes, then sends
// the close frame. It closes done when it returns.
func (c *conn) writeLoop(done chan<- struct{}) {
	defer close(done)
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	var spare []*frame
	var bufs net.Buffers
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
		case <-c.wake:
			batch := c.take(spare)
			if len(batch) == 0 {
				spare = batch
				continue
			}
			if err := c.writeFrames(batch, &bufs); err != nil {
				c.writeFailed()
				return
			}
			c.countSent(len(batch))
			clear(batch)
			spare = nil
			if cap(batch) <= maxSpareBatch {
				spare = batch[:0]
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.cfg.WriteWait)); err != nil {
				c.writeFailed()
				return
			}
			c.flushCounts()
		}
	}
}

// writeFrames writes batch, in order, with one system call when the socket allows it.
// bufs is the writer's scratch list, kept between batches.
func (c *conn) writeFrames(batch []*frame, bufs *net.Buffers) error {
	// Moving a socket's deadline costs a timer update; ten thousand sockets written for
	// every delta make that add up, so it moves only once half of WriteWait is used.
	if now := time.Now(); c.deadline.Sub(now) < c.cfg.WriteWait/2 {
		c.deadline = now.Add(c.cfg.WriteWait)
		_ = c.raw.SetWriteDeadline(c.deadline)
	}
	if len(batch) == 1 {
		_, err := c.raw.Write(batch[0].data)
		return err
	}
	list := (*bufs)[:0]
	for _, f := range batch {
		list = append(list, f.data)
	}
	*bufs = list
	// WriteTo consumes its receiver, so it gets a copy of the slice header; the entries
	// it has written are cleared as it goes.
	_, err := list.WriteTo(c.raw)
	clear((*bufs)[:cap(*bufs)])
	if cap(*bufs) > maxSpareBatch {
		*bufs = nil
	}
	return err
}

// sendClose writes the close frame and gives the client CloseGrace to answer it
// before the reader gives up.
func (c *conn) sendClose() {
	// ErrCloseSent (the client closed first and was answered) and write errors leave
	// nothing to do but stop reading.
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.code, c.reason),
		time.Now().Add(c.cfg.WriteWait))
	c.finalDeadline(time.Now().Add(c.cfg.CloseGrace))
}

// writeFailed ends a connection whose stream is broken: no close frame can follow a
// half-written one, so the reader is stopped at once.
func (c *conn) writeFailed() {
	c.close(websocket.CloseAbnormalClosure, "write failed")
	c.finalDeadline(time.Now())
}

// finalDeadline sets the read deadline that ends the reader; later pongs cannot move it.
func (c *conn) finalDeadline(t time.Time) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.finishing = true
	_ = c.ws.SetReadDeadline(t)
}

// extendRead pushes the read deadline PongWait into the future: the client is alive.
func (c *conn) extendRead() error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.finishing {
		return nil
	}
	return c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
}

// readLoop reads until the connection fails, the client closes it, or the client stays
// silent past PongWait (heartbeat timeout). Whatever clients send is discarded.
func (c *conn) readLoop() {
	c.ws.SetReadLimit(readLimit)
	c.ws.SetPongHandler(func(string) error { return c.extendRead() })
	// Pings are answered at once, like the library does, but within WriteWait.
	c.ws.SetPingHandler(func(data string) error {
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.cfg.WriteWait))
		if err != nil && !errors.Is(err, fws.ErrCloseSent) {
			return err
		}
		return c.extendRead()
	})
	// The client's close is answered by the writer, after the frames it is writing, so
	// that no data frame follows the close frame.
	c.ws.SetCloseHandler(func(int, string) error {
		c.close(websocket.CloseNormalClosure, "")
		return nil
	})
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
func (c *conn) readFailed(err error) {
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

func (c *conn) countSent(n int) {
	c.sent += n
	if c.sent >= sentFlushEvery {
		c.flushCounts()
	}
}

// flushCounts adds the locally counted writes to the shared counter. It runs on the
// writer goroutine, or after it ended.
func (c *conn) flushCounts() {
	if c.sent > 0 {
		c.metrics.sent.Add(float64(c.sent))
		c.sent = 0
	}
}

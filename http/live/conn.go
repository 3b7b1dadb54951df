package live

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
)

// sentFlushEvery is how many writes a connection counts locally before adding them to
// the shared counter, so that thousands of connections do not contend on one cache line.
const sentFlushEvery = 64

// conn is one client connection. On an inline endpoint whoever has a frame for it
// writes it: send hands the frame to the kernel at once, without blocking, on the
// sender's goroutine, so that a feed's fan-out to thousands of subscribers is a loop of
// system calls, not thousands of goroutines woken. Only a socket that cannot take a
// frame whole (its send buffer is full: a slow reader) gets a writer goroutine, started
// for that: it writes what waits in the connection's queue with writes bounded by
// WriteWait and ends once the queue is empty. On other endpoints every frame starts
// such a writer when none runs. Either way an idle connection has no writer. Its
// reader runs on the connection's own goroutine and only watches for pings, pongs, the
// client's close and silence.
//
// Lock order: eventHub.mu or TraceHub.viewerMu, then the once, then qmu; endpoint.mu and
// deadlineMu are taken alone.
type conn struct {
	ws         *websocket.Conn
	raw        net.Conn        // the socket under ws; frames are written to it directly
	sys        syscall.RawConn // raw's descriptor, for writes that never block; nil without one
	cfg        *EndpointConfig
	metrics    *endpointMetrics
	dropOldest bool
	// inline: a sender writes its frame itself when no writer runs; otherwise every
	// frame goes through a writer goroutine, started when one is queued and ended once
	// the queue is empty, so that a fan-out's writes run on every core.
	inline bool

	qmu sync.Mutex
	// queue waits for the writer goroutine, oldest first; it is empty unless writing.
	queue []*frame
	// partial says queue[0] is the rest of a frame begun on the socket: it is never
	// dropped, or the stream would break.
	partial bool
	// writing says a writer goroutine owns the socket's writes until the queue is empty.
	writing bool
	// closing says the close frame was written or queued (or a write failed): nothing
	// more is written.
	closing bool
	sent    int // data frames written, not yet added to the shared counter
	writers sync.WaitGroup

	// ctx ends when the connection is closing, for the work done on its behalf.
	ctx    context.Context
	cancel context.CancelFunc

	once sync.Once
	stop chan struct{} // closed by close

	// deadlineMu orders the reader's deadline extensions against the final deadline,
	// so that a pong arriving while the connection closes cannot keep it open.
	deadlineMu sync.Mutex
	finishing  bool

	ping *time.Timer
}

func newConn(ws *websocket.Conn, e *endpoint) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	raw := rawConn(ws.NetConn())
	return &conn{
		ws:         ws,
		raw:        raw,
		sys:        syscallConn(raw),
		cfg:        &e.cfg,
		metrics:    e.metrics,
		dropOldest: e.mode.dropOldest,
		inline:     e.mode.inline,
		ctx:        ctx,
		cancel:     cancel,
		stop:       make(chan struct{}),
	}
}

// rawConn unwraps fasthttp's hijacked connection, whose Read goes through the request
// reader but whose writes go straight to the socket.
func rawConn(nc net.Conn) net.Conn {
	if u, ok := nc.(interface{ UnsafeConn() net.Conn }); ok {
		return u.UnsafeConn()
	}
	return nc
}

// syscallConn returns nc's descriptor for writes that never block, or nil.
func syscallConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// startPings pings the client every PingInterval until the connection closes.
func (c *conn) startPings() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.ping = time.AfterFunc(c.cfg.PingInterval, func() {
		if c.send(controlFrame(opPing, nil)) {
			c.flushCounts()
			c.qmu.Lock()
			t := c.ping
			c.qmu.Unlock()
			t.Reset(c.cfg.PingInterval)
		}
	})
}

// send writes m, or queues it behind what waits for the writer, without blocking, and
// reports whether the connection took it. When SendBuffer frames already wait, a fan's
// connection is closed as too slow; a visualizer drops its oldest frame to make room.
func (c *conn) send(m *frame) bool {
	c.qmu.Lock()
	if c.closing {
		c.qmu.Unlock()
		return false
	}
	if !c.writing && !c.inline {
		c.queue = append(c.queue, m)
		c.startWriterLocked()
		c.qmu.Unlock()
		return true
	}
	if !c.writing {
		// Written now or waiting for the writer: taken either way.
		_, err := c.writeNowLocked(m)
		c.qmu.Unlock()
		if err != nil {
			c.writeFailed()
			return false
		}
		return true
	}
	if len(c.queue) >= c.cfg.SendBuffer {
		if !c.dropOldest {
			c.qmu.Unlock()
			if c.close(websocket.ClosePolicyViolation, "too slow") {
				c.metrics.slow.Inc()
			}
			return false
		}
		c.dropOneLocked()
	}
	c.queue = append(c.queue, m)
	c.qmu.Unlock()
	return true
}

// writeNowLocked writes m to the socket as far as it goes without blocking; what the
// socket cannot take waits for a writer goroutine, started here. It reports whether m
// was written whole; an error means the stream is broken (closing is set). qmu is
// held and no writer runs.
func (c *conn) writeNowLocked(m *frame) (done bool, err error) {
	n := 0
	if c.sys != nil {
		n, err = writeNonblocking(c.sys, m.data)
		if err != nil {
			c.closing = true
			return false, err
		}
	}
	if n == len(m.data) {
		c.countLocked(m)
		return true, nil
	}
	rest := m
	if n > 0 {
		rest = &frame{data: m.data[n:], control: m.control}
	}
	c.queue = append(c.queue, rest)
	c.partial = n > 0
	c.startWriterLocked()
	return false, nil
}

// startWriterLocked starts the writer goroutine for what waits in the queue; qmu is
// held and no writer runs.
func (c *conn) startWriterLocked() {
	c.writing = true
	c.writers.Add(1)
	go c.writeLoop()
}

// dropOneLocked drops the oldest frame that may be dropped; qmu is held.
func (c *conn) dropOneLocked() {
	i := 0
	if c.partial {
		i = 1
	}
	if i < len(c.queue) {
		n := i + copy(c.queue[i:], c.queue[i+1:])
		c.queue[n] = nil
		c.queue = c.queue[:n]
	}
	c.metrics.dropped.Inc()
}

// countLocked counts m when it is a message; qmu is held.
func (c *conn) countLocked(m *frame) {
	if m.control {
		return
	}
	c.sent++
	if c.sent >= sentFlushEvery {
		c.metrics.sent.Add(float64(c.sent))
		c.sent = 0
	}
}

// close ends the connection with a close frame of code and reason, written after a
// frame begun and instead of whatever else waits. Only the first call counts; it
// reports whether it was the first.
func (c *conn) close(code int, reason string) bool {
	first := false
	c.once.Do(func() {
		first = true
		close(c.stop)
		c.cancel()
		c.sendClose(closeFrame(code, reason))
	})
	return first
}

// sendClose writes the close frame, or queues it for the writer, and gives the client
// CloseGrace to answer it before the reader gives up.
func (c *conn) sendClose(cf *frame) {
	c.qmu.Lock()
	if c.closing {
		// A write failed: no close frame can follow a broken stream.
		c.qmu.Unlock()
		return
	}
	if c.writing {
		keep := 0
		if c.partial {
			keep = 1
		}
		clear(c.queue[keep:])
		c.queue = append(c.queue[:keep], cf)
		c.closing = true
		c.qmu.Unlock()
		return
	}
	done, err := c.writeNowLocked(cf)
	c.closing = true
	c.qmu.Unlock()
	switch {
	case err != nil:
		c.finalDeadline(time.Now())
	case done:
		c.finalDeadline(time.Now().Add(c.cfg.CloseGrace))
	}
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

// writeLoop writes what waits in the queue, with blocking writes bounded by WriteWait,
// until the queue is empty; a batch taken while closing ends with the close frame.
func (c *conn) writeLoop() {
	defer c.writers.Done()
	var bufs net.Buffers
	var deadline time.Time
	for {
		c.qmu.Lock()
		batch, closing := c.queue, c.closing
		c.queue, c.partial = nil, false
		if len(batch) == 0 {
			// Writes that never block fail at once past a deadline: take it away.
			_ = c.raw.SetWriteDeadline(time.Time{})
			c.writing = false
			c.qmu.Unlock()
			return
		}
		c.qmu.Unlock()
		// Moving a socket's deadline costs a timer update, so it moves only once half
		// of WriteWait is used.
		if now := time.Now(); deadline.Sub(now) < c.cfg.WriteWait/2 {
			deadline = now.Add(c.cfg.WriteWait)
			_ = c.raw.SetWriteDeadline(deadline)
		}
		err := writeFrames(c.raw, batch, &bufs)
		c.qmu.Lock()
		if err != nil {
			c.closing, c.writing, c.queue = true, false, nil
			c.qmu.Unlock()
			c.writeFailed()
			return
		}
		for _, f := range batch {
			c.countLocked(f)
		}
		c.qmu.Unlock()
		if closing {
			c.finalDeadline(time.Now().Add(c.cfg.CloseGrace))
		}
	}
}

// writeFrames writes batch, in order, with one system call when the socket allows it.
// bufs is the writer's scratch list, kept between batches.
func writeFrames(w net.Conn, batch []*frame, bufs *net.Buffers) error {
	if len(batch) == 1 {
		_, err := w.Write(batch[0].data)
		return err
	}
	list := (*bufs)[:0]
	for _, f := range batch {
		list = append(list, f.data)
	}
	*bufs = list
	// WriteTo consumes its receiver, so it gets a copy of the slice header.
	_, err := list.WriteTo(w)
	clear((*bufs)[:cap(*bufs)])
	return err
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
	// Pings are answered at once, like the library does, in order with the messages.
	c.ws.SetPingHandler(func(data string) error {
		c.send(controlFrame(opPong, []byte(data)))
		return c.extendRead()
	})
	// The client's close is answered on this goroutine, after a frame begun, so that
	// no data frame follows the close frame.
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

// end waits for the writer, once the connection is closing, and adds the last writes
// to the shared counter.
func (c *conn) end() {
	c.qmu.Lock()
	t := c.ping
	c.qmu.Unlock()
	if t != nil {
		t.Stop()
	}
	c.writers.Wait()
	c.flushCounts()
}

// flushCounts adds the locally counted writes to the shared counter.
func (c *conn) flushCounts() {
	c.qmu.Lock()
	n := c.sent
	c.sent = 0
	c.qmu.Unlock()
	if n > 0 {
		c.metrics.sent.Add(float64(n))
	}
}

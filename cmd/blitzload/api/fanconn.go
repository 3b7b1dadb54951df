package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// NewFanHTTPClient returns one fan's client: a single keep-alive HTTP/1.1 connection
// (dialled with dial, nil: a plain net.Dialer), each call written and its answer read
// on the caller's own goroutine, bounded by timeout from the request's write to its
// answer's last byte. http.Transport gives every connection a reading and a writing
// goroutine and hands each call to them over channels, and an http.Client timeout
// arms a timer and a goroutine per call: with 10,000 fans that was a large share of
// the load client's CPU. What a call measures does not change: its time starts when
// it is sent and ends when its answer has been read.
func NewFanHTTPClient(timeout time.Duration, dial DialFunc) *http.Client {
	if dial == nil {
		dial = newDialer(nil).DialContext
	}
	return &http.Client{Transport: &fanTransport{dial: dial, timeout: timeout, idleCheck: idleCheckAfter}}
}

// idleCheckAfter is how long a connection may sit idle before a call first checks
// that the server has not closed it (as http.Transport notices in the background).
const idleCheckAfter = time.Second

// fanTransport is NewFanHTTPClient's RoundTripper: one connection, one call at a time.
type fanTransport struct {
	dial      DialFunc
	timeout   time.Duration
	idleCheck time.Duration // idleCheckAfter, but in tests

	// mu is held from a call's write until its answer's body is closed.
	mu       sync.Mutex
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	lastUsed time.Time
}

// errFanTimeout is a call that took longer than the client's timeout.
var errFanTimeout = errors.New("timeout awaiting the answer")

// RoundTrip sends req on the connection (dialling one first when there is none) and
// reads its answer's head; the body is read from the same connection. A call on a
// reused connection that the server had closed before answering anything is sent once
// more on a new one when it may be: a GET or HEAD, or a call with an Idempotency-Key,
// as http.Transport does.
func (t *fanTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		closeReqBody(req)
		return nil, fmt.Errorf("fan transport: scheme %q: only http", req.URL.Scheme)
	}
	ctx := req.Context()
	t.mu.Lock()
	var deadline time.Time
	if t.timeout > 0 {
		deadline = time.Now().Add(t.timeout)
	}
	for attempt := 0; ; attempt++ {
		reused, err := t.connect(ctx, req.URL.Host, deadline)
		if err != nil {
			t.mu.Unlock()
			closeReqBody(req)
			return nil, err
		}
		resp, silent, err := t.exchange(ctx, req, deadline)
		if err == nil {
			return resp, nil
		}
		t.drop()
		if !reused || !silent || attempt > 0 || !replayable(req) || ctx.Err() != nil {
			t.mu.Unlock()
			return nil, err
		}
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				t.mu.Unlock()
				return nil, err
			}
			req = req.Clone(ctx)
			req.Body = body
		}
	}
}

// connect makes sure there is a live connection; reused reports one already open.
func (t *fanTransport) connect(ctx context.Context, host string, deadline time.Time) (reused bool, err error) {
	if t.conn != nil && time.Since(t.lastUsed) >= t.idleCheck && !connAlive(t.conn, t.br) {
		t.drop()
	}
	if t.conn != nil {
		return true, nil
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "80")
	}
	dctx := ctx
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		dctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	c, err := t.dial(dctx, "tcp", host)
	if err != nil {
		if ctx.Err() == nil && dctx.Err() != nil {
			err = fmt.Errorf("dial %s: %w", host, errFanTimeout)
		}
		return false, err
	}
	if t.br == nil {
		t.br = bufio.NewReaderSize(c, 4<<10)
		t.bw = bufio.NewWriterSize(c, 2<<10)
	} else {
		t.br.Reset(c)
		t.bw.Reset(c)
	}
	t.conn = c
	return false, nil
}

// exchange writes req and reads its answer's head. silent reports that the server
// sent nothing at all before the error.
func (t *fanTransport) exchange(ctx context.Context, req *http.Request, deadline time.Time) (resp *http.Response, silent bool, err error) {
	c := t.conn
	if err := c.SetDeadline(deadline); err != nil {
		return nil, true, err
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, bool, error) {
		stop()
		return nil, silent, t.why(ctx, deadline, err)
	}
	silent = true
	if err := req.Write(t.bw); err != nil {
		return fail(err)
	}
	if err := t.bw.Flush(); err != nil {
		return fail(err)
	}
	if _, err := t.br.Peek(1); err != nil {
		return fail(err)
	}
	silent = false
	resp, err = http.ReadResponse(t.br, req)
	if err != nil {
		return fail(err)
	}
	resp.Body = &fanBody{t: t, rc: resp.Body, stop: stop, ctx: ctx, deadline: deadline,
		keep: !resp.Close && !req.Close}
	return resp, false, nil
}

// why names the cause of a failed read or write: the context's end, the timeout, or
// the error itself.
func (t *fanTransport) why(ctx context.Context, deadline time.Time, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if !deadline.IsZero() && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w after %s", errFanTimeout, t.timeout)
	}
	return err
}

// drop closes the connection; the next call dials a new one.
func (t *fanTransport) drop() {
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}

// CloseIdleConnections closes the connection unless a call is using it.
func (t *fanTransport) CloseIdleConnections() {
	if !t.mu.TryLock() {
		return
	}
	t.drop()
	t.mu.Unlock()
}

// fanBody is an answer's body: closing it ends the call and frees the connection,
// kept for the next call when the body was read to its end and neither side asked to
// close.
type fanBody struct {
	t        *fanTransport
	rc       io.ReadCloser
	stop     func() bool
	ctx      context.Context
	deadline time.Time
	keep     bool
	eof      bool
	closed   bool
}

// Read reads the body from the connection.
func (b *fanBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("read on a closed body")
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil:
		b.keep = false
		err = b.t.why(b.ctx, b.deadline, err)
	}
	return n, err
}

// Close ends the call.
func (b *fanBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.stop()
	t := b.t
	if b.keep && b.eof {
		t.lastUsed = time.Now()
	} else {
		t.drop()
	}
	t.mu.Unlock()
	return nil
}

// replayable reports a call that may be sent again when its connection was found
// closed before any answer: what http.Transport sends again in that case.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	return key
}

// closeReqBody closes a request's body, as a RoundTripper must even when it fails.
func closeReqBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

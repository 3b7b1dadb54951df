//go:build unix

package http

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// firstByteConn is a connection whose one-byte reads read what is there (firstbyte.go).
type firstByteConn struct {
	net.Conn
	raw syscall.RawConn
	// readRaw is readSocket bound once (a closure made per read would be allocated per
	// read).
	readRaw func(fd uintptr) bool
	chunks  *sync.Pool

	// chunk holds the bytes read after the one asked for, pending; nil when none are.
	chunk   *[firstByteChunk]byte
	pending []byte
	// n and err are the last socket read's result.
	n   int
	err error
}

// newFirstByteConn wraps c when it exposes its socket (a TCP or Unix connection), and
// returns c as it is otherwise (TLS).
func newFirstByteConn(c net.Conn, chunks *sync.Pool) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	fc := &firstByteConn{Conn: c, raw: raw, chunks: chunks}
	fc.readRaw = fc.readSocket
	return fc
}

// Read reads what a previous one-byte read left first; a one-byte read reads up to
// firstByteChunk bytes at once and keeps the rest.
func (c *firstByteConn) Read(p []byte) (int, error) {
	if c.chunk != nil {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.releaseChunk()
		}
		return n, nil
	}
	if len(p) != 1 {
		return c.Conn.Read(p)
	}
	c.n, c.err = 0, nil
	if err := c.raw.Read(c.readRaw); err != nil {
		return 0, err
	}
	n, err := c.n, c.err
	if n <= 0 {
		return 0, err
	}
	p[0] = c.chunk[0]
	c.pending = c.chunk[1:n]
	if len(c.pending) == 0 {
		c.releaseChunk()
	}
	return 1, nil
}

// readSocket reads the socket once into a chunk it takes from the pool, and reports
// false (wait until the socket is readable, then call again) when the socket has
// nothing yet: what net.Conn's Read does around its read system call. The chunk is
// kept only when bytes were read: a connection waiting for a request holds none.
func (c *firstByteConn) readSocket(fd uintptr) bool {
	chunk := c.chunks.Get().(*[firstByteChunk]byte)
	for {
		n, err := syscall.Read(int(fd), chunk[:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			c.chunks.Put(chunk)
			return false
		case err != nil:
			c.n, c.err = 0, &net.OpError{Op: "read", Net: c.LocalAddr().Network(),
				Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", err)}
		case n == 0:
			c.n, c.err = 0, io.EOF
		default:
			c.n, c.chunk = n, chunk
			return true
		}
		c.chunks.Put(chunk)
		return true
	}
}

// releaseChunk returns the chunk to the pool.
func (c *firstByteConn) releaseChunk() {
	c.chunks.Put(c.chunk)
	c.chunk, c.pending = nil, nil
}

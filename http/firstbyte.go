package http

import (
	"net"
	"sync"
)

// The server releases a connection's read buffer whenever nothing is buffered
// (fasthttp's ReduceMemoryUsage), so that an idle keep-alive connection holds none. It
// then waits for the next request by reading one byte, and reads the rest into a
// buffer taken from a pool: two read system calls for a request that arrived in one
// segment, the first of them for a single byte.
//
// firstByteConn (firstbyte_unix.go) answers that one-byte read with one read of up to
// firstByteChunk bytes into a pooled buffer, taken only once the socket has data (the
// wait is the runtime poller's, as for any read), and hands the bytes after the first
// to the read that follows. Between the two reads the connection holds the buffer;
// while it waits it holds none, as before. Every other read goes to the connection
// itself.

// firstByteChunk is how much the first read of a request takes at most: the server's
// read buffer (Fiber's ReadBufferSize).
const firstByteChunk = 4 << 10

// firstByteListener wraps the connections of a listener in firstByteConn where it can.
type firstByteListener struct {
	net.Listener
	// chunks are the buffers a first read takes, returned when the following read has
	// copied them out.
	chunks *sync.Pool
}

func newFirstByteListener(ln net.Listener) firstByteListener {
	return firstByteListener{Listener: ln,
		chunks: &sync.Pool{New: func() any { return new([firstByteChunk]byte) }}}
}

// Accept returns the next connection, wrapped when it exposes its socket.
func (l firstByteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newFirstByteConn(c, l.chunks), nil
}

// wrapListener wraps a TCP or Unix listener's connections in firstByteConn; any other
// listener (TLS, whose configuration Fiber reads from the listener itself) is served as
// it is.
func wrapListener(ln net.Listener) net.Listener {
	switch ln.(type) {
	case *net.TCPListener, *net.UnixListener:
		return newFirstByteListener(ln)
	}
	return ln
}

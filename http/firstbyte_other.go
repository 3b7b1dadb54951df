//go:build !unix

package http

import (
	"net"
	"sync"
)

// newFirstByteConn returns c as it is: the one-byte read is answered from the socket
// only on Unix.
func newFirstByteConn(c net.Conn, _ *sync.Pool) net.Conn { return c }

//go:build !linux

package api

import (
	"bufio"
	"net"
	"syscall"
)

// canBindNoPort says bindNoPort works here: elsewhere than Linux, loopback addresses
// other than 127.0.0.1 are often not configured, and fans share one source address.
const canBindNoPort = false

// bindNoPort is never called where canBindNoPort is false.
func bindNoPort(_, _ string, _ syscall.RawConn) error { return nil }

// connAlive reports whether an idle connection is still open; elsewhere than Linux it
// cannot tell without reading, and a closed one is found by the call (sent again when
// it may be).
func connAlive(_ net.Conn, br *bufio.Reader) bool { return br == nil || br.Buffered() == 0 }

package api

import (
	"bufio"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// canBindNoPort says bindNoPort works here.
const canBindNoPort = true

// bindNoPort sets IP_BIND_ADDRESS_NO_PORT on a socket about to be bound to a source
// address: the bind takes the address only and the connect picks the port, unique
// for the four-tuple, instead of the bind reserving a port for every destination.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}); err != nil {
		return err
	}
	return serr
}

// connAlive reports whether an idle connection is still open: nothing buffered and
// nothing to read on it (a peek that would block), where the server's close or a
// stray byte would show.
func connAlive(c net.Conn, br *bufio.Reader) bool {
	if br != nil && br.Buffered() > 0 {
		return false
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := true
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, rerr := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		alive = rerr == unix.EAGAIN
		return true
	})
	return err == nil && alive
}

package api

import (
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

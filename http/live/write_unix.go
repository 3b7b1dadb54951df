//go:build unix

package live

import (
	"errors"
	"syscall"
)

// writeNonblocking writes as much of b to rc as the socket takes now, without waiting:
// one system call, no goroutine parked, no deadline. A full send buffer writes 0 bytes
// and no error.
func writeNonblocking(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if !errors.Is(werr, syscall.EINTR) {
				return true
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errors.Is(werr, syscall.EAGAIN):
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return max(n, 0), nil
}

//go:build !unix

package live

import "syscall"

// writeNonblocking writes nothing: without a Unix descriptor every frame goes through
// the connection's writer goroutine.
func writeNonblocking(syscall.RawConn, []byte) (int, error) { return 0, nil }

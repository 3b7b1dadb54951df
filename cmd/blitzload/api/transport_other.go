//go:build !linux

package api

import "syscall"

// canBindNoPort says bindNoPort works here: elsewhere than Linux, loopback addresses
// other than 127.0.0.1 are often not configured, and fans share one source address.
const canBindNoPort = false

// bindNoPort is never called where canBindNoPort is false.
func bindNoPort(_, _ string, _ syscall.RawConn) error { return nil }

package testenv

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time the test process has used (user + system): on a shared
// machine a truer cost for a benchmark than ns/op, which counts the time other
// processes run.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

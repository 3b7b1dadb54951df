package main

import (
	"fmt"
	"runtime/debug"

	"go.uber.org/zap"
)

// applyGCPacing sets the Go runtime's collector pacing from gc-percent and
// memory-limit-mib, each only when set (0 leaves the runtime's own: GOGC, GOMEMLIMIT or
// their defaults). A higher percentage collects less often, trading memory for CPU; the
// limit caps that trade, as the runtime then collects as often as the limit needs. It
// applies to the whole process, so only serve calls it.
func applyGCPacing(c config, log *zap.Logger) {
	if c.GCPercent != 0 {
		old := debug.SetGCPercent(c.GCPercent)
		log.Info("collector pacing set", zap.Int("gc_percent", c.GCPercent), zap.Int("was", old))
	}
	if c.MemoryLimitMiB > 0 {
		old := debug.SetMemoryLimit(int64(c.MemoryLimitMiB) << 20)
		log.Info("memory limit set", zap.Int("memory_limit_mib", c.MemoryLimitMiB), zap.Int64("was_bytes", old))
	}
}

// validateGCPacing checks gc-percent and memory-limit-mib.
func validateGCPacing(c config) []error {
	var errs []error
	if c.GCPercent != 0 && (c.GCPercent < 25 || c.GCPercent > 10000) {
		errs = append(errs, fmt.Errorf("gc-percent %d: between 25 and 10000, or 0 for the runtime's own", c.GCPercent))
	}
	if c.MemoryLimitMiB < 0 {
		errs = append(errs, fmt.Errorf("memory-limit-mib %d: negative (0 for the runtime's own)", c.MemoryLimitMiB))
	}
	return errs
}

package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"go.uber.org/zap"
)

// defaultGCPercent is the collector's pacing when neither gc-percent nor GOGC sets it:
// four times the live heap may be allocated between collections, not the runtime's
// once (GOGC=100). A rush allocates fast and keeps little, so this runs a quarter of the
// collections, for a larger heap between them (BENCHMARKS.md, "CPU per decision").
const defaultGCPercent = 400

// defaultMemoryLimitRatio is the share of the memory the process may use (its cgroup's
// limit, or the machine's memory where there is none) that the default soft memory
// limit is: near it the collector runs as often as it must, whatever the pacing.
const defaultMemoryLimitRatio = 0.9

// gcPacing is what the engine sets: a zero field leaves the runtime's own.
type gcPacing struct {
	percent     int
	percentFrom string
	limit       int64 // bytes
	limitFrom   string
}

// gcPacingFor decides the collector's pacing and soft memory limit:
//   - gc-percent when set; else GOGC's (left to the runtime) when GOGC is set; else
//     defaultGCPercent;
//   - memory-limit-mib when set; else GOMEMLIMIT's (left to the runtime; GOMEMLIMIT=off
//     for none) when GOMEMLIMIT is set; else defaultMemoryLimitRatio of what available
//     reports (none when it reports nothing).
func gcPacingFor(c config, getenv func(string) string, available memlimit.Provider) gcPacing {
	var p gcPacing
	switch {
	case c.GCPercent != 0:
		p.percent, p.percentFrom = c.GCPercent, "gc-percent"
	case getenv("GOGC") != "":
		p.percentFrom = "GOGC"
	default:
		p.percent, p.percentFrom = defaultGCPercent, "default"
	}
	switch {
	case c.MemoryLimitMiB > 0:
		p.limit, p.limitFrom = int64(c.MemoryLimitMiB)<<20, "memory-limit-mib"
	case getenv("GOMEMLIMIT") != "":
		p.limitFrom = "GOMEMLIMIT"
	default:
		p.limitFrom = "none known"
		if avail, err := available(); err == nil && avail > 0 {
			p.limit, p.limitFrom = int64(float64(avail)*defaultMemoryLimitRatio), "default"
		}
	}
	return p
}

// availableMemory is the memory the process may use: its cgroup's limit, or else the
// machine's memory.
var availableMemory = memlimit.ApplyFallback(memlimit.FromCgroup, memlimit.FromSystem)

// applyGCPacing sets the Go runtime's collector pacing and soft memory limit (see
// gcPacingFor). A higher percentage collects less often, trading memory for CPU; the
// limit caps that trade, as the runtime then collects as often as the limit needs. It
// applies to the whole process, so only serve calls it.
func applyGCPacing(c config, log *zap.Logger) {
	p := gcPacingFor(c, os.Getenv, availableMemory)
	if p.percent != 0 {
		old := debug.SetGCPercent(p.percent)
		log.Info("collector pacing set", zap.Int("gc_percent", p.percent), zap.String("from", p.percentFrom), zap.Int("was", old))
	} else {
		log.Info("collector pacing left to the runtime", zap.String("from", p.percentFrom))
	}
	if p.limit > 0 {
		old := debug.SetMemoryLimit(p.limit)
		log.Info("memory limit set", zap.Int64("memory_limit_mib", p.limit>>20), zap.String("from", p.limitFrom), zap.Int64("was_bytes", old))
	} else {
		log.Info("memory limit left to the runtime", zap.String("from", p.limitFrom))
	}
}

// validateGCPacing checks gc-percent and memory-limit-mib.
func validateGCPacing(c config) []error {
	var errs []error
	if c.GCPercent != 0 && (c.GCPercent < 25 || c.GCPercent > 10000) {
		errs = append(errs, fmt.Errorf("gc-percent %d: between 25 and 10000, or 0 for the default", c.GCPercent))
	}
	if c.MemoryLimitMiB < 0 {
		errs = append(errs, fmt.Errorf("memory-limit-mib %d: negative (0 for the default; GOMEMLIMIT=off for none)", c.MemoryLimitMiB))
	}
	return errs
}

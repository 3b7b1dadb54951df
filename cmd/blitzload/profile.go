package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiles are the profiles of blitzload's own process a command writes: the load
// client shares the machine with what it measures, so its CPU is part of every result.
type profiles struct {
	CPU string
	Mem string
}

// bind declares --cpuprofile (and its older name --cpu-profile) and --memprofile on fs.
func (p *profiles) bind(fs *flag.FlagSet) {
	fs.StringVar(&p.CPU, "cpuprofile", p.CPU, "write blitzload's own CPU profile (pprof) of the command to this file")
	fs.StringVar(&p.CPU, "cpu-profile", p.CPU, "the same as --cpuprofile")
	fs.StringVar(&p.Mem, "memprofile", p.Mem, "write blitzload's own allocation profile (pprof: what was allocated over the command, and the heap in use at its end) to this file")
}

// start begins the CPU profile, if asked for; the returned stop ends it and writes the
// memory profile, if asked for, telling stderr when that fails.
func (p profiles) start(stderr io.Writer) (stop func(), err error) {
	var cpu *os.File
	if p.CPU != "" {
		if cpu, err = os.Create(p.CPU); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
	}
	return func() {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				errs = append(errs, fmt.Errorf("cpu profile: %w", err))
			}
		}
		if p.Mem != "" {
			errs = append(errs, writeMemProfile(p.Mem))
		}
		if err := errors.Join(errs...); err != nil {
			fmt.Fprintf(stderr, "blitzload: %v\n", err)
		}
	}, nil
}

// writeMemProfile writes the allocation profile to path, after a collection so the
// heap in use is up to date.
func writeMemProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("memory profile: %w", err)
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("memory profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("memory profile: %w", err)
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/bench"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// clusterRun is what a command that starts its own cluster of server processes (chaos,
// soak) needs before it starts: a work directory, a server binary and the benchmarks
// file to write.
type clusterRun struct {
	// name prefixes messages and the temporary work directory.
	name string
	// workDir, serverBin and benchFile are the flags' values; prepare fills the empty
	// ones with their defaults.
	workDir, serverBin, benchFile string
	// noWrite says no benchmarks file is wanted.
	noWrite bool
}

// prepare makes a work directory when none was given, builds the server into it when no
// binary was given, defaults the benchmarks file to BENCHMARKS.md at the module root, and
// prints the machine and the work directory to stderr. It returns the machine's
// description, for the benchmarks file.
func (r *clusterRun) prepare(ctx context.Context, stderr io.Writer) (machine string, err error) {
	if r.workDir == "" {
		if r.workDir, err = os.MkdirTemp("", "blitzload-"+r.name+"-"); err != nil {
			return "", fmt.Errorf("%s: %w", r.name, err)
		}
	}
	var moduleDir string
	if r.serverBin == "" || (r.benchFile == "" && !r.noWrite) {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("%s: %w", r.name, err)
		}
		if moduleDir, err = serverproc.FindModuleDir(wd); err != nil {
			return "", fmt.Errorf("%s: %w (give --server-bin and --benchmarks-file)", r.name, err)
		}
	}
	if r.serverBin == "" {
		fmt.Fprintf(stderr, "%s: building the server\n", r.name)
		if r.serverBin, err = serverproc.Build(ctx, moduleDir, r.workDir); err != nil {
			return "", err
		}
	}
	if r.benchFile == "" && moduleDir != "" {
		r.benchFile = filepath.Join(moduleDir, "BENCHMARKS.md")
	}
	machine = bench.ReadMachine().String()
	fmt.Fprintf(stderr, "%s: %s; work directory %s\n", r.name, machine, r.workDir)
	return machine, nil
}

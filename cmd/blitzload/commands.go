package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes.
const (
	exitOK         = 0
	exitError      = 1
	exitViolations = 2
	exitUsage      = 64
)

const usage = `blitzload — the TicketBlitz fan army

usage:
  blitzload flash  [flags]   N fans rush one section at the same instant
  blitzload hot    [flags]   C callers loop hold/release on one section (durable holds/s)
  blitzload steady [flags]   constant arrival rate of holds over many sections (open model)
  blitzload mixed  [flags]   browsing plus holds and confirms at a constant arrival rate
  blitzload bench  [flags]   actor vs lock vs pg side by side, raw references, BENCHMARKS.md
  blitzload live   [flags]   websocket fan-out: delivery latency, memory per connection, CPU
  blitzload chaos  [flags]   a cluster of processes, one fault mid-sale, audits and failover times
  blitzload soak   [flags]   a long mixed sale on a cluster: rows, memory, outbox lag over time, kill -9, audit
  blitzload subscribers      (started by flash --ws when fans and subscriptions exceed one process's open files)
  blitzload bareref          (started by flash --queue: the bare reference server, a process of its own)
  blitzload help [command]

Every run is audited from the fans' own records; the exit code is 2 when the audit
finds a violation. "blitzload COMMAND -h" lists a command's flags.

The load client shares the machine with what it measures: --cpuprofile FILE and
--memprofile FILE on every command write its own CPU and allocation profiles (pprof).
It runs its garbage collector at GOGC=400 unless GOGC is set.
`

// errUsage marks a command-line mistake.
var errUsage = errors.New("usage")

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "flash", "hot", "steady", "mixed":
		err = runScenario(ctx, cmd, rest, getenv, stdout, stderr)
	case "bench":
		err = runBench(ctx, rest, getenv, stdout, stderr)
	case "live":
		err = runLive(ctx, rest, getenv, stdout, stderr)
	case "chaos":
		err = runChaos(ctx, rest, getenv, stdout, stderr)
	case "soak":
		err = runSoak(ctx, rest, getenv, stdout, stderr)
	case "subscribers":
		err = runSubscribers(ctx, rest, os.Stdin, stdout, stderr)
	case "bareref":
		err = runBareRef(ctx, getenv, os.Stdin, stdout)
	case "help", "-h", "--help":
		if len(rest) > 0 {
			return run(ctx, []string{rest[0], "-h"}, getenv, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "blitzload: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	var v violationsError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "blitzload %s: %v\n", cmd, err)
		return exitUsage
	case errors.As(err, &v):
		fmt.Fprintf(stderr, "blitzload %s: %v\n", cmd, err)
		return exitViolations
	default:
		fmt.Fprintf(stderr, "blitzload %s: %v\n", cmd, err)
		return exitError
	}
}

// violationsError reports an audit that found violations.
type violationsError struct{ n int }

func (v violationsError) Error() string { return fmt.Sprintf("audit found %d violations", v.n) }

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// commandLine renders the command as it was given, for reports.
func commandLine(args []string) string {
	parts := []string{"blitzload"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

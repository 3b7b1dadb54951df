package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/bench"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/fdlimit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// runBench runs the side-by-side benchmark.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("blitzload bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := bench.Config{}
	var strategies, flashStrategies, steadyRates, benchFile, jsonOut string
	var noWrite bool
	fs.StringVar(&c.ServerBin, "server-bin", "", "server binary (default: go build ./cmd/ticketblitz into a temporary directory)")
	fs.StringVar(&strategies, "strategies", strings.Join(bench.DefaultStrategies, ","), "strategies to compare, in order")
	fs.StringVar(&c.Ports, "ports", "", "HTTP port range lo-hi for the servers (default: any free port)")
	serviceFlags(fs, getenv, &c.PostgresURL, &c.RedisURL, &c.JWTSecret, "PostgreSQL server (its database name is replaced by fresh ones)")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed")
	fs.IntVar(&c.HotCallers, "hot-callers", 1000, "hot: concurrent callers")
	fs.DurationVar(&c.HotDuration, "hot-duration", 15*time.Second, "hot: how long each strategy runs")
	fs.StringVar(&c.HotMode, "hot-mode", "best", "hot: best or random")
	fs.IntVar(&c.FlashFans, "flash-fans", 2000, "flash: fans")
	fs.IntVar(&c.FlashSeats, "flash-seats", 2000, "flash: seats of the section")
	fs.BoolVar(&c.FlashWS, "ws", false, "flash: subscribe every fan to the event's websocket")
	fs.StringVar(&flashStrategies, "flash-strategies", "", "flash: run the flash sale on these strategies only (default: every strategy)")
	fs.StringVar(&steadyRates, "steady-rates", "1000,4000", "steady: offered hold arrivals per second, one run per rate; empty skips steady")
	fs.DurationVar(&c.SteadyDuration, "steady-duration", 10*time.Second, "steady: how long each rate is offered")
	fs.IntVar(&c.SteadySections, "steady-sections", 20, "steady: sections of each fresh event")
	fs.IntVar(&c.SteadyWorkers, "steady-workers", 1000, "steady: workers (concurrent requests, one connection each)")
	fs.IntVar(&c.SteadyUsers, "steady-users", 2000, "steady: users the arrivals cycle through")
	fs.DurationVar(&c.SteadyMaxLate, "steady-max-late", time.Second, "steady: drop (count, do not send) an arrival no worker could start within this of its time")
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.DurationVar(&c.PgbenchDuration, "pgbench-duration", 10*time.Second, "pgbench -T")
	fs.IntVar(&c.PgbenchClients, "pgbench-clients", 8, "pgbench -c")
	fs.IntVar(&c.PgbenchThreads, "pgbench-threads", 2, "pgbench -j")
	fs.IntVar(&c.RedisRequests, "redis-requests", 200000, "redis-benchmark -n")
	fs.IntVar(&c.RedisClients, "redis-clients", 50, "redis-benchmark -c")
	fs.BoolVar(&c.SkipRefs, "skip-refs", false, "skip the pgbench and redis-benchmark references")
	fs.StringVar(&benchFile, "benchmarks-file", "", "markdown file to write the section into (default BENCHMARKS.md at the module root)")
	fs.BoolVar(&noWrite, "no-write", false, "print the table but do not write the benchmarks file")
	fs.StringVar(&jsonOut, "json", "", "write every result as JSON to this file")
	var prof profiles
	prof.bind(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	stopProfiles, err := prof.start(stderr)
	if err != nil {
		return err
	}
	defer stopProfiles()
	c.Strategies, c.FlashStrategies = splitList(strategies), splitList(flashStrategies)
	rates, err := bench.ParseRates(steadyRates)
	if err != nil {
		return fmt.Errorf("%w: steady-rates: %v", errUsage, err)
	}
	c.SteadyRates = rates
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if c.ServerBin == "" || benchFile == "" {
		if c.ModuleDir, err = serverproc.FindModuleDir(wd); err != nil {
			return fmt.Errorf("bench: %w (give --server-bin and --benchmarks-file)", err)
		}
	}
	if benchFile == "" {
		benchFile = filepath.Join(c.ModuleDir, "BENCHMARKS.md")
	}
	if !noWrite {
		c.BenchFile = benchFile
	}
	limit, err := fdlimit.Raise()
	if err != nil {
		fmt.Fprintf(stderr, "blitzload: %v; going on with %s\n", err, limit)
	}
	c.Limit, c.Out, c.TTY = limit, stderr, isTerminal(stderr)
	c.Command = commandLine(append([]string{"bench"}, args...))
	fmt.Fprintf(stderr, "bench: %s; %s\n", bench.ReadMachine(), limit)

	res, runErr := bench.Run(ctx, c)
	if res != nil {
		fmt.Fprint(stdout, bench.Markdown(res))
		for _, s := range res.Strategies {
			writeAudits(stdout, s)
		}
		if jsonOut != "" {
			data, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				return fmt.Errorf("bench JSON: %w", err)
			}
			if err := os.WriteFile(jsonOut, data, 0o644); err != nil {
				return fmt.Errorf("bench JSON: %w", err)
			}
		}
		if runErr == nil && c.BenchFile != "" {
			fmt.Fprintf(stderr, "bench: wrote the section of %s\n", c.BenchFile)
		}
	}
	if runErr != nil {
		return runErr
	}
	n := 0
	for _, s := range res.Strategies {
		n += s.Violations()
	}
	if n > 0 {
		return violationsError{n: n}
	}
	return nil
}

// writeAudits prints each run's audit verdict.
func writeAudits(w io.Writer, s bench.StrategyResult) {
	if s.Hot != nil && s.Hot.Audit != nil {
		fmt.Fprintf(w, "%s hot: ", s.Strategy)
		_ = s.Hot.Audit.WriteText(w)
	}
	if s.Flash != nil && s.Flash.Audit != nil {
		fmt.Fprintf(w, "%s flash: ", s.Strategy)
		_ = s.Flash.Audit.WriteText(w)
	}
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

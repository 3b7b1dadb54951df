package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/benchfile"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/chaos"
)

// The markers of the chaos section of BENCHMARKS.md.
const (
	chaosBegin = "<!-- blitzload:chaos:begin -->"
	chaosEnd   = "<!-- blitzload:chaos:end -->"
)

// runChaos runs the cluster chaos scenarios, prints each result and, unless told not
// to, writes the table into BENCHMARKS.md.
func runChaos(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("blitzload chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c chaos.Config
	var scenarios, benchFile, jsonOut string
	var noWrite bool
	var throughput string
	fs.StringVar(&scenarios, "scenarios", "all", "comma-separated: kill, stop, add, drain, restart, none (no fault), or all; empty for none at all")
	var throughputFans int
	fs.StringVar(&throughput, "throughput", "", "also run the sale without a fault on clusters of these sizes, e.g. 1,2,3")
	fs.IntVar(&throughputFans, "throughput-fans", 240, "concurrent fans of the runs without a fault (enough to keep the nodes busy)")
	fs.StringVar(&c.ServerBin, "server-bin", "", "server binary (default: go build ./cmd/ticketblitz, without -race, into the work directory)")
	serviceFlags(fs, getenv, &c.PostgresURL, &c.RedisURL, &c.JWTSecret, "PostgreSQL server (each scenario gets a fresh database)")
	fs.StringVar(&c.WorkDir, "work-dir", "", "directory for the processes' logs (default: a new temporary directory, kept)")
	fs.IntVar(&c.Nodes, "nodes", 3, "nodes before the fault")
	fs.IntVar(&c.Fans, "fans", 60, "concurrent fans")
	fs.IntVar(&c.Sections, "sections", 10, "reserved sections")
	fs.IntVar(&c.SeatsPerSection, "seats", 100, "seats per reserved section")
	fs.IntVar(&c.GACapacity, "ga-capacity", 200, "capacity of the general-admission section")
	fs.DurationVar(&c.Warmup, "warmup", 4*time.Second, "sale before the fault")
	fs.DurationVar(&c.After, "after", 10*time.Second, "sale after the fault")
	fs.DurationVar(&c.StopFor, "stop-for", 6*time.Second, "stop: how long the node stays paused")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed of the fans' choices")
	fs.BoolVar(&c.KeepDatabase, "keep-db", false, "keep each scenario's database")
	fs.StringVar(&benchFile, "benchmarks-file", "", "markdown file to write the table into (default BENCHMARKS.md at the module root)")
	fs.BoolVar(&noWrite, "no-write", false, "do not write the benchmarks file")
	fs.StringVar(&jsonOut, "json", "", "write the results as JSON to this file")
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
	var list []chaos.Scenario
	if strings.TrimSpace(scenarios) != "" {
		if list, err = chaos.ParseScenarios(scenarios); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	sizes, err := parseSizes(throughput)
	if err != nil {
		return fmt.Errorf("%w: --throughput: %v", errUsage, err)
	}
	if len(list) == 0 && len(sizes) == 0 {
		return fmt.Errorf("%w: nothing to run", errUsage)
	}
	prep := clusterRun{name: "chaos", workDir: c.WorkDir, serverBin: c.ServerBin, benchFile: benchFile, noWrite: noWrite}
	machine, err := prep.prepare(ctx, stderr)
	if err != nil {
		return err
	}
	c.WorkDir, c.ServerBin, benchFile = prep.workDir, prep.serverBin, prep.benchFile
	c.Progress = stderr

	started := time.Now()
	var results []chaos.Result
	violations := 0
	type run struct {
		sc          chaos.Scenario
		nodes, fans int
	}
	var runs []run
	for _, sc := range list {
		runs = append(runs, run{sc, c.Nodes, c.Fans})
	}
	for _, n := range sizes {
		runs = append(runs, run{chaos.None, n, throughputFans})
	}
	for _, rn := range runs {
		rc := c
		rc.Nodes, rc.Fans = rn.nodes, rn.fans
		res, err := chaos.Run(ctx, rc, rn.sc)
		if err != nil {
			return fmt.Errorf("chaos %s: %w (logs in %s)", rn.sc, err, res.WorkDir)
		}
		chaos.WriteText(stdout, res)
		results = append(results, res)
		if !res.OK() {
			violations += max(1, res.Audit.Total()+len(res.Linear.Illegal)+len(res.Stream.Violations))
		}
	}
	if jsonOut != "" {
		data, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return fmt.Errorf("chaos JSON: %w", err)
		}
		if err := os.WriteFile(jsonOut, data, 0o644); err != nil {
			return fmt.Errorf("chaos JSON: %w", err)
		}
	}
	if !noWrite && benchFile != "" {
		date := started.UTC().Format("2006-01-02 15:04 UTC")
		section := chaosBegin + "\n" + chaos.Markdown(results, machine, commandLine(append([]string{"chaos"}, args...)), date) + "\n" + chaosEnd + "\n"
		if err := benchfile.Write(benchFile, chaosBegin, chaosEnd, section, "# TicketBlitz benchmarks\n"); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "chaos: wrote the section of %s\n", benchFile)
	}
	if violations > 0 {
		return violationsError{n: violations}
	}
	return nil
}

// parseSizes parses a comma-separated list of cluster sizes.
func parseSizes(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	sizes, err := parseCounts(s)
	if err != nil {
		return nil, err
	}
	for _, n := range sizes {
		if n < 1 || n > 9 {
			return nil, fmt.Errorf("%d: want a number of nodes from 1 to 9", n)
		}
	}
	return sizes, nil
}

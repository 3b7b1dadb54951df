package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/benchfile"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/soak"
)

// The markers of the soak section of BENCHMARKS.md.
const (
	soakBegin = "<!-- blitzload:soak:begin -->"
	soakEnd   = "<!-- blitzload:soak:end -->"
)

// runSoak runs a long mixed sale on a cluster, kills the node of the busiest section,
// audits the run, prints the result and, unless told not to, writes the section of
// BENCHMARKS.md.
func runSoak(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("blitzload soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c soak.Config
	var benchFile, jsonOut string
	var noWrite bool
	fs.StringVar(&c.ServerBin, "server-bin", "", "server binary (default: go build ./cmd/ticketblitz, without -race, into the work directory)")
	serviceFlags(fs, getenv, &c.PostgresURL, &c.RedisURL, &c.JWTSecret, "PostgreSQL server (the run gets a fresh database)")
	fs.StringVar(&c.WorkDir, "work-dir", "", "directory for the processes' logs, the records and the report (default: a new temporary directory, kept)")
	fs.IntVar(&c.Nodes, "nodes", 2, "node processes")
	fs.DurationVar(&c.Duration, "duration", time.Minute, "how long the mixed sale runs")
	fs.Float64Var(&c.Rate, "rate", 15, "fan journeys started per second")
	fs.IntVar(&c.Sections, "sections", 4, "sections the journeys visit (section i draws 1/i of them)")
	fs.IntVar(&c.SeatsPerSection, "seats", 2000, "seats per section")
	fs.IntVar(&c.Users, "users", 1000, "fans sharing the journeys")
	fs.DurationVar(&c.HoldTTL, "hold-ttl", 15*time.Second, "the nodes' hold TTL")
	fs.DurationVar(&c.IdempotencyRetention, "idempotency-retention", 10*time.Minute, "the nodes' idempotency-retention")
	fs.DurationVar(&c.OutboxRetention, "outbox-retention", 30*time.Second, "the nodes' outbox-retention")
	fs.DurationVar(&c.NotificationsRetention, "notifications-retention", 30*time.Second, "the nodes' notifications-retention")
	fs.DurationVar(&c.SampleEvery, "sample-every", 0, "time between samples (default: a twelfth of the duration, from 2s to 1m)")
	fs.DurationVar(&c.ExpirySlack, "expiry-slack", 10*time.Second, "how long past its expiry a hold may still be held")
	fs.IntVar(&c.BurstHolds, "burst-holds", 200, "holds placed on the busiest section just before the kill")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", 200, "journeys under way at most; an arrival beyond is skipped and counted")
	fs.IntVar(&c.PostgresPool, "postgres-pool", 6, "each node's PostgreSQL connections")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed of the journeys' choices")
	fs.BoolVar(&c.KeepDatabase, "keep-db", false, "keep the run's database")
	fs.StringVar(&benchFile, "benchmarks-file", "", "markdown file to write the section into (default BENCHMARKS.md at the module root)")
	fs.BoolVar(&noWrite, "no-write", false, "do not write the benchmarks file")
	fs.StringVar(&jsonOut, "json", "", "write the result as JSON to this file")
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
	prep := clusterRun{name: "soak", workDir: c.WorkDir, serverBin: c.ServerBin, benchFile: benchFile, noWrite: noWrite}
	machine, err := prep.prepare(ctx, stderr)
	if err != nil {
		return err
	}
	c.WorkDir, c.ServerBin, benchFile = prep.workDir, prep.serverBin, prep.benchFile
	c.Progress = stderr
	started := time.Now()
	res, err := soak.Run(ctx, c)
	if err != nil {
		return fmt.Errorf("%w (logs in %s)", err, c.WorkDir)
	}
	soak.WriteText(stdout, res)
	if jsonOut != "" {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return fmt.Errorf("soak JSON: %w", err)
		}
		if err := os.WriteFile(jsonOut, data, 0o644); err != nil {
			return fmt.Errorf("soak JSON: %w", err)
		}
	}
	if !noWrite && benchFile != "" {
		date := started.UTC().Format("2006-01-02 15:04 UTC")
		section := soakBegin + "\n" + soak.Markdown(res, machine, commandLine(append([]string{"soak"}, args...)), date) + "\n" + soakEnd + "\n"
		if err := benchfile.Write(benchFile, soakBegin, soakEnd, section, "# TicketBlitz benchmarks\n"); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "soak: wrote the section of %s\n", benchFile)
	}
	if !res.OK() {
		return violationsError{n: max(1, res.Audit.Total()+int(res.MaxOverdue()))}
	}
	return nil
}

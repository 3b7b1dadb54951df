package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/fdlimit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/livebench"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// runLive measures the live layer (blitzload live).
func runLive(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("blitzload live", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := livebench.Config{}
	var subs, rates, benchFile, jsonOut string
	var fanout float64
	var noWrite bool
	fs.StringVar(&c.Target, "target", "", "measure this running server instead of starting one per subscriber count")
	fs.IntVar(&c.PID, "pid", 0, "with --target: the server's process id, for its memory and CPU")
	fs.StringVar(&c.ServerBin, "server-bin", "", "server binary (default: go build ./cmd/ticketblitz into a temporary directory)")
	serviceFlags(fs, getenv, &c.PostgresURL, &c.RedisURL, &c.JWTSecret, "PostgreSQL server (its database name is replaced by fresh ones)")
	fs.StringVar(&subs, "subscribers", "1000", "idle websocket subscribers; a comma-separated list runs each on a fresh server")
	fs.StringVar(&rates, "rate", "", "paced decisions (holds + releases) per second, one per subscriber count (the last repeats); default: --fanout ÷ subscribers, at most 500")
	fs.Float64Var(&fanout, "fanout", 40000, "without --rate: the messages/s to ask of the fan-out (at most one version per decision, each to every subscriber)")
	fs.IntVar(&c.DialConcurrency, "dial-concurrency", 128, "subscribers connecting at once")
	fs.DurationVar(&c.Duration, "duration", 15*time.Second, "how long the load runs (and the baseline with no subscriber)")
	fs.IntVar(&c.Fans, "fans", 16, "fans driving the load, each its own user and connection")
	fs.IntVar(&c.Seats, "seats", 2000, "seats of the reserved section")
	fs.DurationVar(&c.Idle, "idle", 3*time.Second, "how long the subscribers sit idle before the memory is read")
	fs.StringVar(&benchFile, "benchmarks-file", "", "markdown file to write the section into (default BENCHMARKS.md at the module root)")
	fs.BoolVar(&noWrite, "no-write", false, "print the table but do not write the benchmarks file")
	fs.StringVar(&jsonOut, "json", "", "write the results as JSON to this file")
	var prof profiles
	prof.bind(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if c.Subscribers, err = parseCounts(subs); err != nil {
		return fmt.Errorf("%w: --subscribers: %v", errUsage, err)
	}
	switch {
	case rates != "":
		if c.Rates, err = parseRates(rates); err != nil {
			return fmt.Errorf("%w: --rate: %v", errUsage, err)
		}
	case fanout > 0:
		c.Rates = autoRates(c.Subscribers, fanout)
	default:
		return fmt.Errorf("%w: --fanout must be positive", errUsage)
	}
	if len(c.Rates) > len(c.Subscribers) {
		return fmt.Errorf("%w: --rate gives %d rates for %d subscriber counts", errUsage, len(c.Rates), len(c.Subscribers))
	}
	if c.Duration <= 0 || c.Fans < 1 || c.Seats < c.Fans || c.DialConcurrency < 1 {
		return fmt.Errorf("%w: duration must be positive, fans and dial concurrency at least 1 and seats at least fans", errUsage)
	}
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	if (c.Target == "" && c.ServerBin == "") || (benchFile == "" && !noWrite) {
		if c.ModuleDir, err = serverproc.FindModuleDir(wd); err != nil {
			return fmt.Errorf("live: %w (give --server-bin and --benchmarks-file)", err)
		}
	}
	if !noWrite {
		if benchFile == "" {
			benchFile = filepath.Join(c.ModuleDir, "BENCHMARKS.md")
		}
		c.BenchFile = benchFile
	}
	limit, err := fdlimit.Raise()
	if err != nil {
		fmt.Fprintf(stderr, "blitzload: %v; going on with %s\n", err, limit)
	}
	c.Limit, c.Out = limit, stderr
	c.Command = commandLine(append([]string{"live"}, args...))
	fmt.Fprintf(stderr, "live: %s; %s\n", livebench.ReadMachineLine(), limit)
	stopProfiles, err := prof.start(stderr)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	defer stopProfiles()
	res, runErr := livebench.Run(ctx, c)
	if res != nil {
		fmt.Fprint(stdout, livebench.Text(res))
		if jsonOut != "" {
			data, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				return fmt.Errorf("live JSON: %w", err)
			}
			if err := os.WriteFile(jsonOut, data, 0o644); err != nil {
				return fmt.Errorf("live JSON: %w", err)
			}
		}
		if c.BenchFile != "" && !res.Ended.IsZero() {
			fmt.Fprintf(stderr, "live: wrote the live section of %s\n", c.BenchFile)
		}
	}
	return runErr
}

// parseCounts reads a comma-separated list of non-negative counts.
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a count", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no count in %q", s)
	}
	return out, nil
}

// parseRates reads a comma-separated list of positive rates.
func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive rate", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no rate in %q", s)
	}
	return out, nil
}

// maxAutoRate caps the decisions/s autoRates picks, for small subscriber counts.
const maxAutoRate = 500

// autoRates picks, for each subscriber count, the decisions/s whose fan-out is at most
// fanout messages/s: a decision makes at most one version, and each version goes to
// every subscriber.
func autoRates(counts []int, fanout float64) []float64 {
	out := make([]float64, len(counts))
	for i, n := range counts {
		out[i] = min(maxAutoRate, fanout/float64(max(n, 1)))
	}
	return out
}

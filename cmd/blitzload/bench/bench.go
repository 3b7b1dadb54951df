package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/fdlimit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// DefaultStrategies are the strategies a run compares unless told otherwise: the actor
// and both classic designs, on the same offered load.
var DefaultStrategies = []string{"actor", "lock", "pg"}

// Config is everything the side-by-side run needs.
type Config struct {
	// ServerBin is the server binary; empty builds ./cmd/ticketblitz of ModuleDir.
	ServerBin string
	ModuleDir string
	// Strategies to compare, in order (default DefaultStrategies).
	Strategies []string
	// Ports is a range "lo-hi" for the servers' HTTP ports; empty takes any free port.
	Ports       string
	PostgresURL string
	RedisURL    string
	JWTSecret   string
	Seed        uint64

	HotCallers  int
	HotDuration time.Duration
	HotMode     string
	FlashFans   int
	FlashSeats  int
	FlashWS     bool
	// FlashStrategies, when set, limits the flash sale to these strategies (a 10,000-fan
	// sale on the lock strategy takes many minutes); the others show no flash numbers.
	FlashStrategies []string
	Timeout         time.Duration

	// SteadyRates is the ladder of offered hold arrivals per second; empty skips steady.
	SteadyRates    []float64
	SteadyDuration time.Duration
	SteadySections int
	SteadyWorkers  int
	SteadyUsers    int
	// SteadyMaxLate drops arrivals no worker could start this late (see scenario.Config).
	SteadyMaxLate time.Duration

	PgbenchDuration time.Duration
	PgbenchClients  int
	PgbenchThreads  int
	RedisRequests   int
	RedisClients    int
	SkipRefs        bool

	// BenchFile is the markdown file whose marked section is replaced; empty skips it.
	BenchFile string
	// Command is the command line, as written into the file.
	Command string
	Out     io.Writer
	TTY     bool
	Limit   fdlimit.Limit
}

// StrategyResult is one strategy's run.
type StrategyResult struct {
	Strategy string            `json:"strategy"`
	Hot      *scenario.Outcome `json:"hot,omitempty"`
	Flash    *scenario.Outcome `json:"flash,omitempty"`
	// Steady holds one step per offered rate, in ladder order.
	Steady []SteadyStep `json:"steady,omitempty"`
	// Server memory in KiB: idle before the flash sale, with every fan connected,
	// and the peak during the sale.
	RSSIdle      int64  `json:"rss_idle_kib"`
	RSSConnected int64  `json:"rss_connected_kib"`
	RSSPeak      int64  `json:"rss_peak_kib"`
	Connections  int    `json:"connections"`
	Error        string `json:"error,omitempty"`
}

// Violations counts the audit violations of every run.
func (s StrategyResult) Violations() int {
	n := 0
	outs := []*scenario.Outcome{s.Hot, s.Flash}
	for _, st := range s.Steady {
		outs = append(outs, st.Outcome)
	}
	for _, o := range outs {
		if o != nil && o.Audit != nil {
			n += o.Audit.Total()
		}
	}
	return n
}

// Result is the whole benchmark.
type Result struct {
	Started    time.Time        `json:"started"`
	Ended      time.Time        `json:"ended"`
	Machine    Machine          `json:"machine"`
	Command    string           `json:"command"`
	Config     Config           `json:"-"`
	Strategies []StrategyResult `json:"strategies"`
	Refs       []Ref            `json:"refs"`
}

// Run measures every strategy in turn, then the raw references, and writes the
// marked section of the benchmark file.
func Run(ctx context.Context, c Config) (*Result, error) {
	if len(c.Strategies) == 0 {
		c.Strategies = DefaultStrategies
	}
	res := &Result{Started: time.Now(), Machine: ReadMachine(), Command: c.Command, Config: c}
	if v, err := serverproc.ServerVersion(ctx, c.PostgresURL); err == nil {
		res.Machine.Postgres = v
	}
	tmp, err := os.MkdirTemp("", "blitzload-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(tmp)
	bin := c.ServerBin
	if bin == "" {
		fmt.Fprintf(c.Out, "bench: building ./cmd/ticketblitz\n")
		if bin, err = serverproc.Build(ctx, c.ModuleDir, tmp); err != nil {
			return nil, err
		}
	}
	var failed []error
	for _, strategy := range c.Strategies {
		sr := runStrategy(ctx, c, bin, tmp, strategy)
		if sr.Error != "" {
			failed = append(failed, fmt.Errorf("%s: %s", strategy, sr.Error))
		}
		res.Strategies = append(res.Strategies, sr)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	if !c.SkipRefs {
		fmt.Fprintf(c.Out, "bench: raw references (pgbench %s each, redis-benchmark %d requests)\n", c.PgbenchDuration, c.RedisRequests)
		rc := RefConfig{PostgresURL: c.PostgresURL, RedisURL: c.RedisURL, Duration: c.PgbenchDuration,
			Clients: c.PgbenchClients, Threads: c.PgbenchThreads, RedisN: c.RedisRequests, RedisConns: c.RedisClients, TempDir: tmp}
		res.Refs = append(PgbenchRefs(ctx, rc), RedisRef(ctx, rc))
	}
	res.Ended = time.Now()
	if len(failed) > 0 {
		return res, fmt.Errorf("bench: %w", errors.Join(failed...))
	}
	if c.BenchFile != "" {
		if err := WriteSection(c.BenchFile, Markdown(res)); err != nil {
			return res, err
		}
	}
	return res, nil
}

// runsFlash reports whether strategy takes part in the flash sale.
func (c Config) runsFlash(strategy string) bool {
	if len(c.FlashStrategies) == 0 {
		return true
	}
	for _, s := range c.FlashStrategies {
		if s == strategy {
			return true
		}
	}
	return false
}

// runStrategy starts a server with a fresh database and runs hot, flash, then the
// steady ladder.
func runStrategy(ctx context.Context, c Config, bin, tmp, strategy string) StrategyResult {
	sr := StrategyResult{Strategy: strategy}
	fail := func(err error) StrategyResult {
		sr.Error = err.Error()
		fmt.Fprintf(c.Out, "bench: %s: %v\n", strategy, err)
		return sr
	}
	db := fmt.Sprintf("tb_blitzload_bench_%s_%d", strategy, os.Getpid())
	dsn, err := serverproc.DatabaseURL(c.PostgresURL, db)
	if err != nil {
		return fail(err)
	}
	if err := serverproc.DropDatabase(ctx, c.PostgresURL, db); err != nil {
		return fail(err)
	}
	defer serverproc.DropDatabase(context.Background(), c.PostgresURL, db)
	port, err := serverproc.FreePort(c.Ports)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(c.Out, "bench: starting the %s server on port %d (database %s)\n", strategy, port, db)
	srv, err := serverproc.Start(ctx, serverproc.Options{
		Bin: bin, Strategy: strategy, PostgresURL: dsn, RedisURL: c.RedisURL, Port: port,
		JWTSecret: c.JWTSecret, LogPath: filepath.Join(tmp, "server-"+strategy+".log"),
	})
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := srv.Stop(20 * time.Second); err != nil {
			fmt.Fprintf(c.Out, "bench: %s: %v\n", strategy, err)
		}
	}()

	base := scenario.DefaultConfig()
	base.Target, base.Seed, base.Timeout = srv.Base, c.Seed, c.Timeout
	newEnv := func() *scenario.Env {
		return scenario.NewEnv(scenario.EnvOptions{Target: srv.Base, Secret: []byte(c.JWTSecret), TokenSource: "local",
			TokenTTL: 2 * time.Hour, Out: c.Out, TTY: c.TTY, Limit: c.Limit})
	}

	hot := base
	hot.Scenario, hot.Callers, hot.Duration, hot.HotMode, hot.Seats = scenario.Hot, c.HotCallers, c.HotDuration, c.HotMode, 2000
	fmt.Fprintf(c.Out, "bench: %s hot: %d callers for %s\n", strategy, c.HotCallers, c.HotDuration)
	hotEnv := newEnv()
	hotEnv.Label = strategy + " hot"
	if sr.Hot, err = scenario.Execute(ctx, hotEnv, hot, false); err != nil {
		return fail(fmt.Errorf("hot: %w", err))
	}

	if c.runsFlash(strategy) {
		if err := runFlash(ctx, c, base, newEnv, srv, strategy, &sr); err != nil {
			return fail(err)
		}
	}
	if sr.Steady, err = runSteady(ctx, c, base, newEnv, strategy); err != nil {
		return fail(err)
	}
	if srv.Exited() {
		return fail(errors.New("the server exited during the run; log:\n" + srv.LogTail(20)))
	}
	return sr
}

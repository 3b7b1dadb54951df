package livebench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/fdlimit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// Config is everything blitzload live needs.
type Config struct {
	// Target is a running server's URL; empty starts one per subscriber count.
	Target string
	// PID is the target's process id, for its memory and CPU (0: not measured).
	PID int
	// ServerBin, ModuleDir, PostgresURL, RedisURL: how to start servers.
	ServerBin, ModuleDir, PostgresURL, RedisURL string
	JWTSecret                                   string
	// Subscribers lists the subscriber counts to run, each on a fresh server.
	Subscribers []int
	// Rates are the paced decisions/s, one per subscriber count, or one for all: every
	// version reaches every subscriber, so a count ten times larger needs a rate about
	// ten times smaller to ask the machine for the same fan-out.
	Rates    []float64
	Duration time.Duration
	Fans     int
	Seats    int
	// Idle is how long the subscribers sit idle before the memory is read.
	Idle time.Duration
	// DialConcurrency bounds the subscribers connecting at once.
	DialConcurrency int
	// BenchFile is written when not empty.
	BenchFile string
	Command   string
	Out       io.Writer
	Limit     fdlimit.Limit
}

// Run measures every subscriber count in turn and writes the marked section.
func Run(ctx context.Context, c Config) (*Result, error) {
	res := &Result{Started: time.Now(), Machine: machine(ctx, c), Command: c.Command, Config: c}
	tmp, err := os.MkdirTemp("", "blitzload-live-")
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	defer os.RemoveAll(tmp)
	if c.Target == "" && c.ServerBin == "" {
		fmt.Fprintf(c.Out, "live: building ./cmd/ticketblitz\n")
		if c.ServerBin, err = serverproc.Build(ctx, c.ModuleDir, tmp); err != nil {
			return nil, err
		}
	}
	var failed []error
	for i, n := range c.Subscribers {
		r := runOne(ctx, c, tmp, n, c.RateFor(i))
		if r.Error != "" {
			failed = append(failed, fmt.Errorf("%d subscribers: %s", n, r.Error))
		}
		res.Runs = append(res.Runs, r)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	res.Ended = time.Now()
	if c.BenchFile != "" {
		if err := WriteSection(c.BenchFile, Markdown(res)); err != nil {
			return res, err
		}
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("live: %w", errors.Join(failed...))
	}
	return res, nil
}

// RateFor returns the decisions/s of the i-th subscriber count.
func (c Config) RateFor(i int) float64 {
	switch {
	case len(c.Rates) == 0:
		return 0
	case i < len(c.Rates):
		return c.Rates[i]
	default:
		return c.Rates[len(c.Rates)-1]
	}
}

// target is the server one run measures.
type target struct {
	base string
	pid  int
}

// runOne starts a server (unless targeting one) and measures n subscribers.
func runOne(ctx context.Context, c Config, tmp string, n int, rate float64) RunResult {
	r := RunResult{Subscribers: n, Rate: rate, Duration: c.Duration, Fans: c.Fans}
	fail := func(err error) RunResult {
		r.Error = err.Error()
		fmt.Fprintf(c.Out, "live: %d subscribers: %v\n", n, err)
		return r
	}
	if err := c.Limit.Check(n + c.Fans + 16); err != nil {
		return fail(err)
	}
	t := target{base: c.Target, pid: c.PID}
	if t.base == "" {
		db := fmt.Sprintf("tb_blitzload_live_%d_%d", n, os.Getpid())
		dsn, err := serverproc.DatabaseURL(c.PostgresURL, db)
		if err != nil {
			return fail(err)
		}
		if err := serverproc.DropDatabase(ctx, c.PostgresURL, db); err != nil {
			return fail(err)
		}
		defer serverproc.DropDatabase(context.Background(), c.PostgresURL, db)
		fmt.Fprintf(c.Out, "live: %d subscribers: starting a server (database %s)\n", n, db)
		srv, err := serverproc.Start(ctx, serverproc.Options{
			Bin: c.ServerBin, Strategy: "actor", PostgresURL: dsn, RedisURL: c.RedisURL,
			JWTSecret: c.JWTSecret, LogPath: filepath.Join(tmp, fmt.Sprintf("server-%d.log", n)),
		})
		if err != nil {
			return fail(err)
		}
		defer func() {
			if err := srv.Stop(20 * time.Second); err != nil {
				fmt.Fprintf(c.Out, "live: %v\n", err)
			}
		}()
		t = target{base: srv.Base, pid: srv.PID}
	}
	if err := measure(ctx, c, t, &r); err != nil {
		return fail(err)
	}
	return r
}

// measure runs the baseline load, then the subscribers and the same load.
func measure(ctx context.Context, c Config, t target, r *RunResult) error {
	tokens := api.LocalTokens{Secret: []byte(c.JWTSecret), TTL: 2 * time.Hour}
	admin, err := tokens.Mint("blitzload-live-admin", "admin")
	if err != nil {
		return err
	}
	baseEv, err := createEvent(ctx, t.base, admin, "baseline", c.Seats)
	if err != nil {
		return err
	}
	ev, err := createEvent(ctx, t.base, admin, "live", c.Seats)
	if err != nil {
		return err
	}
	lc := loadConfig{Base: t.base, Tokens: tokens, Fans: c.Fans, Rate: r.Rate, SectionID: sectionID}

	// Warm both sections, then the baseline: the same load with no subscriber.
	for _, id := range []string{baseEv, ev} {
		w := lc
		w.EventID, w.Decisions, w.UserTag = id, 100, "warm"
		if _, err := runLoad(ctx, w, NewHoldBook()); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	fmt.Fprintf(c.Out, "live: baseline: %.0f decisions/s for %s with no subscriber\n", r.Rate, c.Duration)
	bl := lc
	bl.EventID, bl.Duration, bl.UserTag = baseEv, c.Duration, "base"
	cpu0 := readCPU(t.pid)
	base, err := runLoad(ctx, bl, NewHoldBook())
	cpu1 := readCPU(t.pid)
	if err != nil {
		return fmt.Errorf("baseline load: %w", err)
	}
	r.Baseline = loadFigures(base, cpu0, cpu1, t.pid)

	// Idle subscribers: memory before and after.
	runtimeSettle()
	r.RSSBefore = readRSS(t.pid)
	r.HeapBefore = readHeap(ctx, t.base)
	book, lat := NewHoldBook(), NewLatencies(64)
	fmt.Fprintf(c.Out, "live: opening %d subscribers\n", r.Subscribers)
	opened := time.Now()
	fl, err := openFleet(ctx, t.base, ev, sectionID, r.Subscribers, c.DialConcurrency, book, lat)
	if fl != nil {
		defer fl.close()
	}
	if err != nil {
		return err
	}
	r.ConnectSeconds = time.Since(opened).Seconds()
	select {
	case <-time.After(c.Idle):
	case <-ctx.Done():
		return ctx.Err()
	}
	r.RSSAfter = readRSS(t.pid)
	r.HeapAfter = readHeap(ctx, t.base)

	// The measured load.
	fmt.Fprintf(c.Out, "live: %.0f decisions/s for %s with %d subscribers\n", r.Rate, c.Duration, len(fl.subs))
	ml := lc
	ml.EventID, ml.Duration, ml.UserTag = ev, c.Duration, "live"
	if r.StartVersion, err = sectionVersion(ctx, t.base, ev); err != nil {
		return err
	}
	cpu0 = readCPU(t.pid)
	load, err := runLoad(ctx, ml, book)
	cpu1 = readCPU(t.pid)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	r.Load = loadFigures(load, cpu0, cpu1, t.pid)
	final, err := sectionVersion(ctx, t.base, ev)
	if err != nil {
		return err
	}
	r.Behind = fl.await(final, 30*time.Second)
	r.FinalVersion = final
	fl.close()
	cnt := fl.counts()
	r.Connected, r.Failed, r.Lost = cnt.Connected, cnt.Failed, cnt.Lost
	r.Messages, r.Gaps, r.Duplicates, r.Unmatched = cnt.Messages, cnt.Gaps, cnt.Duplicates, cnt.Unmatched
	r.Delivery = lat.Summarize()
	r.Spread = cnt.Spread
	return nil
}

// runtimeSettle gives the server a moment after the baseline so its memory is read at rest.
func runtimeSettle() { time.Sleep(time.Second) }

// sectionID is the one section of the events blitzload live creates.
const sectionID = "live"

// createEvent creates an event with one reserved section of seats seats (rows of 50).
func createEvent(ctx context.Context, base, adminToken, name string, seats int) (string, error) {
	c := api.New(api.Config{Base: base, HTTP: api.NewHTTPClient(1, 60*time.Second), User: "blitzload-live-admin", Token: adminToken})
	defer c.Close()
	sec := scenario.ReservedSection(sectionID, seats, 50)
	ev, r := c.CreateEvent(ctx, api.EventSpec{
		Name: "blitzload live " + name, Venue: "Load Test Arena",
		StartsAt: time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second),
		Currency: "USD", MaxTicketsPerUser: 100, Sections: []api.SectionSpec{sec},
	})
	if err := r.Error(); err != nil {
		return "", fmt.Errorf("create event: %w", err)
	}
	return ev.ID, nil
}

// sectionVersion reads the section's current version from its seat map.
func sectionVersion(ctx context.Context, base, eventID string) (int64, error) {
	c := api.New(api.Config{Base: base, HTTP: api.NewHTTPClient(1, 30*time.Second)})
	defer c.Close()
	m, r := c.SeatMap(ctx, eventID, sectionID)
	if err := r.Error(); err != nil {
		return 0, fmt.Errorf("read seat map: %w", err)
	}
	return m.Version, nil
}

// readRSS returns pid's RSS in KiB, or -1 when unknown.
func readRSS(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	kb, err := ReadRSS(pid)
	if err != nil {
		return -1
	}
	return kb
}

// readCPU returns pid's CPU time, or -1 when unknown.
func readCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	d, err := ReadCPU(pid)
	if err != nil {
		return -1
	}
	return d
}

// readHeap returns the server's go_memstats_heap_inuse_bytes from /metrics, or -1.
func readHeap(ctx context.Context, base string) int64 {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return -1
	}
	v, ok := ParseMetric(string(data), "go_memstats_heap_inuse_bytes")
	if !ok {
		return -1
	}
	return int64(v)
}

// loadFigures is a load's outcome with the server CPU it took.
func loadFigures(l loadResult, cpu0, cpu1 time.Duration, pid int) LoadFigures {
	f := LoadFigures{Holds: l.Holds, Releases: l.Releases, Errors: l.Errors, LastError: l.LastError,
		Seconds: l.Elapsed.Seconds(), DecisionsPerSec: l.DecisionsPerSec(), CPUPerSec: -1}
	if pid > 0 && cpu0 >= 0 && cpu1 >= 0 && l.Elapsed > 0 {
		f.CPUPerSec = (cpu1 - cpu0).Seconds() / l.Elapsed.Seconds()
	}
	return f
}

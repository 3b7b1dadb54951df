package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

func TestParsePgbench(t *testing.T) {
	out := `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: single_row_update.sql
number of clients: 8
latency average = 1.300 ms
initial connection time = 12.345 ms
tps = 6153.912345 (without initial connection time)
`
	v, err := ParsePgbench(out)
	if err != nil || v != 6153.912345 {
		t.Errorf("tps %v, %v", v, err)
	}
	if _, err := ParsePgbench("ERROR: relation does not exist"); err == nil {
		t.Error("output without tps parsed")
	}
}

func TestParseRedisBenchmark(t *testing.T) {
	out := "SET blitzload:bench:setnx val NX: rps=0.0 (overall: nan) avg_msec=nan\r" +
		"SET blitzload:bench:setnx val NX: 46948.36 requests per second, p50=0.527 msec\n"
	v, err := ParseRedisBenchmark(out)
	if err != nil || v != 46948.36 {
		t.Errorf("ops %v, %v", v, err)
	}
	if _, err := ParseRedisBenchmark("Could not connect to Redis"); err == nil {
		t.Error("output without a rate parsed")
	}
}

func TestReplaceSection(t *testing.T) {
	section := BeginMarker + "\nnew table\n" + EndMarker + "\n"
	doc := "# Benchmarks\n\nintro\n\n" + BeginMarker + "\nold table\n" + EndMarker + "\n\n## Other\nkept\n"
	got := ReplaceSection(doc, section)
	want := "# Benchmarks\n\nintro\n\n" + section + "\n## Other\nkept\n"
	if got != want {
		t.Errorf("replaced:\n%q\nwant:\n%q", got, want)
	}
	if again := ReplaceSection(got, section); again != got {
		t.Error("replacing twice changed the document")
	}
	appended := ReplaceSection("# Benchmarks\nno markers yet\n", section)
	if !strings.HasSuffix(appended, "no markers yet\n\n"+section) {
		t.Errorf("appended:\n%q", appended)
	}
}

func TestWriteSectionCreatesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	section := BeginMarker + "\nfirst\n" + EndMarker + "\n"
	if err := WriteSection(path, section); err != nil {
		t.Fatal(err)
	}
	if err := WriteSection(path, strings.Replace(section, "first", "second", 1)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.HasPrefix(s, "# TicketBlitz benchmarks") || strings.Contains(s, "first") || strings.Count(s, BeginMarker) != 1 || !strings.Contains(s, "second") {
		t.Errorf("file:\n%s", s)
	}
}

func outcome(holdsPerSec, p99 float64, violations int) *scenario.Outcome {
	sum := stats.Summary{DurableHoldsPerSec: holdsPerSec, DecisionsPerSec: 2 * holdsPerSec, Seconds: 1.5,
		Endpoints: []stats.Endpoint{{Name: "POST /holds", Latency: stats.Latency{P50: p99 / 4, P99: p99, Max: 2 * p99}}}}
	rep := audit.Report{Counts: map[audit.Kind]int{}}
	if violations > 0 {
		rep.Counts[audit.DoubleSale] = violations
	}
	return &scenario.Outcome{Summary: sum, Audit: &rep,
		Result: &scenario.Result{Numbers: map[string]float64{"winners": 900, "seats_sold": 1200}}}
}

func TestMarkdownTable(t *testing.T) {
	r := &Result{
		Started: time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC), Ended: time.Date(2026, 11, 28, 14, 2, 0, 0, time.UTC),
		Machine: Machine{CPUs: 2, CPUModel: "Test CPU", MemoryMB: 24000, Kernel: "6.1", Go: "go1.26"},
		Command: "blitzload bench --hot-callers 1000",
		Config: Config{HotCallers: 1000, HotDuration: 15 * time.Second, FlashFans: 2000, FlashSeats: 2000,
			SteadyRates: []float64{1000, 4000}, SteadyDuration: 10 * time.Second, SteadySections: 20, SteadyWorkers: 1000, SteadyUsers: 2000, SteadyMaxLate: time.Second},
		Strategies: []StrategyResult{
			{Strategy: "actor", Hot: outcome(20000, 8, 0), Flash: outcome(0, 20, 0), RSSIdle: 100 * 1024, RSSConnected: 150 * 1024, RSSPeak: 160 * 1024, Connections: 2000,
				Steady: []SteadyStep{{Rate: 1000, Outcome: steadyOutcomeOf(1000, 12, 0)}, {Rate: 4000, Outcome: steadyOutcomeOf(2500, 900, 15000)}}},
			{Strategy: "lock", Hot: outcome(2000, 80, 0), Flash: outcome(0, 200, 1), RSSIdle: 60 * 1024, RSSConnected: 90 * 1024, RSSPeak: 95 * 1024, Connections: 2000,
				Steady: []SteadyStep{{Rate: 1000, Outcome: steadyOutcomeOf(125, 1200, 8750)}, {Rate: 4000, Outcome: steadyOutcomeOf(100, 1500, 39000)}}},
		},
		Refs: []Ref{
			{Name: "pgbench single-row UPDATE", Command: "pgbench -n -c 8", Value: 6154, Unit: "commits/s"},
			{Name: "redis-benchmark SET NX", Missing: "not installed"},
		},
	}
	md := Markdown(r)
	for _, want := range []string{
		BeginMarker, EndMarker, "2026-11-28 14:00 UTC", "2 CPUs (Test CPU)", "`blitzload bench --hot-callers 1000`",
		"| measure | actor | lock | actor/lock |",
		"| hot: durable holds/s | 20,000/s | 2,000/s | 10.00× |",
		"| hot: hold p99 | 8.00 ms | 80.00 ms | 0.10× |",
		"| server RSS with 2,000 fan connections open | 150 MiB | 90 MiB | 1.67× |",
		"| audit violations (every run) | 0 | 1 |  |",
		"| steady 1,000/s offered: durable holds/s (201s) to the last answer | 1,000/s | 125/s | 8.00× |",
		"| steady 4,000/s offered: durable holds/s (201s) to the last answer | 2,500/s | 100/s | 25.00× |",
		"| steady 4,000/s offered: durable holds/s (201s) while offered | 2,000/s | 80.0/s | 25.00× |",
		"| steady 4,000/s offered: arrivals dropped (no worker free in time) | 15000 | 39000 |  |",
		"| steady 1,000/s offered: hold p99 (from the scheduled time) | 12.00 ms | 1200.00 ms | 0.01× |",
		"same offered load", "1,000/s, 4,000/s",
		"| pgbench single-row UPDATE | `pgbench -n -c 8` | 6,154 commits/s |",
		"| redis-benchmark SET NX |  | not installed |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if r.Strategies[1].Violations() != 1 {
		t.Errorf("violations %d", r.Strategies[1].Violations())
	}
}

// steadyOutcomeOf is a steady rung's outcome: durable holds/s, hold p99 and drops.
func steadyOutcomeOf(holdsPerSec, p99, dropped float64) *scenario.Outcome {
	o := outcome(holdsPerSec, p99, 0)
	for sec := range 12 { // 80% of the holds come while offered (10 s), the rest in the drain
		n := int64(holdsPerSec * 0.8)
		if sec >= 10 {
			n = int64(holdsPerSec)
		}
		o.Summary.Timeline = append(o.Summary.Timeline, stats.Second{Second: sec, DurableHolds: n})
	}
	o.Result.Numbers = map[string]float64{"dropped": dropped, "not_held": 0}
	return o
}

// Three strategies: a ratio column for each other strategy against the first.
func TestMarkdownThreeStrategies(t *testing.T) {
	r := &Result{Config: Config{HotCallers: 10, HotDuration: time.Second, FlashFans: 10, FlashSeats: 20},
		Strategies: []StrategyResult{
			{Strategy: "actor", Hot: outcome(3000, 8, 0), Flash: outcome(0, 20, 0)},
			{Strategy: "lock", Hot: outcome(600, 80, 0), Flash: outcome(0, 40, 0)},
			{Strategy: "pg", Hot: outcome(1000, 40, 0)},
		}}
	md := Markdown(r)
	for _, want := range []string{
		"## Side by side: actor vs lock vs pg",
		"| measure | actor | lock | pg | actor/lock | actor/pg |",
		"|---|---:|---:|---:|---:|---:|",
		"| hot: durable holds/s | 3,000/s | 600/s | 1,000/s | 5.00× | 3.00× |",
		"| flash: hold p99 | 20.00 ms | 40.00 ms | – | 0.50× | – |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// A strategy that skipped the flash sale shows dashes, not zeros.
func TestMarkdownWithoutFlash(t *testing.T) {
	r := &Result{Config: Config{HotCallers: 10, HotDuration: time.Second, FlashFans: 10000, FlashSeats: 2000, FlashStrategies: []string{"actor"}},
		Strategies: []StrategyResult{
			{Strategy: "actor", Hot: outcome(100, 8, 0), Flash: outcome(0, 20, 0), RSSConnected: 300 * 1024, Connections: 10000},
			{Strategy: "lock", Hot: outcome(10, 80, 0)},
		}}
	md := Markdown(r)
	for _, want := range []string{
		"| flash: hold p99 | 20.00 ms | – | – |",
		"| server RSS with 10,000 fan connections open | 300 MiB | – | – |",
		"flash ran on actor only",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "steady") {
		t.Errorf("steady rows without a ladder:\n%s", md)
	}
}

func TestParseRates(t *testing.T) {
	got, err := ParseRates(" 1000, 4000 ,")
	if err != nil || len(got) != 2 || got[0] != 1000 || got[1] != 4000 {
		t.Errorf("ParseRates = %v, %v", got, err)
	}
	if got, err := ParseRates(""); err != nil || len(got) != 0 {
		t.Errorf("empty ladder = %v, %v", got, err)
	}
	for _, bad := range []string{"fast", "0", "-5", "100,x"} {
		if _, err := ParseRates(bad); err == nil {
			t.Errorf("ParseRates(%q) accepted", bad)
		}
	}
}

// Each rung's sections hold every arrival on its own seat, within a section's limits.
func TestSteadySeats(t *testing.T) {
	for _, tc := range []struct {
		rate     float64
		d        time.Duration
		sections int
		want     int
	}{
		{1000, 10 * time.Second, 20, 2000},
		{4000, 10 * time.Second, 20, 2050},
		{8000, 10 * time.Second, 20, 4050},
		{100000, 10 * time.Second, 20, 10000},
	} {
		if got := steadySeats(tc.rate, tc.d, tc.sections); got != tc.want {
			t.Errorf("steadySeats(%v, %v, %d) = %d, want %d", tc.rate, tc.d, tc.sections, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0.0", 12.34: "12.3", 999: "999", 1000: "1,000", 1234567.8: "1,234,568"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestReadMachine(t *testing.T) {
	m := ReadMachine()
	if m.CPUs < 1 || m.Go == "" || m.MemoryMB <= 0 {
		t.Errorf("machine %+v", m)
	}
}

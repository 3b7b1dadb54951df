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
		Config:  Config{HotCallers: 1000, HotDuration: 15 * time.Second, FlashFans: 2000, FlashSeats: 2000},
		Strategies: []StrategyResult{
			{Strategy: "actor", Hot: outcome(20000, 8, 0), Flash: outcome(0, 20, 0), RSSIdle: 100 * 1024, RSSConnected: 150 * 1024, RSSPeak: 160 * 1024, Connections: 2000},
			{Strategy: "lock", Hot: outcome(2000, 80, 0), Flash: outcome(0, 200, 1), RSSIdle: 60 * 1024, RSSConnected: 90 * 1024, RSSPeak: 95 * 1024, Connections: 2000},
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
		"| audit violations (hot + flash) | 0 | 1 |  |",
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

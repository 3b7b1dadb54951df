package soak

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

func TestRowLabels(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 199: "GR"} {
		if got := rowLabel(i); got != want {
			t.Errorf("row %d: %q, want %q", i, got, want)
		}
	}
	spec := eventSpec(Config{Sections: 2, SeatsPerSection: 120})
	if len(spec.Sections) != 2+quietSections {
		t.Fatalf("%d sections", len(spec.Sections))
	}
	rows := spec.Sections[0].Rows
	if len(rows) != 3 || rows[2].Seats != 20 || rows[2].Label != "C" {
		t.Errorf("rows of 120 seats: %+v", rows)
	}
}

func TestValidate(t *testing.T) {
	ok := Config{ServerBin: "x", PostgresURL: "p", RedisURL: "r", JWTSecret: "s", WorkDir: "w"}.withDefaults()
	if err := ok.validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for name, change := range map[string]func(*Config){
		"one node":       func(c *Config) { c.Nodes = 1 },
		"too many seats": func(c *Config) { c.SeatsPerSection = maxRows*rowSeats + 1 },
		"short TTL":      func(c *Config) { c.HoldTTL = time.Millisecond },
		"no binary":      func(c *Config) { c.ServerBin = "" },
	} {
		c := ok
		change(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if d := (Config{Duration: 30 * time.Minute}).withDefaults().SampleEvery; d != time.Minute {
		t.Errorf("sample interval of a 30m run: %v", d)
	}
	if d := (Config{Duration: 10 * time.Second}).withDefaults().SampleEvery; d != 2*time.Second {
		t.Errorf("sample interval of a 10s run: %v", d)
	}
}

func TestBusiest(t *testing.T) {
	if got := busiest(map[string]int{"S2": 5, "S1": 9, "S3": 9}); got != "S1" {
		t.Errorf("busiest %q", got)
	}
	if got := busiest(nil); got != "" {
		t.Errorf("busiest of nothing %q", got)
	}
}

// takeoverSince is when the logs the takeover tests read are read from.
var takeoverSince = time.Date(2026, 1, 1, 10, 0, 1, 0, time.UTC)

// readTakeoverLog writes log as node1's and reads node2's loss and the takeovers from it.
func readTakeoverLog(t *testing.T, log string) (time.Time, map[string]time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node1.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	lost, took, err := takeoverTimes(path, "node2", takeoverSince)
	if err != nil {
		t.Fatal(err)
	}
	return lost, took
}

func TestTakeoverTimes(t *testing.T) {
	lost, took := readTakeoverLog(t, `{"level":"info","ts":"2026-01-01T10:00:00.500Z","msg":"member lost: declared dead by failure detection","member":"node2"}
{"level":"info","ts":"2026-01-01T10:00:02.000Z","msg":"member lost: declared dead by failure detection","member":"node3"}
{"level":"info","ts":"2026-01-01T10:00:02.100Z","msg":"member lost: declared dead by failure detection","member":"node2"}
not json
{"level":"info","ts":"2026-01-01T10:00:02.150Z","msg":"took the section over from an owner that did not hand it over","section":"ev/S1"}
{"level":"info","ts":"2026-01-01T10:00:02.300Z","msg":"took the section over from an owner that did not hand it over","section":"ev/S1"}
`)
	if want := takeoverSince.Add(1100 * time.Millisecond); !lost.Equal(want) {
		t.Errorf("lost at %v, want %v (the first line after since about node2)", lost, want)
	}
	if want := takeoverSince.Add(1150 * time.Millisecond); !took["ev/S1"].Equal(want) || len(took) != 1 {
		t.Errorf("took over %v, want ev/S1 at %v", took, want)
	}
}

// A loss told by the refusal prober is the detection too; memberlist's verdict that
// follows is logged at debug level and changes nothing.
func TestTakeoverTimesReadsARefusal(t *testing.T) {
	lost, _ := readTakeoverLog(t, `{"level":"warn","ts":"2026-01-01T10:00:01.300Z","msg":"member lost: its process refuses connections; its sections move to the others","member":"node2","reason":"refuses connections"}
{"level":"debug","ts":"2026-01-01T10:00:03.100Z","msg":"member declared dead by failure detection after it refused connections","member":"node2"}
`)
	if want := takeoverSince.Add(300 * time.Millisecond); !lost.Equal(want) {
		t.Errorf("lost at %v, want %v (the refusal)", lost, want)
	}
}

func TestMarkdownAndTable(t *testing.T) {
	r := Result{Nodes: 2, Rate: 10, Sections: 2, SeatsPerSection: 100, Sale: time.Minute, Decisions: 600, ExpirySlack: 10 * time.Second,
		Kill: Kill{Busiest: "S1", Victim: "node2", Detected: 2 * time.Second, Activations: []Activation{
			{Section: "Q1", LiveHolds: 2, Answered: true, FirstAnswer: 2100 * time.Millisecond, TookOver: 2050 * time.Millisecond, Status: 201},
			{Section: "S1", LiveHolds: 200}}}}
	for i := range 40 {
		r.Samples = append(r.Samples, Sample{At: time.Duration(i) * time.Second, Decisions: int64(i), Rows: map[string]int64{"holds": int64(i)},
			RSS: map[string]int64{"node1": 1024, "node2": 2048}})
	}
	r.Final = Sample{At: time.Hour, Rows: map[string]int64{"holds": 1}, RSS: map[string]int64{"node1": 1024}}
	rows := tableSamples(r)
	if len(rows) > maxTableSamples || rows[0].At != 0 || rows[len(rows)-3].At != 38*time.Second ||
		!strings.Contains(rows[len(rows)-2].label, "after the kill") || !strings.Contains(rows[len(rows)-1].label, "expired") {
		t.Errorf("table rows: %d, first %v, last three %+v", len(rows), rows[0].At, rows[len(rows)-3:])
	}
	md := Markdown(r, "a machine", "blitzload soak", "today")
	for _, want := range []string{"## A day-long sale, compressed: soak", "| RSS (heap) node1 | RSS (heap) node2 |", "| Q1 | 2 | 2050 ms | 50 ms | 2100 ms | 201 |",
		"| S1 | 200 | – | – | none | no definite answer |", "2 MiB (–) |", "| – |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if r.OK() {
		t.Error("a run whose section never answered is OK")
	}
	r.Kill.Activations = r.Kill.Activations[:1]
	r.Audit = audit.Report{}
	if !r.OK() {
		t.Error("a clean run is not OK")
	}
	r.Samples[3].Overdue = 1
	if r.OK() || r.MaxOverdue() != 1 {
		t.Error("a hold held past its expiry went unnoticed")
	}
}

func TestParseHeapInUse(t *testing.T) {
	text := "# HELP go_memstats_heap_inuse_bytes x\ngo_memstats_heap_inuse_bytes_other 1\ngo_memstats_heap_inuse_bytes 2.097152e+06\n"
	kb, err := parseHeapInUse(bufio.NewScanner(strings.NewReader(text)))
	if err != nil || kb != 2048 {
		t.Errorf("heap %d KiB, %v", kb, err)
	}
	if _, err := parseHeapInUse(bufio.NewScanner(strings.NewReader("up 1\n"))); err == nil {
		t.Error("no heap line accepted")
	}
}

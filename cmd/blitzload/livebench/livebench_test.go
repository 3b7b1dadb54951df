package livebench

import (
	"strings"
	"testing"
	"time"
)

const statusText = `Name:	ticketblitz
Umask:	0022
State:	S (sleeping)
VmPeak:	 2254460 kB
VmRSS:	   81234 kB
RssAnon:	   60000 kB
Threads:	12
`

// The command name holds a space and a parenthesis, as /proc allows.
const statText = `4242 (tb (srv) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 567 0 0 20 0 12 0 777 2254460000 20308 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`

func TestParseProcFiles(t *testing.T) {
	kb, err := ParseVmRSS(statusText)
	if err != nil || kb != 81234 {
		t.Errorf("VmRSS = %d, %v; want 81234", kb, err)
	}
	if _, err := ParseVmRSS("Name:\tx\nVmPeak:\t1 kB\n"); err == nil {
		t.Error("a status without VmRSS parsed")
	}
	ticks, err := ParseCPUTicks(statText)
	if err != nil || ticks != 1234+567 {
		t.Errorf("utime+stime = %d, %v; want 1801", ticks, err)
	}
	for _, bad := range []string{"no paren here", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 5 0"} {
		if _, err := ParseCPUTicks(bad); err == nil {
			t.Errorf("stat %q parsed", bad)
		}
	}
}

func TestParseMetric(t *testing.T) {
	text := "# HELP go_memstats_heap_inuse_bytes x\n# TYPE go_memstats_heap_inuse_bytes gauge\n" +
		"go_memstats_heap_inuse_bytes_total 9\ngo_memstats_heap_inuse_bytes 1.2345e+07\n"
	v, ok := ParseMetric(text, "go_memstats_heap_inuse_bytes")
	if !ok || v != 12345000 {
		t.Errorf("metric = %v, %v", v, ok)
	}
	if _, ok := ParseMetric(text, "missing"); ok {
		t.Error("a missing metric was found")
	}
}

func TestReadOwnProcess(t *testing.T) {
	if _, err := ReadCPU(-1); err == nil {
		t.Error("cpu of no process")
	}
	if kb := readRSS(0); kb != -1 {
		t.Errorf("rss without a pid = %d", kb)
	}
}

// TestTrackerMatchesNthHoldOfASeat replays a seat held, released and held again,
// with the first delta arriving late (after the second hold's request) and the second
// beating its 201.
func TestTrackerMatchesNthHoldOfASeat(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	book := NewHoldBook()
	lat := NewLatencies(4)
	tr := NewTracker(0, book, lat)
	tr.Snapshot(10)

	book.Held("A-1", ms(0))               // first hold of A-1 answered at 0 ms
	tr.Delta(11, []string{"A-1"}, ms(7))  // its delta: 7 ms
	tr.Delta(12, nil, ms(8))              // the release
	tr.Delta(13, []string{"A-1"}, ms(20)) // second hold's delta arrives before its 201…
	book.Held("A-1", ms(25))              // …answered at 25 ms: early
	book.Held("B-2", ms(30))
	tr.Delta(14, []string{"B-2", "C-3"}, ms(33)) // B-2: 3 ms; C-3 was never held by the load
	if got := tr.Finish(); got != 1 {
		t.Errorf("unmatched = %d, want 1 (C-3)", got)
	}
	s := lat.Summarize()
	if s.Count != 3 || s.Early != 1 {
		t.Fatalf("count %d early %d, want 3 and 1", s.Count, s.Early)
	}
	if s.Max < 6.99 || s.Max > 7.01 {
		t.Errorf("max = %v ms, want 7", s.Max)
	}
	if s.P50 < 2.99 || s.P50 > 3.01 {
		t.Errorf("p50 = %v ms, want 3", s.P50)
	}
	if tr.Gaps != 0 || tr.Duplicates != 0 || tr.Messages != 4 {
		t.Errorf("messages %d gaps %d duplicates %d", tr.Messages, tr.Gaps, tr.Duplicates)
	}
}

func TestTrackerCountsGapsAndDuplicates(t *testing.T) {
	tr := NewTracker(1, NewHoldBook(), NewLatencies(1))
	tr.Snapshot(5)
	for _, v := range []int64{6, 8, 8, 7, 9} {
		tr.Delta(v, nil, time.Now())
	}
	if tr.Gaps != 1 || tr.Duplicates != 2 {
		t.Errorf("gaps %d duplicates %d, want 1 and 2", tr.Gaps, tr.Duplicates)
	}
}

func TestLatencyPercentiles(t *testing.T) {
	lat := NewLatencies(8)
	for i := 1; i <= 1000; i++ {
		lat.Record(i, time.Duration(i)*time.Millisecond)
	}
	s := lat.Summarize()
	near := func(got, want float64) bool { return got > want*0.99 && got < want*1.01 }
	if s.Count != 1000 || !near(s.P50, 500) || !near(s.P99, 990) || !near(s.Max, 1000) {
		t.Errorf("summary %+v", s)
	}
}

func TestReplaceSection(t *testing.T) {
	section := BeginMarker + "\nnew\n" + EndMarker + "\n"
	doc := "# B\n\n<!-- blitzload:bench:begin -->\nbench\n<!-- blitzload:bench:end -->\n"
	appended := ReplaceSection(doc, section)
	if !strings.HasPrefix(appended, doc) || !strings.HasSuffix(appended, section) {
		t.Fatalf("append:\n%s", appended)
	}
	replaced := ReplaceSection(strings.Replace(appended, "new", "old", 1)+"tail\n", section)
	if replaced != appended+"tail\n" {
		t.Errorf("replace:\n%s", replaced)
	}
}

func TestRunResultDerived(t *testing.T) {
	r := RunResult{Connected: 1000, RSSBefore: 1000, RSSAfter: 21000, HeapBefore: -1, HeapAfter: 5,
		Messages: 200000, StartVersion: 10, FinalVersion: 210,
		Load: LoadFigures{Seconds: 2, CPUPerSec: 0.5}, Baseline: LoadFigures{CPUPerSec: 0.3}}
	if r.RSSPerConn() != 20 || r.HeapPerConn() != -1 || r.DeltasPerSec() != 100 || r.DeliveredPerSec() != 100000 {
		t.Errorf("rss %v heap %v deltas %v delivered %v", r.RSSPerConn(), r.HeapPerConn(), r.DeltasPerSec(), r.DeliveredPerSec())
	}
	if got := r.FanoutCPUPerKMsg(); got < 0.00199 || got > 0.00201 {
		t.Errorf("fan-out CPU per 1,000 msgs/s = %v, want 0.002", got)
	}
}

func TestSpreadCountsOnlyVersionsEverySubscriberGot(t *testing.T) {
	ms := int64(time.Millisecond)
	arrivals := [][]arrival{
		{{version: 5, at: 100 * ms}, {version: 6, at: 200 * ms}, {version: 7, at: 300 * ms}},
		{{version: 5, at: 110 * ms}, {version: 6, at: 240 * ms}},
		{{version: 5, at: 130 * ms}, {version: 6, at: 201 * ms}, {version: 7, at: 900 * ms}},
	}
	s := Spread(arrivals)
	// Version 7 reached two of three subscribers: left out. 5 spread 30 ms, 6 40 ms.
	if s.Count != 2 || s.Max < 39.9 || s.Max > 40.1 || s.P50 < 29.9 || s.P50 > 30.1 {
		t.Fatalf("spread %+v, want 2 versions, p50 30 ms, max 40 ms", s)
	}
}

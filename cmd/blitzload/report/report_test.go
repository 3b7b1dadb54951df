package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

func sampleDoc(t *testing.T) Doc {
	t.Helper()
	c := stats.NewCollector()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c.Begin(t0)
	for i := 0; i < 300; i++ {
		start := t0.Add(time.Duration(i) * 10 * time.Millisecond)
		c.Observe(stats.Sample{Endpoint: "POST /holds", Start: start, End: start.Add(time.Duration(1+i%7) * time.Millisecond),
			Status: 201, Decision: true, DurableHold: true})
		c.Observe(stats.Sample{Endpoint: "DELETE /holds/{id}", Start: start, End: start.Add(2 * time.Millisecond), Status: 200, Decision: true})
	}
	c.Observe(stats.Sample{Endpoint: "POST /holds", Start: t0, End: t0.Add(time.Millisecond), Status: 409, Code: "SEAT_UNAVAILABLE", Decision: true})
	c.SetWebSocket(true, false, "websockets unavailable: answered 404")
	c.Finish(t0.Add(3 * time.Second))
	rep := audit.Report{Counts: map[audit.Kind]int{audit.DoubleHold: 1}, Records: 601,
		Violations: []audit.Violation{{Kind: audit.DoubleHold, Section: audit.SectionRef{EventID: "e", SectionID: "hot"}, Seat: "A-1", Detail: "held by two"}}}
	return Doc{
		Title: "blitzload hot", Command: "blitzload hot --callers 10", Generated: t0,
		Facts:   []Fact{{"callers", "10"}, {"durable holds/s", "100"}},
		Notes:   []string{"created event e"},
		Summary: c.Summary(), Audit: &rep,
	}
}

func TestTextReport(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sampleDoc(t)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"blitzload hot", "command: blitzload hot --callers 10", "durable holds/s", "note: created event e",
		"601 requests", "300 durable holds (100/s)", "POST /holds", "DELETE /holds/{id}", "p99.9 ms",
		"codes SEAT_UNAVAILABLE=1", "status 201=300 409=1", "websockets: unavailable (websockets unavailable: answered 404)",
		"audit FAIL", "double_hold",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func TestJSONReportRoundTrips(t *testing.T) {
	var b bytes.Buffer
	d := sampleDoc(t)
	if err := WriteJSON(&b, d); err != nil {
		t.Fatal(err)
	}
	var back Doc
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("report JSON does not decode: %v", err)
	}
	if back.Summary.DurableHolds != 300 || len(back.Summary.Endpoints) != 2 || back.Audit == nil || back.Audit.Counts[audit.DoubleHold] != 1 {
		t.Errorf("decoded %+v", back.Summary)
	}
	holds, _ := back.Summary.Endpoint("POST /holds")
	if holds.Latency.P99 == 0 || len(holds.Histogram) == 0 || len(back.Summary.Timeline) != 3 {
		t.Errorf("holds endpoint %+v, timeline %d", holds, len(back.Summary.Timeline))
	}
}

func TestHTMLReportHasItsCharts(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, sampleDoc(t), HTMLOptions{AssetsHost: "assets/"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`<script src="assets/echarts.min.js">`, "audit FAIL: 1 violations",
		`id="throughput"`, `id="latency_p50"`, `id="latency_p99"`, `id="histogram_0"`, `id="histogram_1"`,
		"Throughput per second", "p99 latency over time", "Latency histogram: POST /holds", "echarts.init",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if strings.Contains(out, "&lt;div") {
		t.Error("chart markup was escaped")
	}
}

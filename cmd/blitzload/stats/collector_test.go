package stats

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestCollectorCountsWindowAndEndpoints(t *testing.T) {
	c := NewCollector()
	c.Observe(Sample{Endpoint: "GET /healthz", Start: at(-time.Second), End: at(-time.Second + time.Millisecond), Status: 200})
	c.Begin(t0)
	for i := 0; i < 100; i++ {
		start := at(time.Duration(i) * 5 * time.Millisecond)
		c.Observe(Sample{Endpoint: "POST /holds", Start: start, End: start.Add(time.Duration(i+1) * time.Millisecond),
			Status: 201, Decision: true, DurableHold: true})
	}
	c.Observe(Sample{Endpoint: "POST /holds", Start: at(1500 * time.Millisecond), End: at(1600 * time.Millisecond),
		Status: 409, Code: "SEAT_UNAVAILABLE", Decision: true})
	c.Observe(Sample{Endpoint: "DELETE /holds/{id}", Start: at(1500 * time.Millisecond), End: at(1700 * time.Millisecond), Error: true})
	c.Finish(at(2 * time.Second))

	s := c.Summary()
	if s.SetupRequests != 1 || s.Requests != 102 || s.Decisions != 101 || s.DurableHolds != 100 || s.Errors != 1 {
		t.Fatalf("totals %+v", s)
	}
	if s.Seconds != 2 || s.DurableHoldsPerSec != 50 {
		t.Errorf("seconds %v, holds/s %v", s.Seconds, s.DurableHoldsPerSec)
	}
	holds, ok := s.Endpoint("POST /holds")
	if !ok {
		t.Fatal("no POST /holds")
	}
	if holds.Count != 101 || holds.Statuses["201"] != 100 || holds.Statuses["409"] != 1 || holds.Codes["SEAT_UNAVAILABLE"] != 1 {
		t.Errorf("holds endpoint %+v", holds)
	}
	// Latencies 1..100 ms and one of 100 ms: p50 ≈ 51 ms, max 100 ms.
	if holds.Latency.P50 < 49 || holds.Latency.P50 > 53 || holds.Latency.Max < 99.9 || holds.Latency.Max > 100.1 {
		t.Errorf("latency %+v", holds.Latency)
	}
	var barTotal int64
	for _, b := range holds.Histogram {
		barTotal += b.Count
	}
	if barTotal != holds.Count {
		t.Errorf("histogram bars hold %d of %d", barTotal, holds.Count)
	}
	if rel, _ := s.Endpoint("DELETE /holds/{id}"); rel.Statuses["no answer"] != 1 || rel.Errors != 1 {
		t.Errorf("release endpoint %+v", rel)
	}
	if len(s.Timeline) != 2 || s.Timeline[0].DurableHolds != 100 || s.Timeline[1].Requests != 2 {
		t.Errorf("timeline %+v", s.Timeline)
	}
	if s.ScheduleLag != nil {
		t.Errorf("closed-loop run has a schedule lag: %+v", s.ScheduleLag)
	}
}

func TestLatencyIsMeasuredFromTheSchedule(t *testing.T) {
	c := NewCollector()
	c.Begin(t0)
	// Scheduled at 0, started 40 ms late, answered 10 ms after it started.
	c.Observe(Sample{Endpoint: "POST /holds", Scheduled: at(0), Start: at(40 * time.Millisecond), End: at(50 * time.Millisecond), Status: 201})
	s := c.Summary()
	e, _ := s.Endpoint("POST /holds")
	if e.Latency.Max < 49.9 || e.Latency.Max > 50.1 {
		t.Errorf("latency %v ms, want 50 (from the schedule)", e.Latency.Max)
	}
	if s.ScheduleLag == nil || s.ScheduleLag.Max < 39.9 || s.ScheduleLag.Max > 40.1 {
		t.Errorf("schedule lag %+v, want 40 ms", s.ScheduleLag)
	}
}

func TestWebSocketInfo(t *testing.T) {
	c := NewCollector()
	c.SetWebSocket(true, true, "")
	c.WSConnected()
	c.WSMessage(false)
	c.WSMessage(true)
	c.WSDelivery(3 * time.Millisecond)
	c.WSDelivery(-time.Millisecond)
	ws := c.Summary().WebSocket
	if !ws.Available || ws.Connected != 1 || ws.Messages != 2 || ws.Gaps != 1 || ws.Early != 1 || ws.Delivery == nil || ws.Delivery.Count != 1 {
		t.Errorf("websocket info %+v", ws)
	}
}

func TestFormatSecond(t *testing.T) {
	prev := Snapshot{Requests: 100, Decisions: 50, DurableHolds: 20, Errors: 1}
	cur := Snapshot{Elapsed: 2 * time.Second, Requests: 300, Decisions: 150, DurableHolds: 70, Errors: 3,
		LastSecond: map[string]Latency{"POST /holds": {Count: 90, P50: 1.5, P99: 9}, "GET /seats": {Count: 5}}}
	line := FormatSecond("hot", prev, cur, 1)
	for _, want := range []string{"[hot", "requests 300 (200/s)", "decisions 100/s", "durable holds 50/s", "errors 3 (+2)", "POST /holds p50 1.5ms p99 9.0ms"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
}

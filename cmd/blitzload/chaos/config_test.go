package chaos

import (
	"strings"
	"testing"
	"time"
)

func TestParseScenarios(t *testing.T) {
	all, err := ParseScenarios("all")
	if err != nil || len(all) != len(AllScenarios) {
		t.Fatalf("all = %v, %v", all, err)
	}
	got, err := ParseScenarios(" kill, none ,drain")
	if err != nil || len(got) != 3 || got[0] != Kill || got[1] != None || got[2] != Drain {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "explode", "kill,explode"} {
		if _, err := ParseScenarios(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidateNodes(t *testing.T) {
	c := Config{ServerBin: "x", PostgresURL: "p", RedisURL: "r", JWTSecret: "s", WorkDir: "w", Nodes: 1}
	if err := c.validate(Kill); err == nil {
		t.Error("a fault on one node accepted")
	}
	if err := c.validate(None); err != nil {
		t.Errorf("one node without a fault refused: %v", err)
	}
}

func TestQuantileAndFirstDefinite(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3}
	if q := quantile(d, 0.5); q != 3 {
		t.Errorf("p50 = %v", q)
	}
	if q := quantile(d, 0.99); q != 5 {
		t.Errorf("p99 = %v", q)
	}
	t0 := time.Unix(100, 0)
	ops := []opRecord{
		{section: "S1", start: t0.Add(-time.Second), end: t0.Add(time.Second), definite: true}, // started before the fault
		{section: "S1", start: t0.Add(100 * time.Millisecond), end: t0.Add(3 * time.Second), definite: false},
		{section: "S1", start: t0.Add(200 * time.Millisecond), end: t0.Add(2 * time.Second), definite: true},
		{section: "S2", start: t0, end: t0.Add(10 * time.Millisecond), definite: true},
	}
	if d, ok := firstDefinite(ops, "S1", t0); !ok || d != 2*time.Second {
		t.Errorf("S1 failover = %v, %v; want 2s", d, ok)
	}
	if _, ok := firstDefinite(ops, "S3", t0); ok {
		t.Error("a section without operations answered")
	}
}

func TestMarkdownSplitsFaultsAndThroughput(t *testing.T) {
	res := []Result{
		{Scenario: Kill, Nodes: 3, Fans: 10, Sale: time.Second, Decisions: 100, Failover: 2 * time.Second, Victim: "node1", Moved: []string{"S1"}},
		{Scenario: None, Nodes: 1, Fans: 10, Sale: time.Second, Decisions: 50},
	}
	md := Markdown(res, "m", "blitzload chaos", "today")
	if !strings.Contains(md, "| kill | kill -9 node1 (hosted S1) | 2.00 s | 100 (100)") || !strings.Contains(md, "| 1 | 10 | 50 | 50 |") {
		t.Fatalf("markdown:\n%s", md)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/soak"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestSoakOnTwoNodes runs a short soak through the command line on two node processes
// and requires the audit to pass with something checked, the samples to carry every
// table and node, the killed node's sections to answer again and every hold to have
// expired by the end.
func TestSoakOnTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of processes")
	}
	pgBase, redisURL := testenv.PostgresURL(), testenv.RedisURL()
	testenv.Require(t, testenv.Services{PostgresURL: pgBase, RedisURL: redisURL})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	moduleDir, err := serverproc.FindModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin, err := serverproc.Build(ctx, moduleDir, dir)
	if err != nil {
		t.Fatal(err)
	}
	jsonPath, benchPath := filepath.Join(dir, "soak.json"), filepath.Join(dir, "BENCHMARKS.md")
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"soak", "--server-bin", bin, "--postgres-url", pgBase, "--redis-url", redisURL, "--work-dir", dir,
		"--nodes", "2", "--duration", "15s", "--rate", "10", "--seats", "500", "--hold-ttl", "5s", "--burst-holds", "50",
		"--json", jsonPath, "--benchmarks-file", benchPath}, func(string) string { return "" }, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("soak exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var r soak.Result
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("soak JSON: %v", err)
	}
	a := r.Audit
	if !a.OK() || a.Holds == 0 || a.Orders == 0 || a.OrdersChecked != a.Orders || a.SeatsChecked == 0 {
		t.Fatalf("audit failed or checked too little: %+v", a)
	}
	if r.Decisions == 0 || r.Ops["hold"] == 0 || r.Ops["confirm"] == 0 || r.Ops["release"] == 0 || r.Ops["left to expire"] == 0 {
		t.Errorf("the sale did too little: %d decisions, %v", r.Decisions, r.Ops)
	}
	if len(r.Samples) < 3 {
		t.Fatalf("%d samples", len(r.Samples))
	}
	for _, s := range r.Samples[:len(r.Samples)-1] { // the last one follows the kill: one node is new
		if len(s.RSS) != 2 || len(s.Heap) != 2 {
			t.Errorf("sample at %v has the RSS of %d nodes and the heap of %d: %v, %v", s.At, len(s.RSS), len(s.Heap), s.RSS, s.Heap)
		}
		for _, tb := range []string{"holds", "orders", "idempotency_keys", "outbox", "notifications"} {
			if _, ok := s.Rows[tb]; !ok {
				t.Errorf("sample at %v lacks table %s", s.At, tb)
			}
		}
	}
	if last := r.Samples[len(r.Samples)-2]; last.Rows["holds"] == 0 || last.Decisions == 0 {
		t.Errorf("the sale's last sample counts nothing: %+v", last)
	}
	if r.Kill.Victim == "" || !r.AllAnswered() || r.Kill.Restart <= 0 {
		t.Errorf("kill: %+v", r.Kill)
	}
	if r.Final.Held != 0 || r.MaxOverdue() != 0 {
		t.Errorf("holds still held at the end: %d (at most %d past their expiry and the slack)", r.Final.Held, r.MaxOverdue())
	}
	md, err := os.ReadFile(benchPath)
	if err != nil || !strings.Contains(string(md), soakBegin) || !strings.Contains(string(md), "compressed: soak") {
		t.Errorf("benchmarks file without the soak section (%v)", err)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/report"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestFlashAndHotAgainstTheRealServer builds the server, runs it on a free port with a
// fresh database, runs a small flash sale and a short hot run through the command
// line, and requires both audits to pass with something actually checked.
func TestFlashAndHotAgainstTheRealServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	srv := startE2EServer(ctx, t, tmp, "actor")
	getenv := func(string) string { return "" }

	jsonPath := filepath.Join(tmp, "flash.json")
	htmlPath := filepath.Join(tmp, "flash.html")
	recPath := filepath.Join(tmp, "flash.jsonl")
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"flash", "--target", srv.Base, "--fans", "200", "--seats", "100", "--ws", "--cancel-share", "0.3",
		"--json", jsonPath, "--html", htmlPath, "--records", recPath}, getenv, &stdout, &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), "audit PASS") {
		t.Fatalf("flash exited %d\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", code, stdout.String(), stderr.String(), srv.LogTail(30))
	}
	var doc report.Doc
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("flash JSON: %v", err)
	}
	a := doc.Audit
	if a == nil || !a.OK() || a.Holds == 0 || a.Orders == 0 || a.SeatsChecked != 100 || a.OrdersChecked != a.Orders {
		t.Fatalf("flash audit checked too little or failed: %+v", a)
	}
	if doc.Summary.DurableHolds == 0 || doc.Summary.Decisions == 0 {
		t.Errorf("flash summary: %+v", doc.Summary)
	}
	if !doc.Summary.WebSocket.Enabled {
		t.Error("flash report does not say whether websockets were there")
	}
	if html, err := os.ReadFile(htmlPath); err != nil || !bytes.Contains(html, []byte("Latency histogram: POST /holds")) {
		t.Errorf("HTML report missing or without the holds histogram (%v)", err)
	}
	if recs, err := os.ReadFile(recPath); err != nil || bytes.Count(recs, []byte("\n")) != a.Records {
		t.Errorf("records file holds %d lines, the audit saw %d (%v)", bytes.Count(recs, []byte("\n")), a.Records, err)
	}

	stdout.Reset()
	stderr.Reset()
	code = run(ctx, []string{"hot", "--target", srv.Base, "--callers", "50", "--duration", "2s"}, getenv, &stdout, &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), "audit PASS") {
		t.Fatalf("hot exited %d\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", code, stdout.String(), stderr.String(), srv.LogTail(30))
	}
	if !strings.Contains(stdout.String(), "2000 seats") || strings.Contains(stdout.String(), "durable holds    0\n") {
		t.Errorf("hot run checked nothing:\n%s", stdout.String())
	}
}

// TestClassicStrategiesAgainstTheRealServer runs a small flash sale with every fan
// subscribed to the live feed, a short steady run and a short best-available hot run
// against the lock and pg strategies, and requires every audit to pass and the live
// versions to arrive without a gap (their versions are numbered after the fact, by the
// sequencer).
func TestClassicStrategiesAgainstTheRealServer(t *testing.T) {
	for _, strategy := range []string{"lock", "pg"} {
		t.Run(strategy, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			tmp := t.TempDir()
			srv := startE2EServer(ctx, t, tmp, strategy)
			getenv := func(string) string { return "" }
			jsonPath := filepath.Join(tmp, "flash.json")
			runs := [][]string{
				{"flash", "--fans", "200", "--seats", "100", "--ws", "--json", jsonPath},
				{"steady", "--rate", "100", "--duration", "2s", "--sections", "2", "--workers", "50", "--users", "100"},
				{"hot", "--callers", "50", "--duration", "2s", "--hot-mode", "best"},
			}
			for _, args := range runs {
				var stdout, stderr bytes.Buffer
				code := run(ctx, append(args, "--target", srv.Base), getenv, &stdout, &stderr)
				if code != exitOK || !strings.Contains(stdout.String(), "audit PASS") {
					t.Fatalf("%s exited %d\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", args[0], code, stdout.String(), stderr.String(), srv.LogTail(30))
				}
			}
			var doc report.Doc
			data, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatalf("flash JSON: %v", err)
			}
			if ws := doc.Summary.WebSocket; ws.Messages == 0 || ws.Gaps != 0 {
				t.Fatalf("live feed: %d messages, %d version gaps", ws.Messages, ws.Gaps)
			}
		})
	}
}

// startE2EServer builds the server into tmp and runs it with strategy on a free port and
// a fresh database; both go away when the test ends.
func startE2EServer(ctx context.Context, t *testing.T, tmp, strategy string) *serverproc.Server {
	t.Helper()
	pgBase, redisURL := testenv.PostgresURL(), testenv.RedisURL()
	testenv.Require(t, testenv.Services{PostgresURL: pgBase, RedisURL: redisURL})
	moduleDir, err := serverproc.FindModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := serverproc.Build(ctx, moduleDir, tmp)
	if err != nil {
		t.Fatal(err)
	}
	db := fmt.Sprintf("tb_blitzload_e2e_%s_%d", strategy, os.Getpid())
	dsn, err := serverproc.DatabaseURL(pgBase, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := serverproc.DropDatabase(ctx, pgBase, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = serverproc.DropDatabase(context.Background(), pgBase, db)
		// The server's Redis keys, under its default prefix (tb:<database>:).
		_ = testenv.DropRedisKeys(context.Background(), redisURL, "tb:"+db+":")
	})
	srv, err := serverproc.Start(ctx, serverproc.Options{Bin: bin, Strategy: strategy, PostgresURL: dsn, RedisURL: redisURL,
		JWTSecret: api.DevSecret, LogPath: filepath.Join(tmp, "server.log"), PostgresPool: 12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(20 * time.Second); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	return srv
}

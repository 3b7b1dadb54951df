package cluster

import (
	"errors"
	"log"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestZapHandler(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := slog.New(newZapHandler(zap.New(core), slog.LevelWarn, nil)).With("system", "s1").WithGroup("g")
	l.Info("chatty")
	l.Warn("lost connection", "address", "127.0.0.1:1", "retries", 3, "error", errors.New("reset"),
		slog.Group("member", "id", "m1"))
	l.Error("failed")

	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("%d entries, want the warning and the error: %+v", len(entries), entries)
	}
	w := entries[0]
	if w.Level != zapcore.WarnLevel || w.Message != "lost connection" {
		t.Errorf("entry %+v", w.Entry)
	}
	fields := w.ContextMap()
	want := map[string]any{"system": "s1", "g.address": "127.0.0.1:1", "g.retries": int64(3), "g.error": "reset", "g.member.id": "m1"}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("field %s = %v (%T), want %v; all %v", k, fields[k], fields[k], v, fields)
		}
	}
	if entries[1].Level != zapcore.ErrorLevel {
		t.Errorf("error logged at %v", entries[1].Level)
	}
}

func TestMemberlistLog(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	l := log.New(memberlistLog{log: zap.New(core)}, "", 0)
	l.Printf("[DEBUG] memberlist: ping")
	l.Printf("[WARN] memberlist: Was able to connect to node-1 over TCP but UDP probes failed")
	l.Printf("[ERR] memberlist: Failed to send")
	l.Printf("no level")

	entries := logs.All()
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3 (debug filtered): %+v", len(entries), entries)
	}
	if entries[0].Level != zapcore.WarnLevel || entries[0].Message != "memberlist: Was able to connect to node-1 over TCP but UDP probes failed" {
		t.Errorf("entry %+v", entries[0].Entry)
	}
	if entries[1].Level != zapcore.ErrorLevel || entries[2].Level != zapcore.InfoLevel || entries[2].Message != "no level" {
		t.Errorf("entries %+v", entries)
	}
}

func TestFailoverNoiseIsCountedNotLogged(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	p, err := NewProvider(Config{Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	lib := slog.New(newZapHandler(zap.New(core).Named("protoactor"), slog.LevelWarn, p.noise)).With("system", "s1")
	ml := log.New(memberlistLog{log: zap.New(core).Named("memberlist"), noise: p.noise}, "", 0)

	began := time.Now()
	for range 3 {
		lib.Error("cluster.RequestFuture failed", "error", errors.New("future: timeout"), "pid", "x")
	}
	lib.Error("EndpointWriter failed to connect", "address", "127.0.0.1:9", "error", errors.New("refused"), "retry", 0)
	lib.Warn("Request retried but failed", "identity", "e/A")
	ml.Printf("[ERR] memberlist: Failed fallback TCP ping: dial tcp 127.0.0.1:9: connection refused")
	ml.Printf("[ERR] memberlist: Failed to send gossip to 127.0.0.1:9: write udp: use of closed network connection")
	// Not noise: these need a human.
	lib.Error("EndpointWriter failed to serialize message", "address", "127.0.0.1:9")
	ml.Printf("[ERR] memberlist: discarding packet with unacceptable label \"other\": from=127.0.0.1:9")

	var errs, debug int
	for _, e := range logs.All() {
		switch e.Level {
		case zapcore.ErrorLevel:
			errs++
		case zapcore.DebugLevel:
			debug++
		}
	}
	if errs != 2 || debug != 7 {
		t.Fatalf("%d errors and %d debug entries, want 2 (the real errors) and 7 (the noise): %+v", errs, debug, logs.All())
	}

	// No summary while the burst goes on; one once it has been quiet.
	p.reportNoise(began.Add(noiseQuiet / 2))
	if n := logs.FilterLevelExact(zapcore.WarnLevel).Len(); n != 0 {
		t.Fatalf("%d summaries while the noise goes on", n)
	}
	p.reportNoise(time.Now().Add(noiseQuiet))
	p.reportNoise(time.Now().Add(2 * noiseQuiet))
	sums := logs.FilterLevelExact(zapcore.WarnLevel).All()
	if len(sums) != 1 {
		t.Fatalf("%d summaries, want 1: %+v", len(sums), sums)
	}
	f := sums[0].ContextMap()
	if f["failures"] != int64(7) {
		t.Errorf("failures = %v, want 7; %v", f["failures"], f)
	}
	by, _ := f["by_message"].(map[string]int)
	if by["protoactor: cluster.RequestFuture failed"] != 3 || by["memberlist: Failed fallback TCP ping"] != 1 {
		t.Errorf("by_message = %v", f["by_message"])
	}
	if peers, _ := f["peers"].([]any); len(peers) != 1 || peers[0] != "127.0.0.1:9" {
		t.Errorf("peers = %#v", f["peers"])
	}
}

func TestFailoverNoiseSummaryOfAnEndlessBurst(t *testing.T) {
	tally := newNoiseTally()
	start := time.Now()
	for i := range 40 {
		now := start.Add(time.Duration(i) * time.Second)
		tally.add("protoactor", "EndpointWriter failed to connect", "127.0.0.1:9", now)
		if s, ok := tally.take(now, noiseQuiet, noiseMaxSpan); ok {
			if got := now.Sub(start); got < noiseMaxSpan {
				t.Fatalf("summary after %v, within the quiet period of a burst that goes on", got)
			}
			if s.total() != 31 {
				t.Fatalf("summary of %d records, want 31", s.total())
			}
			return
		}
	}
	t.Fatal("a burst that never stops was never summarised")
}

package cluster

import (
	"errors"
	"log"
	"log/slog"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestZapHandler(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := slog.New(newZapHandler(zap.New(core), slog.LevelWarn)).With("system", "s1").WithGroup("g")
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

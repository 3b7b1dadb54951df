package actors

import (
	"testing"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestTopologyChangeIsLoggedOnceWithItsRetries(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	at := time.Now()
	c := newTopologyChange(&protocluster.ClusterTopology{Left: []*protocluster.Member{{Host: "127.0.0.1", Port: 9001}}}, at)

	var none *topologyChange // requests no change cut short
	none.retry()
	none.settle(nil)

	for range 3 {
		c.retry()
	}
	c.settle(nil)
	c.settle(ErrSeatUnavailable) // a definite refusal is an answer
	if c.report(log, at.Add(3*time.Second)) {
		t.Fatal("reported while a retried request was still retrying")
	}
	c.settle(nil)
	if !c.report(log, at.Add(4*time.Second)) || !c.report(log, at.Add(5*time.Second)) {
		t.Fatal("report not done once every request ended")
	}
	entries := logs.All()
	if len(entries) != 1 || entries[0].Level != zapcore.InfoLevel {
		t.Fatalf("want one info line, got %+v", entries)
	}
	f := entries[0].ContextMap()
	if f["retried"] != int64(3) || f["answered"] != int64(3) || f["failed"] != int64(0) {
		t.Errorf("fields %v", f)
	}
	if left, _ := f["left"].([]any); len(left) != 1 || left[0] != "127.0.0.1:9001" {
		t.Errorf("left = %#v", f["left"])
	}

	// Failures, or requests still retrying at retrySummaryMax, make it a warning.
	stuck := newTopologyChange(&protocluster.ClusterTopology{}, at)
	stuck.retry()
	stuck.retry()
	stuck.settle(Unavailable("section did not answer in time; retry"))
	if !stuck.report(log, at.Add(retrySummaryMax)) {
		t.Fatal("not reported at retrySummaryMax")
	}
	w := logs.FilterLevelExact(zapcore.WarnLevel).All()
	if len(w) != 1 || w[0].ContextMap()["failed"] != int64(1) || w[0].ContextMap()["still_retrying"] != int64(1) {
		t.Fatalf("warnings %+v", w)
	}
}

func TestDeparturesTellTheCause(t *testing.T) {
	d := &departures{sig: &topologySignal{ch: make(chan struct{})}, log: zap.NewNop()}
	sig := d.next()
	change := newTopologyChange(&protocluster.ClusterTopology{}, time.Now())
	d.fire(change)
	select {
	case <-sig.ch:
	default:
		t.Fatal("the signal did not close")
	}
	if sig.cause != change {
		t.Fatal("the signal does not name its change")
	}
	if next := d.next(); next == sig || next.cause != nil {
		t.Fatal("no fresh signal after firing")
	}
}

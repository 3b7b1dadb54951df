package actors

import (
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
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

// An identity lookup sent to a member that just died never answers (protoactor waits
// 5 s for it); the attempt gives it up as soon as the topology changes, so the retry
// looks the section up on the new topology.
func TestAttemptGivesUpALookupWhenTheTopologyChanges(t *testing.T) {
	client := clusterWith(t, SectionConfig{Store: reserved(1, 10)}, lookups{fakeStore: reserved(1, 10)}, ClientConfig{})
	asked := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	client.lookup = func(string, string) *actor.PID {
		close(asked)
		<-release // the dead member's placement actor: no answer
		return nil
	}
	change := newTopologyChange(&protocluster.ClusterTopology{Left: []*protocluster.Member{{Host: "127.0.0.1", Port: 9001}}}, time.Now())
	type result struct {
		cut *topologyChange
		err error
	}
	done := make(chan result, 1)
	go func() {
		_, cut, err := client.attempt("ev/S", &HoldCommand{}, time.Hour)
		done <- result{cut, err}
	}()
	<-asked
	client.left.fire(change)
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second): // a hang guard, not a measure
		t.Fatal("the attempt still waits for a lookup that will never answer")
	}
	if !errors.Is(r.err, errTopologyChanged) || r.cut != change {
		t.Fatalf("attempt ended with %v (cut by %p), want errTopologyChanged cut by the change %p", r.err, r.cut, change)
	}
	if pid, ok := client.cluster.PidCache.Get("ev/S", SectionKindName); ok {
		t.Errorf("an abandoned lookup cached %v", pid)
	}
}

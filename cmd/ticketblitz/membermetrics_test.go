package main

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ticketblitz/ticketblitz/actors"
)

type countingTracer struct{ n int }

func (c *countingTracer) Trace(actors.Trace) { c.n++ }

func TestMemberCounterCountsMemberTracesAndForwardsAll(t *testing.T) {
	next := &countingTracer{}
	reg := prometheus.NewRegistry()
	c, err := newMemberCounter(next, reg)
	if err != nil {
		t.Fatal(err)
	}
	c.Trace(actors.Trace{Type: actors.TraceMember, Action: "join"})
	c.Trace(actors.Trace{Type: actors.TraceMember, Action: "leave"})
	c.Trace(actors.Trace{Type: actors.TraceMember, Action: "join"})
	c.Trace(actors.Trace{Type: actors.TraceBatch})
	if got := testutil.ToFloat64(c.changes.WithLabelValues("join")); got != 2 {
		t.Fatalf("joins = %v", got)
	}
	if got := testutil.ToFloat64(c.changes.WithLabelValues("leave")); got != 1 {
		t.Fatalf("leaves = %v", got)
	}
	if next.n != 4 {
		t.Fatalf("forwarded %d traces, want 4", next.n)
	}
}

package cluster

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"
)

func TestSingleNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tracer := &recordingTracer{}
	cfg := testConfig("solo")
	cfg.Tracer = tracer
	n, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(n.Crash) // a no-op once stopped

	if !n.Ready(ctx) {
		t.Fatal("not ready after Start returned")
	}
	if n.Name() != "solo" {
		t.Errorf("name %q, want solo", n.Name())
	}
	host, err := ask(n.Cluster(), "event-1/section-a", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if host != "solo" {
		t.Errorf("answered by %q, want solo", host)
	}

	members := n.Members()
	if len(members) != 1 {
		t.Fatalf("members %+v, want only itself", members)
	}
	m := members[0]
	if m.Name != "solo" || !m.Self || m.Status != StatusAlive || !m.InTopology ||
		m.ID != n.MemberID() || m.Address != n.ActorSystem().Address() ||
		m.GossipAddress != n.JoinAddress() || !slices.Contains(m.Kinds, echoKind) {
		t.Errorf("member %+v does not describe the node (id %s, remote %s, gossip %s)",
			m, n.MemberID(), n.ActorSystem().Address(), n.JoinAddress())
	}
	if tr, ok := tracer.find(ActionJoin, "solo"); !ok || tr.Node != "solo" {
		t.Errorf("no join trace for itself: %+v", tracer.all())
	}
	if _, err := ask(n.Cluster(), "event-1/section-b", "hello"); err != nil {
		t.Fatal(err)
	}
	if m := n.Members()[0]; m.Sections != 2 {
		t.Errorf("members %+v, want 2 active sections on itself", n.Members())
	}

	stopCtx, stopCancel := context.WithTimeout(context.Background(), DefaultStopTimeout)
	defer stopCancel()
	began := time.Now()
	if err := n.Stop(stopCtx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("graceful stop took %v", time.Since(began).Round(time.Millisecond))
	// Alone, the node hands over to nobody: its empty topology still stops every
	// activation before protoactor shuts down.
	if tr, ok := tracer.find(ActionHandOver, "solo"); !ok || tr.Outcome != "complete" {
		t.Errorf("hand-over trace %+v (found %v), want outcome complete", tr, ok)
	} else {
		t.Logf("hand-over of 2 activations took %.1f ms", tr.Millis)
	}
	if n.Ready(ctx) {
		t.Error("still ready after Stop")
	}
	if err := n.Leave(stopCtx); err != nil {
		t.Errorf("second leave: %v", err)
	}
}

// A joining node whose seeds never answer must not publish a self-only topology, and
// Start must give up when its context ends.
func TestJoinWaitsForSeeds(t *testing.T) {
	dead := unusedAddr(t)
	n, err := newNode(testConfig("lonely", dead))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- n.start(ctx) }()

	sawMemberlist := false
	for {
		select {
		case err := <-errc:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("start: %v, want a deadline error", err)
			}
			if !sawMemberlist {
				t.Fatal("memberlist never started, so the test proved nothing")
			}
			select {
			case <-n.done:
			default:
				t.Error("node not shut down after the failed start")
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		for _, m := range n.Members() {
			sawMemberlist = true
			if m.InTopology {
				t.Fatalf("published a topology before joining: %+v", m)
			}
		}
		if n.provider.isJoined() {
			t.Fatal("joined an address nobody listens on")
		}
	}
}

func TestStartFailsOnBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig("busy")
	cfg.Bind = ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := Start(ctx, cfg)
	if err == nil {
		n.Crash()
		t.Fatal("started on a port in use")
	}
	t.Logf("error: %v", err)
}

// unusedAddr returns a loopback address nothing listens on.
func unusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestShutDownSurvivingAPanic: a graceful shutdown that panics (protoactor's remote
// endpoints' stop sending on a closed channel) is cut short with the forced stop, and
// the panic is returned instead of ending the process; one that does not panic is left
// alone.
func TestShutDownSurvivingAPanic(t *testing.T) {
	forced := 0
	v := shutDownSurviving(func(graceful bool) {
		if !graceful {
			t.Error("the shutdown was not graceful")
		}
		var ch = make(chan bool, 1)
		close(ch)
		ch <- true
	}, func() { forced++ })
	if v == nil || forced != 1 {
		t.Fatalf("panic %v, forced stops %d; want the panic and one forced stop", v, forced)
	}
	if err, ok := v.(error); !ok || err.Error() != "send on closed channel" {
		t.Errorf("panic %v, want send on closed channel", v)
	}
	ran := false
	if v := shutDownSurviving(func(bool) { ran = true }, func() { forced++ }); v != nil || !ran || forced != 1 {
		t.Errorf("a clean shutdown: panic %v, ran %v, forced stops %d; want nil, true, 1", v, ran, forced)
	}
}

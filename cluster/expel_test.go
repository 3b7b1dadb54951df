package cluster

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// A node paused long enough to be declared dead is blocked by protoactor for good; when it
// runs again it learns that it was expelled.
func TestPausedNodeIsExpelled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	n1, err := Start(ctx, testConfig("node-1"))
	if err != nil {
		t.Fatalf("start node-1: %v", err)
	}
	t.Cleanup(n1.Crash)

	child := startChild(t, "node-4", n1.JoinAddress())
	waitChildReady(ctx, t, child)
	testenv.Eventually(t, 10*time.Second, func() error {
		ms := n1.Members()
		if m, ok := member(ms, "node-4"); !ok || !m.InTopology {
			return fmt.Errorf("node-1 does not place on node-4; it sees %s", describeMembers(ms))
		}
		return nil
	})

	child.signal(t, syscall.SIGSTOP)
	paused := time.Now()
	testenv.Eventually(t, 15*time.Second, func() error {
		ms := n1.Members()
		if m, ok := member(ms, "node-4"); !ok || m.Status != StatusDead || m.InTopology {
			return fmt.Errorf("node-1 has not declared the paused node-4 dead and dropped it; it sees %s", describeMembers(ms))
		}
		return nil
	})
	t.Logf("node-4 declared dead %v into its pause", time.Since(paused).Round(time.Millisecond))

	child.signal(t, syscall.SIGCONT)
	resumed := time.Now()
	select {
	case <-child.expelled:
		t.Logf("node-4 learned it was expelled %v after it resumed", time.Since(resumed).Round(time.Millisecond))
	case <-child.exited:
		t.Fatalf("node-4 exited without being expelled:\n%s", child.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("node-4 not expelled 10 s after it resumed:\n%s", child.stderr.String())
	}
	select {
	case <-child.exited:
		if code := child.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("node-4 exited with %d:\n%s", code, child.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("node-4 did not stop after its expulsion")
	}
	if m, _ := member(n1.Members(), "node-4"); m.InTopology {
		t.Errorf("node-1 took the expelled node back: %+v", m)
	}
	select {
	case <-n1.Expelled():
		t.Error("node-1 expelled too")
	default:
	}
	if !n1.Ready(ctx) {
		t.Error("node-1 not ready")
	}

	stopCtx, stopCancel := context.WithTimeout(context.Background(), DefaultStopTimeout)
	defer stopCancel()
	if err := n1.Stop(stopCtx); err != nil {
		t.Fatalf("stop node-1: %v", err)
	}
}

func TestExpulsionNoticeRule(t *testing.T) {
	p, err := NewProvider(Config{NodeName: "me"})
	if err != nil {
		t.Fatal(err)
	}
	p.name, p.self = "me", nodeMeta{ID: "id-me"}
	p.topology = map[string]bool{"id-me": true, "id-peer": true}
	expelled := func() bool {
		select {
		case <-p.Expelled():
			return true
		default:
			return false
		}
	}
	for _, msg := range []string{
		"hello",
		"ticketblitz/expelled/id-other/id-peer",    // meant for another member id
		"ticketblitz/expelled/id-me/id-stranger",   // sender outside the topology: a healed partition
		"ticketblitz/expelled/id-me/id-me",         // from itself
		"ticketblitz/expelled/id-me",               // malformed
		"ticketblitz/expelled/id-me/id-peer/extra", // malformed sender
	} {
		p.noteMessage([]byte(msg))
		if expelled() {
			t.Fatalf("expelled by %q", msg)
		}
	}
	// A leaving node goes on with its leave: the others block its member id anyway.
	p.leaving.Store(true)
	p.noteMessage(expulsionNotice("id-me", "id-peer"))
	if expelled() {
		t.Fatal("a leaving node was expelled")
	}
	p.leaving.Store(false)
	p.noteMessage(expulsionNotice("id-me", "id-peer"))
	if !expelled() {
		t.Fatal("not expelled by a member of its topology")
	}
	p.noteMessage(expulsionNotice("id-me", "id-peer")) // again: no panic on a closed channel
}

// A node whose worker did not run for longer than stallLimit counts itself expelled,
// unless it is alone.
func TestStalledNodeExpelsItself(t *testing.T) {
	p, err := NewProvider(Config{Bind: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	p.self.ID = "me"
	p.markJoined()
	p.topology = map[string]bool{"me": true}
	p.stalled(2 * stallLimit)
	select {
	case <-p.Expelled():
		t.Fatal("a node alone in its topology expelled itself")
	default:
	}
	p.topology["other"] = true
	p.stalled(2 * stallLimit)
	select {
	case <-p.Expelled():
	default:
		t.Fatal("a stalled node with other members did not expel itself")
	}
}

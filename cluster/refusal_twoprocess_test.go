package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// After kill -9 of a child node, the survivor counts it lost because its remoting port
// refuses connections: one WARN line with that reason, the member out of the topology and
// no longer alive. memberlist's own verdict that follows is not a second loss. A child
// that leaves gracefully is never reported as refusing.
func TestKilledProcessRefusesConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	cfg, logs := observed(testConfig("node-1"))
	n1, child, childID := startPair(ctx, t, cfg)
	addr := ""
	if m, ok := member(n1.Members(), "node-2"); ok {
		addr = m.Address
	}

	child.kill(t)
	testenv.Eventually(t, 15*time.Second, func() error {
		if n := logs.FilterMessageSnippet("refuses connections").Len(); n == 0 {
			return fmt.Errorf("no refusal reported yet; node-1 sees %s", describeMembers(n1.Members()))
		}
		return nil
	})
	lost := logs.FilterMessageSnippet("member lost").All()
	if len(lost) != 1 {
		t.Fatalf("%d member-lost lines, want 1: %+v", len(lost), lost)
	}
	l := lost[0]
	fields := l.ContextMap()
	if l.Level != zapcore.WarnLevel || fields["member"] != "node-2" || fields["member_id"] != childID ||
		fields["address"] != addr || fields["reason"] != "refuses connections" {
		t.Fatalf("loss line %q at %v with %v: want WARN naming node-2, id %s, address %s and the reason", l.Message, l.Level, fields, childID, addr)
	}
	if n1.MemberAlive(childID) {
		t.Error("node-2 still alive after it refused connections")
	}
	// The loss is logged just before the topology without it is published, on the same
	// goroutine: the topology follows within a step.
	testenv.Eventually(t, 5*time.Second, func() error {
		if m, ok := member(n1.Members(), "node-2"); !ok || m.InTopology || m.Status != StatusDead {
			return fmt.Errorf("node-2 after the refusal: %s, want dead and out of the topology", describeMembers(n1.Members()))
		}
		return nil
	})

	// memberlist declares it dead in turn: logged at debug level, not as a second loss.
	awaitVerdict(t, logs)
	if logs.FilterMessageSnippet("declared dead by failure detection after it refused").Len() != 1 {
		t.Errorf("memberlist's verdict not logged as following the refusal: %+v", logs.FilterMessageSnippet("declared dead").All())
	}
	if n := logs.FilterMessageSnippet("member lost").Len(); n != 1 {
		t.Errorf("%d member-lost lines after memberlist's verdict, want still 1", n)
	}
	for _, e := range logs.FilterMessageSnippet("declared dead").All() {
		if e.Level > zapcore.DebugLevel && e.ContextMap()["member"] == "node-2" {
			t.Errorf("memberlist's verdict on node-2 logged at %v: %q", e.Level, e.Message)
		}
	}

	// A graceful leave announces itself before its listeners close: no refusal.
	child3 := startChild(t, "node-3", n1.JoinAddress())
	waitChildReady(ctx, t, child3)
	child3.leave(t)
	testenv.Eventually(t, 15*time.Second, func() error {
		if m, ok := member(n1.Members(), "node-3"); !ok || m.Status != StatusLeft {
			return fmt.Errorf("node-3 not left yet: %s", describeMembers(n1.Members()))
		}
		return nil
	})
	select {
	case <-child3.exited:
	case <-time.After(DefaultStopTimeout):
		t.Fatalf("node-3 did not stop:\n%s", child3.stderr.String())
	}
	for _, e := range logs.FilterMessageSnippet("refuses connections").All() {
		if e.ContextMap()["member"] == "node-3" {
			t.Errorf("node-3 left gracefully but was reported refusing connections: %+v", e)
		}
	}
}

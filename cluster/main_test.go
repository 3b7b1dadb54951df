package cluster

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// The test binary doubles as the second cluster node: protoactor has data races between
// nodes sharing a process, so multi-node tests run each node in its own process.
const (
	childEnv     = "TB_CLUSTER_CHILD"
	childNameEnv = "TB_CLUSTER_CHILD_NAME"
	childJoinEnv = "TB_CLUSTER_CHILD_JOIN"
	// debugEnv=1 sends the nodes' logs to stderr.
	debugEnv = "TB_CLUSTER_DEBUG"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// echoKind is the test kind: its actor answers a StringValue with
// "<hosting node>|<identity>|<value>".
const echoKind = "echo"

func echoKindFor(node string) *protocluster.Kind {
	return protocluster.NewKind(echoKind, actor.PropsFromProducer(func() actor.Actor {
		return &echoActor{node: node}
	}))
}

type echoActor struct {
	node     string
	identity string
}

func (a *echoActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *protocluster.ClusterInit:
		a.identity = msg.Identity.Identity
	case *wrapperspb.StringValue:
		ctx.Respond(wrapperspb.String(a.node + "|" + a.identity + "|" + msg.Value))
	}
}

// ask sends value to the echo actor identity and returns the node that answered.
func ask(c *protocluster.Cluster, identity, value string) (string, error) {
	res, err := c.Request(identity, echoKind, wrapperspb.String(value))
	if err != nil {
		return "", fmt.Errorf("request %s: %w", identity, err)
	}
	sv, ok := res.(*wrapperspb.StringValue)
	if !ok {
		return "", fmt.Errorf("request %s: reply is %T", identity, res)
	}
	parts := strings.SplitN(sv.Value, "|", 3)
	if len(parts) != 3 || parts[1] != identity || parts[2] != value {
		return "", fmt.Errorf("request %s: reply %q does not echo identity and value", identity, sv.Value)
	}
	return parts[0], nil
}

func testLogger() *zap.Logger {
	if os.Getenv(debugEnv) == "1" {
		l, err := zap.NewDevelopment()
		if err == nil {
			return l
		}
	}
	return zap.NewNop()
}

// testConfig is a node on free loopback ports hosting the echo kind, with encrypted gossip.
func testConfig(name string, join ...string) Config {
	return Config{
		NodeName:       name,
		ClusterName:    "ticketblitz-test",
		Bind:           "127.0.0.1:0",
		Join:           join,
		GossipKey:      []byte("0123456789abcdef0123456789abcdef"),
		Kinds:          []*protocluster.Kind{echoKindFor(name)},
		RequestTimeout: 3 * time.Second,
		Logger:         testLogger(),
	}
}

// observed returns cfg with a copy of its logs, down to debug level, kept for the test.
func observed(cfg Config) (Config, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	cfg.Logger = zap.New(zapcore.NewTee(cfg.Logger.Core(), core))
	return cfg, logs
}

// awaitVerdict waits until memberlist on the node whose logs these are has declared a
// member dead, whether or not that member was lost to refusals first.
func awaitVerdict(t *testing.T, logs *observer.ObservedLogs) {
	t.Helper()
	testenv.Eventually(t, 15*time.Second, func() error {
		if logs.FilterMessageSnippet("declared dead by failure detection").Len() == 0 {
			return fmt.Errorf("memberlist has not declared the member dead yet")
		}
		return nil
	})
}

// recordingTracer keeps every trace.
type recordingTracer struct {
	mu     sync.Mutex
	traces []actors.Trace
}

func (r *recordingTracer) Trace(t actors.Trace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.traces = append(r.traces, t)
}

// all returns a copy of the traces so far.
func (r *recordingTracer) all() []actors.Trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]actors.Trace(nil), r.traces...)
}

// find returns the first member trace with that action and member.
func (r *recordingTracer) find(action, member string) (actors.Trace, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.traces {
		if t.Type == actors.TraceMember && t.Action == action && t.Member == member {
			return t, true
		}
	}
	return actors.Trace{}, false
}

// describeMembers lists members as a node sees them, for the message of a check that
// is still failing.
func describeMembers(members []MemberInfo) string {
	parts := make([]string, 0, len(members))
	for _, m := range members {
		where := "out of the topology"
		if m.InTopology {
			where = "in the topology"
		}
		parts = append(parts, fmt.Sprintf("%s (id %q) %s, %s, %d sections", m.Name, m.ID, m.Status, where, m.Sections))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func member(members []MemberInfo, name string) (MemberInfo, bool) {
	for _, m := range members {
		if m.Name == name {
			return m, true
		}
	}
	return MemberInfo{}, false
}

// countIn counts alive or suspect members that are in the topology.
func countIn(members []MemberInfo) int {
	n := 0
	for _, m := range members {
		if m.InTopology && (m.Status == StatusAlive || m.Status == StatusSuspect) {
			n++
		}
	}
	return n
}

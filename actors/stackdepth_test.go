package actors

import (
	"context"
	"testing"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
)

// stackAddr is an address in its own frame, just beneath its caller's: the difference
// of two calls on one goroutine is the stack between them, while the stack is not
// moved in between.
//
//go:noinline
func stackAddr() uintptr {
	var b byte
	return uintptr(unsafe.Pointer(&b))
}

// depthProbe is a section's process that notes how deep in the sending goroutine's
// stack the command arrives (a local actor's process is sent to on the sender's
// goroutine) and grants every hold.
type depthProbe struct {
	sys *actor.ActorSystem
	at  uintptr
}

func (p *depthProbe) SendUserMessage(_ *actor.PID, message any) {
	p.at = stackAddr()
	_, _, sender := actor.UnwrapEnvelope(message)
	h := Hold{ID: "h_1", EventID: "ev", SectionID: "S", UserID: "fan", Quantity: 1, Status: HoldHeld}
	p.sys.Root.Send(sender, HoldReply(h))
}

func (p *depthProbe) SendSystemMessage(*actor.PID, any) {}
func (p *depthProbe) Stop(*actor.PID)                   {}

// holdStackBudget is how many bytes of its goroutine's stack a hold may use from
// Client.Hold to the section's process. A request runs on an HTTP connection's
// goroutine, beneath about 3 KB of fasthttp, fiber, the middlewares and the handler,
// and over the actor system's and the allocator's frames; a connection's stack (8 KB
// once grown) that is outgrown is copied to one twice the size on the request, and
// halved again by the collector once the connection is idle. Before the rare paths of request and attempt were moved out
// of their frames this path took 2.8 KB (3.5 KB built with -race, whose
// instrumentation makes frames larger); 1.7 KB (2.0 KB) after.
const holdStackBudget = 2304

// TestHoldStackDepth measures the stack a hold takes from Client.Hold to the moment its
// command reaches the section's process, the deepest point of a request.
func TestHoldStackDepth(t *testing.T) {
	store := reserved(20, 100)
	client := clusterWith(t, SectionConfig{Store: store}, store, ClientConfig{})
	probe := &depthProbe{sys: client.cluster.ActorSystem}
	reg := client.cluster.ActorSystem.ProcessRegistry
	pid, _ := reg.Add(probe, "depth-probe")
	t.Cleanup(func() { reg.Remove(pid) })
	client.lookup = func(string, string) *actor.PID { return pid }
	ctx := context.Background()
	depth := ^uintptr(0)
	for i := range 3 { // the first hold grows the stack; the stack must not move while measured
		top := stackAddr()
		if _, err := client.Hold(ctx, HoldRequest{EventID: "ev", SectionID: "S", UserID: "fan", Quantity: 1, IdempotencyKey: "k" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
		if i > 0 && probe.at < top {
			depth = min(depth, top-probe.at)
		}
	}
	t.Logf("Client.Hold to the section's process: %d bytes of stack", depth)
	if depth > holdStackBudget {
		t.Errorf("a hold takes %d bytes of stack from Client.Hold to the section's process, over the budget of %d", depth, holdStackBudget)
	}
}

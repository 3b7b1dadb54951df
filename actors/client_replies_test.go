package actors

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// senderProbe is a section's process that notes each command's sender and answers it
// with a hold whose id is the command's idempotency key, unless hold says to keep the
// sender for later.
type senderProbe struct {
	sys *actor.ActorSystem
	mu  sync.Mutex
	// senders are the commands' senders, in order.
	senders []*actor.PID
	// hold, when set for a key, keeps that command unanswered.
	hold map[string]bool
}

func (p *senderProbe) SendUserMessage(_ *actor.PID, message any) {
	_, msg, sender := actor.UnwrapEnvelope(message)
	cmd, ok := msg.(*HoldCommand)
	if !ok {
		return
	}
	p.mu.Lock()
	p.senders = append(p.senders, sender)
	keep := p.hold[cmd.GetIdempotencyKey()]
	p.mu.Unlock()
	if !keep {
		p.answer(sender, cmd.GetIdempotencyKey())
	}
}

func (p *senderProbe) answer(to *actor.PID, id string) {
	p.sys.Root.Send(to, HoldReply(Hold{ID: id, EventID: "ev", SectionID: "S", UserID: "fan", Quantity: 1, Status: HoldHeld}))
}

func (p *senderProbe) SendSystemMessage(*actor.PID, any) {}
func (p *senderProbe) Stop(*actor.PID)                   {}

// probedClient is a one-node cluster's client whose section is probe.
func probedClient(t *testing.T, ccfg ClientConfig) (*Client, *senderProbe) {
	t.Helper()
	store := reserved(20, 100)
	client := clusterWith(t, SectionConfig{Store: store}, store, ccfg)
	probe := &senderProbe{sys: client.cluster.ActorSystem, hold: map[string]bool{}}
	reg := client.cluster.ActorSystem.ProcessRegistry
	pid, _ := reg.Add(probe, "sender-probe")
	t.Cleanup(func() { reg.Remove(pid) })
	client.lookup = func(string, string) *actor.PID { return pid }
	return client, probe
}

// TestAttemptsShareOneReplyProcess checks that attempts register no process of their
// own: every command's sender is the client's one reply process, told apart by its
// request id, and every answer reaches its own attempt.
func TestAttemptsShareOneReplyProcess(t *testing.T) {
	client, probe := probedClient(t, ClientConfig{})
	for _, key := range []string{"k1", "k2", "k3"} {
		h, err := client.Hold(context.Background(), HoldRequest{EventID: "ev", SectionID: "S", UserID: "fan", Quantity: 1, IdempotencyKey: key})
		if err != nil {
			t.Fatal(err)
		}
		if h.ID != key {
			t.Fatalf("hold %q answered with %q", key, h.ID)
		}
	}
	seen := map[uint32]bool{}
	for _, s := range probe.senders {
		if s.Id != probe.senders[0].Id || s.Address != probe.senders[0].Address {
			t.Fatalf("senders %v and %v: each attempt registered a process of its own", probe.senders[0], s)
		}
		if s.RequestId == 0 || seen[s.RequestId] {
			t.Fatalf("sender %v: request ids must be set and distinct (%v)", s, probe.senders)
		}
		seen[s.RequestId] = true
	}
}

// TestLateAnswerReachesNoLaterAttempt checks that an answer arriving after its attempt
// gave up is dropped, not taken by the attempt waiting next.
func TestLateAnswerReachesNoLaterAttempt(t *testing.T) {
	client, probe := probedClient(t, ClientConfig{})
	probe.hold["late"], probe.hold["next"] = true, true
	if _, _, err := client.attempt("S", &HoldCommand{UserId: "fan", Quantity: 1, IdempotencyKey: "late"}, time.Millisecond); !errors.Is(err, errNoAnswer) {
		t.Fatalf("an unanswered attempt: %v, want %v", err, errNoAnswer)
	}
	// the next command's answer follows the late one: the attempt must take its own
	type outcome struct {
		res any
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, _, err := client.attempt("S", &HoldCommand{UserId: "fan", Quantity: 1, IdempotencyKey: "next"}, time.Minute)
		done <- outcome{res, err}
	}()
	var late, next *actor.PID
	for next == nil {
		probe.mu.Lock()
		if len(probe.senders) == 2 {
			late, next = probe.senders[0], probe.senders[1]
		}
		probe.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	probe.answer(late, "late")
	probe.answer(next, "next")
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	if r, ok := o.res.(*Reply); !ok || r.GetHold().GetId() != "next" {
		t.Fatalf("the attempt took the answer %v, not its own", o.res)
	}
}

// TestAttemptToAGoneActorIsADeadLetter checks that the dead letter response the actor
// system sends to the sender of a message nobody received reaches the attempt.
func TestAttemptToAGoneActorIsADeadLetter(t *testing.T) {
	store := reserved(20, 100)
	client := clusterWith(t, SectionConfig{Store: store}, store, ClientConfig{})
	gone := actor.NewPID(client.cluster.ActorSystem.Address(), "gone")
	client.lookup = func(string, string) *actor.PID { return gone }
	_, _, err := client.attempt("S", &HoldCommand{UserId: "fan", Quantity: 1}, time.Minute)
	if !errors.Is(err, errDeadLetter) {
		t.Fatalf("an attempt to a gone actor: %v, want %v", err, errDeadLetter)
	}
}

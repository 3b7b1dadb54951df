package actors

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// replyShards is how many locked maps the waiting attempts are spread over.
const replyShards = 32

// replies is a client's one reply process: every attempt is sent with this process as
// its sender, under a PID that differs only by its RequestId, the attempt's number. An
// answer comes back to the sender's PID as it was sent, RequestId included (locally
// the same PID; across nodes protoactor's envelope carries the sender's and target's
// RequestId), and so does a dead letter response, which the actor system sends to the
// sender: the process hands each to the box of the attempt with that number. An
// answer for an attempt that is no longer waiting (it timed out) finds no box and is
// dropped. Registered once, it spares each attempt the registry's id, name, entry and
// removal that a process of its own cost.
type replies struct {
	reg    *actor.ProcessRegistryValue
	pid    *actor.PID
	next   atomic.Uint32
	shards [replyShards]replyShard
	// boxes keeps boxes whose one answer was read, for later attempts.
	boxes sync.Pool
}

// replyShard is the attempts waiting under one share of the numbers.
type replyShard struct {
	mu      sync.Mutex
	waiting map[uint32]replyBox
}

var _ actor.Process = (*replies)(nil)

// newReplies registers a reply process in reg.
func newReplies(reg *actor.ProcessRegistryValue) *replies {
	r := &replies{reg: reg}
	for i := range r.shards {
		r.shards[i].waiting = make(map[uint32]replyBox)
	}
	r.pid, _ = reg.Add(r, "replies"+reg.NextId())
	return r
}

// stop removes the process from the registry; answers sent to it afterwards are dead
// letters.
func (r *replies) stop() { r.reg.Remove(r.pid) }

// open makes a box for an attempt and returns it with the sender PID its request
// carries.
func (r *replies) open() (replyBox, *actor.PID) {
	box, _ := r.boxes.Get().(replyBox)
	if box == nil {
		box = make(replyBox, 1)
	}
	for {
		n := r.next.Add(1)
		if n == 0 { // 0 is a PID without a request
			continue
		}
		s := &r.shards[n%replyShards]
		s.mu.Lock()
		if _, taken := s.waiting[n]; taken { // only after 2^32 attempts, one still waiting
			s.mu.Unlock()
			continue
		}
		s.waiting[n] = box
		s.mu.Unlock()
		return box, &actor.PID{Address: r.pid.Address, Id: r.pid.Id, RequestId: n}
	}
}

// take removes the attempt numbered n and returns its box, if it was still waiting.
func (r *replies) take(n uint32) replyBox {
	s := &r.shards[n%replyShards]
	s.mu.Lock()
	box, ok := s.waiting[n]
	if ok {
		delete(s.waiting, n)
	}
	s.mu.Unlock()
	return box
}

// received keeps box, whose one answer its attempt has read, for another attempt.
func (r *replies) received(box replyBox) { r.boxes.Put(box) }

// cancel stops waiting for the answer to the attempt sent as self. It reports false
// when that answer was taken meanwhile: the box then has it, or is about to.
func (r *replies) cancel(self *actor.PID) bool { return r.take(self.RequestId) != nil }

// SendUserMessage hands message to the box of the attempt pid names.
func (r *replies) SendUserMessage(pid *actor.PID, message any) {
	if box := r.take(pid.GetRequestId()); box != nil {
		box.keep(message)
	}
}

// SendSystemMessage hands a system message over as the answer, as a future does.
func (r *replies) SendSystemMessage(pid *actor.PID, message any) { r.SendUserMessage(pid, message) }

// Stop does nothing: the client removes the process when it closes.
func (r *replies) Stop(*actor.PID) {}

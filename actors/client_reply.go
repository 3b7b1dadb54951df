package actors

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// errNoActivation is an attempt whose section no member could activate.
var errNoActivation = errors.New("no activation of the section could be found")

// errNoAnswer is an attempt whose section did not answer before its timeout.
var errNoAnswer = errors.New("the section did not answer in time")

// errDeadLetter is an attempt whose message reached no actor.
var errDeadLetter = errors.New("the section's actor was gone")

// replyBox is the one-answer mailbox of an attempt, to which the client's reply process
// (replies) hands the first message sent to the attempt. It does what an actor.Future
// does for a request, without the future's condition variable, timer and the goroutine
// that must block on it: the attempt waits on the box beside the topology signal and
// its own timer. The box is its channel (of capacity 1), so that it costs the channel's
// allocations and no struct around them, and is kept for another attempt once read.
type replyBox chan any

// keep keeps the first answer (the section answers once); a dead letter response is
// kept as errDeadLetter.
func (b replyBox) keep(message any) {
	_, msg, _ := actor.UnwrapEnvelope(message)
	if _, ok := msg.(*actor.DeadLetterResponse); ok {
		msg = errDeadLetter
	}
	select {
	case b <- msg:
	default:
	}
}

// attempt sends one request to the section's activation (looked up as the cluster's own
// Request looks it up: its PID cache, then the identity lookup) and waits for the answer
// until timeout, giving up early when the topology changes meanwhile; cut is then the
// change. The lookup is given up on a change too: protoactor waits up to 5 s for the
// placement actor of the member it asks, which never answers when that member just died.
// An activation that did not answer in time or was gone is dropped from the PID cache, so
// the next attempt looks it up afresh. A request abandoned on a topology change keeps its
// box waiting until its timeout, so that a late answer is still received (and dropped).
func (c *Client) attempt(identity string, msg any, timeout time.Duration) (res any, cut *topologyChange, err error) {
	left := c.left.next()
	timer := c.timers.start(timeout)
	pid, err := c.pidOf(identity, left.ch, timer.C)
	if err != nil {
		c.timers.put(timer)
		return c.notSent(identity, left, err)
	}
	box, self := c.replies.open()
	c.cluster.ActorSystem.Root.RequestWithCustomSender(pid, msg, self)
	select {
	case m := <-box:
		c.timers.put(timer)
		c.replies.received(box)
		if e, ok := m.(error); ok && errors.Is(e, errDeadLetter) {
			return c.unanswered(identity, e)
		}
		return m, nil, nil
	case <-timer.C:
		c.timers.put(timer)
		c.replies.cancel(self)
		return c.unanswered(identity, errNoAnswer)
	case <-left.ch:
		c.abandon(identity, box, self, timer)
		return nil, left.cause, errTopologyChanged
	}
}

// An attempt runs on an HTTP connection's goroutine, at the deepest point of a request:
// what it does only when it fails is in the functions below, kept out of its frame (see
// Client.backOff).

// notSent is the outcome of an attempt whose section's activation could not be found
// (err, from pidOf); left is the topology watch it waited with.
//
//go:noinline
func (c *Client) notSent(identity string, left *topologySignal, err error) (any, *topologyChange, error) {
	if errors.Is(err, errTopologyChanged) {
		return nil, left.cause, err
	}
	return nil, nil, fmt.Errorf("request %s: %w", identity, err)
}

// unanswered is the outcome of an attempt that got no answer (err says why): the
// section's cached PID is dropped, so that the next attempt looks it up afresh.
//
//go:noinline
func (c *Client) unanswered(identity string, err error) (any, *topologyChange, error) {
	c.cluster.PidCache.Remove(identity, SectionKindName)
	return nil, nil, fmt.Errorf("request %s: %w", identity, err)
}

// abandon leaves an attempt cut short by a topology change: its box keeps waiting until
// its answer or its timer, so that a late answer is received and dropped.
//
//go:noinline
func (c *Client) abandon(identity string, box replyBox, self *actor.PID, timer *time.Timer) {
	go func() {
		select {
		case <-box:
			timer.Stop()
		case <-timer.C:
			c.replies.cancel(self)
			c.cluster.PidCache.Remove(identity, SectionKindName)
		}
	}()
}

// pidOf is the section's activation: the cached PID, or the identity lookup's answer,
// then cached. It returns errNoActivation when no member could activate the section,
// errTopologyChanged when the topology changed (changed closed) before the lookup
// answered, and errNoAnswer when timeout fired first; an abandoned lookup ends in the
// background within protoactor's own timeout, and its answer is dropped.
func (c *Client) pidOf(identity string, changed <-chan struct{}, timeout <-chan time.Time) (*actor.PID, error) {
	if pid, ok := c.cluster.PidCache.Get(identity, SectionKindName); ok && pid != nil {
		return pid, nil
	}
	found := make(chan *actor.PID, 1)
	go func() { found <- c.lookup(identity, SectionKindName) }()
	select {
	case pid := <-found:
		if pid == nil {
			return nil, errNoActivation
		}
		c.cluster.PidCache.Set(identity, SectionKindName, pid)
		return pid, nil
	case <-changed:
		return nil, errTopologyChanged
	case <-timeout:
		return nil, errNoAnswer
	}
}

// timerPool keeps the stopped timers of finished attempts for the next ones: an attempt
// needs one, and a new timer costs three allocations. Since Go 1.23 a stopped or reset
// timer's channel never delivers a value from before the Stop or Reset, so a timer
// taken from the pool fires only for its new attempt.
type timerPool struct{ p sync.Pool }

// start returns a timer firing after d.
func (tp *timerPool) start(d time.Duration) *time.Timer {
	if t, ok := tp.p.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

// put stops t and keeps it for reuse; its owner must not use it any more.
func (tp *timerPool) put(t *time.Timer) {
	t.Stop()
	tp.p.Put(t)
}

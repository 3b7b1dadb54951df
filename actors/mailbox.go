package actors

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// mailboxCounter counts the messages waiting in one actor's mailbox.
type mailboxCounter struct{ n atomic.Int64 }

func (c *mailboxCounter) MailboxStarted()             {}
func (c *mailboxCounter) MessagePosted(interface{})   { c.n.Add(1) }
func (c *mailboxCounter) MessageReceived(interface{}) { c.n.Add(-1) }
func (c *mailboxCounter) MailboxEmpty()               {}

func (c *mailboxCounter) value() int {
	if c == nil {
		return 0
	}
	return int(c.n.Load())
}

// mailboxRegistry gives each section actor its own counting mailbox and lets the actor
// find its counter: protoactor registers the actor's context as the mailbox's invoker,
// and the same context is what the actor receives.
type mailboxRegistry struct {
	mu sync.Mutex
	m  map[any]*mailboxCounter
}

func newMailboxRegistry() *mailboxRegistry {
	return &mailboxRegistry{m: make(map[any]*mailboxCounter)}
}

// producer makes counting unbounded mailboxes.
func (r *mailboxRegistry) producer() actor.MailboxProducer {
	return func() actor.Mailbox {
		c := &mailboxCounter{}
		return &countingMailbox{Mailbox: actor.Unbounded(c)(), reg: r, c: c}
	}
}

func (r *mailboxRegistry) lookup(ctx actor.Context) *mailboxCounter {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[any(ctx)]
}

// forget drops the entry of a stopped actor's context.
func (r *mailboxRegistry) forget(ctx actor.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, any(ctx))
}

type countingMailbox struct {
	actor.Mailbox
	reg *mailboxRegistry
	c   *mailboxCounter
}

// RegisterHandlers records which actor context owns this mailbox.
func (m *countingMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.reg.mu.Lock()
	m.reg.m[any(invoker)] = m.c
	m.reg.mu.Unlock()
	m.Mailbox.RegisterHandlers(invoker, dispatcher)
}

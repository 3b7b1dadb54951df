package actors

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// DefaultMailboxLimit is how many messages a section's mailbox holds when
// SectionConfig.MailboxLimit is unset.
const DefaultMailboxLimit = 10_000

// mailboxCounter counts the user messages in one actor's mailbox: posted and not yet
// handled. It is the mailbox's bound, so it is exact: a message is counted before it is
// queued and uncounted as the actor takes it.
type mailboxCounter struct {
	n atomic.Int64
	// arrived is when the message the actor is taking now entered the mailbox, by the
	// mailbox's clock (local time); zero for a message that is not a command. Only the
	// goroutine running the actor touches it: it is set just before the actor receives
	// the message.
	arrived time.Time
}

// arrival is when the message the actor is handling now entered its mailbox; zero when
// unknown.
func (c *mailboxCounter) arrival() time.Time {
	if c == nil {
		return time.Time{}
	}
	return c.arrived
}

func (c *mailboxCounter) value() int {
	if c == nil {
		return 0
	}
	return int(c.n.Load())
}

// admit counts one more message unless limit are waiting already (limit <= 0: no bound).
func (c *mailboxCounter) admit(limit int64) bool {
	for {
		n := c.n.Load()
		if limit > 0 && n >= limit {
			return false
		}
		if c.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// mailboxRegistry gives each section actor its own bounded, counting mailbox and lets the
// actor find its counter: protoactor registers the actor's context as the mailbox's
// invoker, and the same context is what the actor receives.
type mailboxRegistry struct {
	limit   int64
	metrics *Metrics
	clock   Clock

	mu sync.Mutex
	m  map[any]*mailboxCounter
}

// newMailboxRegistry makes mailboxes that refuse commands once limit messages wait
// (limit <= 0: unbounded), counting refusals in metrics (nil: not counted); clock tells
// which commands are past their deadline.
func newMailboxRegistry(limit int, metrics *Metrics, clock Clock) *mailboxRegistry {
	return &mailboxRegistry{limit: int64(limit), metrics: metrics, clock: clock, m: make(map[any]*mailboxCounter)}
}

// producer makes the mailboxes: protoactor's unbounded queue behind the count.
func (r *mailboxRegistry) producer() actor.MailboxProducer {
	return func() actor.Mailbox {
		return &countingMailbox{Mailbox: actor.Unbounded()(), reg: r, c: &mailboxCounter{}}
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

// countingMailbox is a section's mailbox. A command (hold, release, extend, confirm,
// cancel) that finds it full is refused as it arrives: its sender is answered OVERLOADED
// at once and the command is never queued, so it is never decided. The actor's own
// messages (batch results, timers, payments) and queries are always queued: they free
// the mailbox rather than fill it. So is a command already past its deadline: it can
// decide nothing, and it is how Client asks for the fate of the copies before it, which
// a busy section must still answer (see Client.askFate).
type countingMailbox struct {
	actor.Mailbox
	reg  *mailboxRegistry
	c    *mailboxCounter
	root atomic.Pointer[actor.RootContext] // answers refused commands
}

// PostUserMessage queues message, or refuses it when it is a command and the mailbox is
// full.
func (m *countingMailbox) PostUserMessage(message interface{}) {
	body, sender := message, (*actor.PID)(nil)
	if env, ok := message.(*actor.MessageEnvelope); ok {
		body, sender = env.Message, env.Sender
	}
	if !isCommand(body) || m.reg.pastDeadline(body) {
		m.c.n.Add(1)
	} else if !m.c.admit(m.reg.limit) {
		m.reg.metrics.refused(RefusedOverloaded)
		if root := m.root.Load(); root != nil && sender != nil {
			root.Send(sender, ErrorReply(errOverloaded))
		}
		return
	}
	if isCommand(body) {
		message = &stampedMessage{msg: message, at: m.reg.clock.Now()}
	}
	m.Mailbox.PostUserMessage(message)
}

// stampedMessage is a command as its mailbox queued it, with the time it arrived: the
// invoker unwraps it before the actor sees it.
type stampedMessage struct {
	msg any
	at  time.Time
}

// RegisterHandlers records which actor context owns this mailbox, and uncounts each user
// message as the actor takes it.
func (m *countingMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	if sys, ok := invoker.(interface{ ActorSystem() *actor.ActorSystem }); ok {
		m.root.Store(sys.ActorSystem().Root)
	}
	m.reg.mu.Lock()
	m.reg.m[any(invoker)] = m.c
	m.reg.mu.Unlock()
	m.Mailbox.RegisterHandlers(countingInvoker{MessageInvoker: invoker, c: m.c}, dispatcher)
}

// countingInvoker uncounts a user message as the actor takes it, and tells the actor
// when a command arrived.
type countingInvoker struct {
	actor.MessageInvoker
	c *mailboxCounter
}

func (i countingInvoker) InvokeUserMessage(message interface{}) {
	i.c.n.Add(-1)
	i.c.arrived = time.Time{}
	if s, ok := message.(*stampedMessage); ok {
		i.c.arrived, message = s.at, s.msg
	}
	i.MessageInvoker.InvokeUserMessage(message)
}

// pastDeadline reports whether msg carries a deadline that has passed.
func (r *mailboxRegistry) pastDeadline(msg any) bool {
	d, ok := msg.(interface{ GetDeadlineUnixMicro() int64 })
	return ok && d.GetDeadlineUnixMicro() != 0 && r.clock.Now().UnixMicro() > d.GetDeadlineUnixMicro()
}

// isCommand reports whether msg asks a section for a decision: the messages a full
// mailbox refuses.
func isCommand(msg any) bool {
	switch msg.(type) {
	case *HoldCommand, *ReleaseCommand, *ExtendCommand, *ConfirmCommand, *CancelCommand:
		return true
	}
	return false
}

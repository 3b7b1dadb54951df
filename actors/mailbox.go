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
	// superseded is set, like arrived, when the command the actor is taking now was
	// queued before its mailbox refused a later copy of it (same user and idempotency
	// key): the section must not decide it (see keyLedger).
	superseded bool
	// keys are the idempotency keys of the commands this mailbox queued lately.
	keys keyLedger
}

// wasSuperseded reports whether the command the actor is handling now must not be
// decided: its mailbox refused a later copy of it.
func (c *mailboxCounter) wasSuperseded() bool {
	return c != nil && c.superseded
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
	// window is how long after a copy of a command was taken a later copy of it is
	// queued whatever the limit (see keyLedger).
	window time.Duration

	mu sync.Mutex
	m  map[any]*mailboxCounter
}

// newMailboxRegistry makes mailboxes that refuse commands once limit messages wait
// (limit <= 0: unbounded), counting refusals in metrics (nil: not counted); clock tells
// which commands are past their deadline, and window how long a key taken is remembered
// (see keyLedger).
func newMailboxRegistry(limit int, metrics *Metrics, clock Clock, window time.Duration) *mailboxRegistry {
	return &mailboxRegistry{limit: int64(limit), metrics: metrics, clock: clock, window: window, m: make(map[any]*mailboxCounter)}
}

// producer makes the mailboxes: protoactor's unbounded queue behind the count.
func (r *mailboxRegistry) producer() actor.MailboxProducer {
	return func() actor.Mailbox {
		c := &mailboxCounter{keys: keyLedger{window: r.window, keys: make(map[idemKey]*keyEntry)}}
		return &countingMailbox{Mailbox: actor.Unbounded()(), reg: r, c: c}
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
// full. A full mailbox still queues a copy of a command whose earlier copy (same user
// and idempotency key) the section took lately, and remembers a copy it refuses while
// an earlier copy waits, so that the section does not decide that one (see keyLedger).
func (m *countingMailbox) PostUserMessage(message interface{}) {
	body, sender := message, (*actor.PID)(nil)
	if env, ok := message.(*actor.MessageEnvelope); ok {
		body, sender = env.Message, env.Sender
	}
	if !isCommand(body) {
		m.c.n.Add(1)
		m.Mailbox.PostUserMessage(message)
		return
	}
	k := commandKey(body)
	now := m.reg.clock.Now()
	var seq uint64
	switch {
	case m.reg.pastDeadline(body):
		m.c.n.Add(1)
		seq = m.c.keys.queued(k)
	case m.c.admit(m.reg.limit):
		seq = m.c.keys.queued(k)
	default:
		if seq = m.c.keys.overLimit(k, now); seq != 0 {
			m.c.n.Add(1)
			break
		}
		m.reg.metrics.refused(RefusedOverloaded)
		if root := m.root.Load(); root != nil && sender != nil {
			root.Send(sender, ErrorReply(errOverloaded))
		}
		return
	}
	m.Mailbox.PostUserMessage(&stampedMessage{msg: message, at: now, k: k, seq: seq})
}

// stampedMessage is a command as its mailbox queued it, with the time it arrived: the
// invoker unwraps it before the actor sees it.
type stampedMessage struct {
	msg any
	at  time.Time
	// k is the command's idempotency key and seq its place among the keyed commands
	// of the mailbox (both zero: the command has no key).
	k   idemKey
	seq uint64
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
	i.c.arrived, i.c.superseded = time.Time{}, false
	if s, ok := message.(*stampedMessage); ok {
		i.c.arrived, message = s.at, s.msg
		i.c.superseded = i.c.keys.taken(s.k, s.seq, s.at)
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

// commandKey is a command's user and idempotency key (zero when it has none).
func commandKey(msg any) idemKey {
	c, ok := msg.(interface {
		GetUserId() string
		GetIdempotencyKey() string
	})
	if !ok || c.GetIdempotencyKey() == "" {
		return idemKey{}
	}
	return idemKey{c.GetUserId(), c.GetIdempotencyKey()}
}

// keyLedger makes a full mailbox's OVERLOADED true for the command's idempotency key,
// not only for the copy it refuses. A caller that gave up on a copy of a command (its
// answer was late) sends the command again with the same key; that copy may find the
// mailbox full while the first copy still waits in it, or just after the section
// decided the first copy and before that decision was written where the caller looks
// first (the store). Answered OVERLOADED, it would tell the caller that nothing was
// decided while the earlier copy is, or will be. So the mailbox remembers, per key:
//
//   - a copy refused while an earlier copy of the key waits in the mailbox: when the
//     section takes that earlier copy, it does not decide it (it answers it from the
//     key's decision, when the section has one, or EXPIRED: nothing decided);
//   - when a copy of the key was last taken by the section: a later copy that finds the
//     mailbox full within window of that is queued all the same, like a copy past its
//     deadline, and answered from the key's decision when the section has one.
//
// Keys are remembered from the moment a copy is queued until window after the last copy
// was taken, so the ledger holds the keys of what waits plus what was taken within
// window: bounded by the section's rate times window. It is local to the mailbox and
// costs a lock per keyed command queued and taken.
type keyLedger struct {
	window time.Duration

	mu   sync.Mutex
	seq  uint64
	keys map[idemKey]*keyEntry
	// ages lists keys in the order their copies were taken, to forget them.
	ages []takenAge
}

// keyEntry is what the mailbox knows of one key: the places (seq) of its latest copy
// queued, of its latest copy taken, and of its latest copy refused, and when its latest
// copy was taken.
type keyEntry struct {
	queued, taken, refused uint64
	takenAt                time.Time
}

type takenAge struct {
	k  idemKey
	at time.Time
}

// next is the next place; the caller holds mu.
func (l *keyLedger) next() uint64 {
	l.seq++
	return l.seq
}

// entry is k's entry, made when missing; the caller holds mu.
func (l *keyLedger) entry(k idemKey) *keyEntry {
	if e := l.keys[k]; e != nil {
		return e
	}
	e := &keyEntry{}
	l.keys[k] = e
	return e
}

// queued records a copy of k queued, and returns its place (0: k is no key).
func (l *keyLedger) queued(k idemKey) uint64 {
	if k.key == "" {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	seq := l.next()
	l.entry(k).queued = seq
	return seq
}

// overLimit decides a copy of k that found the mailbox full: queued all the same when a
// copy of k was taken within window of now (it returns the copy's place), or refused
// (0), remembering the refusal when an earlier copy of k waits.
func (l *keyLedger) overLimit(k idemKey, now time.Time) uint64 {
	if k.key == "" {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[k]
	switch {
	case e == nil:
		return 0
	case e.taken != 0 && now.Sub(e.takenAt) < l.window:
		e.queued = l.next()
		return e.queued
	case e.queued > e.taken:
		e.refused = l.next()
	}
	return 0
}

// taken records the section taking the copy of k at place seq (0: no key), at now, and
// reports whether a later copy of k was refused: then this one must not be decided.
func (l *keyLedger) taken(k idemKey, seq uint64, now time.Time) bool {
	if seq == 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entry(k)
	e.taken, e.takenAt = max(e.taken, seq), now
	l.ages = append(l.ages, takenAge{k, now})
	l.forget(now)
	return e.refused > seq
}

// forget drops the keys none of whose copies waits and whose last copy was taken
// window or more before now; the caller holds mu.
func (l *keyLedger) forget(now time.Time) {
	i := 0
	for ; i < len(l.ages) && now.Sub(l.ages[i].at) >= l.window; i++ {
		a := l.ages[i]
		if e := l.keys[a.k]; e != nil && e.takenAt.Equal(a.at) && e.queued <= e.taken {
			delete(l.keys, a.k)
		}
	}
	l.ages = l.ages[i:]
}

// size is how many keys the ledger remembers.
func (l *keyLedger) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

package actors

import (
	"errors"
	"time"

	"go.uber.org/zap"
)

// SectionKindName is the protoactor cluster kind of the section actor.
const SectionKindName = "section"

// SectionConfig is what every section actor of a node shares. Store, Payments and
// Logger are required; the zero value of everything else works.
type SectionConfig struct {
	Store    Store
	Payments Payments
	Logger   *zap.Logger
	Leases   Leases // nil: no lease (the fence still holds)
	// Membership, when set, lets an activation take a section's lease over at once from
	// a member that is no longer alive (a crashed or restarted process) instead of
	// waiting for it to run out; nil waits.
	Membership Membership
	Tracer     Tracer   // nil: no traces
	Clock      Clock    // nil: the system clock
	Metrics    *Metrics // nil: no metrics
	NodeName   string
	// HoldTTL is how long a hold lives before it expires (default 10m).
	HoldTTL time.Duration
	// PassivateAfter stops a section that has been idle this long and has no active
	// holds (default 2m).
	PassivateAfter time.Duration
	// LeaseTTL is the Redis lease's time to live; it is renewed every third of it
	// (default 3s).
	LeaseTTL time.Duration
	// CommitTimeout bounds one batch write (default 5s).
	CommitTimeout time.Duration
	// RetryHorizon is the longest a Client keeps retrying one request
	// (ClientConfig.RetryHorizon of the Clients that call the section; default that of
	// the zero ClientConfig). The section keeps idempotency answers in memory, and loads
	// them at activation, for keyWindowMargin times as long; older ones are looked up in
	// the store. It also bounds a payment whose confirm carries no deadline.
	RetryHorizon time.Duration
	// MailboxLimit is how many messages may wait in a section's mailbox: a command that
	// finds it full is refused at once, undecided, with OVERLOADED (default
	// DefaultMailboxLimit; negative: unbounded).
	MailboxLimit int
	// OnCommit, when set, is called after every committed batch with the section's new
	// version; it must not block.
	OnCommit func(key SectionKey, version int64)
	// RecordAttempts makes the section write every command it decides, granted or
	// refused, to the attempt log, in the batch of its decision (see Attempt). A refusal
	// that rests on nothing uncommitted is still answered at once; its attempt goes out
	// with the next batch, or in a batch of attempts alone.
	RecordAttempts bool
	// PauseLimit is the longest a section stays paused (the classroom's pause): it then
	// resumes by itself (default DefaultPauseLimit).
	PauseLimit time.Duration
}

// DefaultPauseLimit is SectionConfig.PauseLimit when unset.
const DefaultPauseLimit = 2 * time.Minute

// validate reports the missing required fields.
func (c SectionConfig) validate() error {
	if c.Store == nil || c.Payments == nil || c.Logger == nil {
		return errors.New("section config: Store, Payments and Logger are required")
	}
	return nil
}

// withDefaults returns a copy of c with every unset optional field filled in.
func (c SectionConfig) withDefaults() SectionConfig {
	if c.Tracer == nil {
		c.Tracer = NopTracer{}
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.HoldTTL <= 0 {
		c.HoldTTL = 10 * time.Minute
	}
	if c.PassivateAfter <= 0 {
		c.PassivateAfter = 2 * time.Minute
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 3 * time.Second
	}
	if c.CommitTimeout <= 0 {
		c.CommitTimeout = defaultCommitTimeout
	}
	if c.RetryHorizon <= 0 {
		c.RetryHorizon = ClientConfig{}.RetryHorizon()
	}
	if c.PauseLimit <= 0 {
		c.PauseLimit = DefaultPauseLimit
	}
	if c.MailboxLimit == 0 {
		c.MailboxLimit = DefaultMailboxLimit
	}
	return c
}

// defaultCommitTimeout bounds one batch write when SectionConfig.CommitTimeout is unset.
const defaultCommitTimeout = 5 * time.Second

// keyWindowMargin is how many retry horizons an idempotency answer stays in a section's
// memory: a margin for clocks, queues and a retry that starts as the horizon ends.
const keyWindowMargin = 2

// keyWindow is how long the section keeps an idempotency answer in memory.
func (c SectionConfig) keyWindow() time.Duration { return keyWindowMargin * c.RetryHorizon }

// takenWindow is how long the section's mailbox remembers a key it handed the section
// (see keyLedger): a copy of the key it would refuse within that time may come from a
// caller that looked the key up in the store before the section's decision of it was
// written there (within twice CommitTimeout), so it is queued and answered from that
// decision. RetryHorizon bounds how long a request goes on after its lookup.
func (c SectionConfig) takenWindow() time.Duration { return max(c.RetryHorizon, 2*c.CommitTimeout) }

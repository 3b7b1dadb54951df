package actors

import (
	"time"

	"go.uber.org/zap"
)

// ClientConfig tunes Client's retries. The zero value works.
type ClientConfig struct {
	// AttemptTimeout bounds one request to the section actor (default 5s).
	AttemptTimeout time.Duration
	// Attempts is how many times a retryable failure is tried (default 6).
	Attempts int
	// BaseBackoff is the first retry's wait; it doubles up to MaxBackoff, with jitter
	// (defaults 25ms and 1s).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// LocateCache is how many hold and order locations (section and owner) the client
	// remembers, so that release, extend, confirm and cancel of what this node created
	// skip a database lookup (default 10,000; a location never changes). Each costs
	// about 250 bytes and a miss one indexed read, so the cache covers the recent holds,
	// which are the ones released, extended and confirmed, without growing with the sale.
	LocateCache int
	// AnswerGrace is how long, once a command's attempts went unanswered, the client
	// keeps asking its section for the command's fate before it gives up (default 10s:
	// twice the section's default CommitTimeout, the longest a command decided just
	// before its deadline waits for its answer, behind the batch being written and then
	// in its own). It may take the call past ctx's deadline: see Client.request.
	AnswerGrace time.Duration
	Logger      *zap.Logger
}

// withDefaults returns a copy of c with every unset field filled in.
// defaultLocateCache is ClientConfig.LocateCache's default.
const defaultLocateCache = 10_000

func (c ClientConfig) withDefaults() ClientConfig {
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 5 * time.Second
	}
	if c.Attempts <= 0 {
		c.Attempts = 6
	}
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = 25 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Second
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.LocateCache <= 0 {
		c.LocateCache = defaultLocateCache
	}
	if c.AnswerGrace <= 0 {
		c.AnswerGrace = 2 * defaultCommitTimeout
	}
	return c
}

// RetryHorizon is the longest a Client keeps trying one request: every attempt's full
// timeout plus the longest wait before each retry, then the grace in which it asks for
// the fate of unanswered attempts. A retry can need the first answer to its idempotency
// key for that long after the key was first sent.
func (c ClientConfig) RetryHorizon() time.Duration {
	c = c.withDefaults()
	return time.Duration(c.Attempts)*c.AttemptTimeout + time.Duration(c.Attempts-1)*c.MaxBackoff + c.AnswerGrace
}

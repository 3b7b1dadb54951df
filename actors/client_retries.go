package actors

import (
	"net"
	"strconv"
	"sync"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"
)

const (
	// retrySettleGrace is how long after a change's last echo its summary is first
	// attempted, and how often it is attempted again while requests it cut short still
	// retry.
	retrySettleGrace = time.Second
	// retrySummaryMax is how long after a change its summary waits at most.
	retrySummaryMax = 15 * time.Second
)

// topologyChange is one membership change as the Client saw it: which members joined
// and left, how many requests it cut short (each retried with its idempotency key), and
// how those requests ended. It is logged once: at info level when every retried request
// was answered, at warning level when some failed or were still retrying after
// retrySummaryMax. A change that cut nothing short is logged at debug level.
type topologyChange struct {
	joined, left []string // remoting addresses
	at           time.Time

	mu       sync.Mutex
	retried  int
	answered int // answered after the retry (a grant or a definite refusal)
	failed   int // ended unavailable
	logged   bool
}

func newTopologyChange(t *protocluster.ClusterTopology, at time.Time) *topologyChange {
	c := &topologyChange{at: at}
	for _, m := range t.Joined {
		c.joined = append(c.joined, net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))))
	}
	for _, m := range t.Left {
		c.left = append(c.left, net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))))
	}
	return c
}

// retry counts a request that this change cut short; a nil change counts nothing.
func (c *topologyChange) retry() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.retried++
	c.mu.Unlock()
}

// settle records how a request this change cut short ended: err is its final error.
func (c *topologyChange) settle(err error) {
	if c == nil {
		return
	}
	answered := err == nil
	if e, ok := AsError(err); ok && !e.Retryable() {
		answered = true
	}
	c.mu.Lock()
	if answered {
		c.answered++
	} else {
		c.failed++
	}
	c.mu.Unlock()
}

// report logs the change unless it was logged already or requests it cut short still
// retry and retrySummaryMax has not passed; it returns whether nothing is left to do.
func (c *topologyChange) report(log *zap.Logger, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logged {
		return true
	}
	pending := c.retried - c.answered - c.failed
	if pending > 0 && now.Sub(c.at) < retrySummaryMax {
		return false
	}
	c.logged = true
	fields := []zap.Field{
		zap.Strings("joined", c.joined), zap.Strings("left", c.left), zap.Int("retried", c.retried),
		zap.Int("answered", c.answered), zap.Int("failed", c.failed), zap.Int("still_retrying", pending),
	}
	switch {
	case c.retried == 0:
		log.Debug("membership changed; no request had to be retried", fields...)
	case c.failed > 0 || pending > 0:
		log.Warn("requests retried after a membership change; some were not answered", fields...)
	default:
		log.Info("requests retried after a membership change; all answered", fields...)
	}
	return true
}

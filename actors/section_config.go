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
	Leases   Leases   // nil: no lease (the fence still holds)
	Tracer   Tracer   // nil: no traces
	Clock    Clock    // nil: the system clock
	Metrics  *Metrics // nil: no metrics
	NodeName string
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
	// OnCommit, when set, is called after every committed batch with the section's new
	// version; it must not block.
	OnCommit func(key SectionKey, version int64)
}

func (c *SectionConfig) withDefaults() (*SectionConfig, error) {
	if c.Store == nil || c.Payments == nil || c.Logger == nil {
		return nil, errors.New("section config: Store, Payments and Logger are required")
	}
	n := *c
	if n.Tracer == nil {
		n.Tracer = NopTracer{}
	}
	if n.Clock == nil {
		n.Clock = SystemClock{}
	}
	if n.HoldTTL <= 0 {
		n.HoldTTL = 10 * time.Minute
	}
	if n.PassivateAfter <= 0 {
		n.PassivateAfter = 2 * time.Minute
	}
	if n.LeaseTTL <= 0 {
		n.LeaseTTL = 3 * time.Second
	}
	if n.CommitTimeout <= 0 {
		n.CommitTimeout = 5 * time.Second
	}
	return &n, nil
}

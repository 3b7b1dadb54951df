package classic

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Defaults of LockConfig and PGConfig.
const (
	DefaultHoldTTL     = 10 * time.Minute
	DefaultSeatLockTTL = 30 * time.Second
	// DefaultCandidates is how many ranked best-available choices a request reads; the
	// first one free (in Redis for Lock, not row-locked for PG) is taken.
	DefaultCandidates = 128
)

// LockConfig configures a Lock. Pool, Redis and Payments are required; the zero value
// of every other field selects its default.
type LockConfig struct {
	Pool  *pgxpool.Pool
	Redis *redis.Client
	// Prefix starts every Redis key the strategy writes.
	Prefix string
	// HoldTTL is how long a hold lives; an extension never takes a hold past 3 × HoldTTL
	// after its creation. Default DefaultHoldTTL.
	HoldTTL time.Duration
	// SeatLockTTL bounds how long a crashed request can keep a seat's Redis lock.
	// Default DefaultSeatLockTTL.
	SeatLockTTL time.Duration
	Payments    actors.Payments
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
	// Now stamps event envelopes; hold times always come from the database's clock.
	// Default time.Now.
	Now func() time.Time
	// OnOutbox is called when records reached the outbox (to wake the relay).
	OnOutbox func()
	// Candidates is how many ranked choices best available tries. Default
	// DefaultCandidates.
	Candidates int
	// Tracer, when set, receives the visualizer's traces of the strategy's transactions
	// and retries (and, for Lock, of its seat locks). It must not block.
	Tracer actors.Tracer
}

// withDefaults returns a copy of c with every unset optional field filled in.
func (c LockConfig) withDefaults() LockConfig {
	if c.HoldTTL == 0 {
		c.HoldTTL = DefaultHoldTTL
	}
	if c.SeatLockTTL == 0 {
		c.SeatLockTTL = DefaultSeatLockTTL
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OnOutbox == nil {
		c.OnOutbox = func() {}
	}
	if c.Candidates == 0 {
		c.Candidates = DefaultCandidates
	}
	return c
}

// PGConfig configures a PG. Pool and Payments are required; the zero value of every
// other field selects its default.
type PGConfig struct {
	Pool *pgxpool.Pool
	// HoldTTL is how long a hold lives; an extension never takes a hold past 3 × HoldTTL
	// after its creation. Default DefaultHoldTTL.
	HoldTTL  time.Duration
	Payments actors.Payments
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
	// Now stamps event envelopes; hold times always come from the database's clock.
	// Default time.Now.
	Now func() time.Time
	// OnOutbox is called when records reached the outbox (to wake the relay).
	OnOutbox func()
	// Candidates is how many ranked choices best available tries. Default
	// DefaultCandidates.
	Candidates int
	// Tracer, when set, receives the visualizer's traces of the strategy's transactions
	// and retries (and, for Lock, of its seat locks). It must not block.
	Tracer actors.Tracer
}

// withDefaults returns a copy of c with every unset optional field filled in.
func (c PGConfig) withDefaults() PGConfig {
	if c.HoldTTL == 0 {
		c.HoldTTL = DefaultHoldTTL
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OnOutbox == nil {
		c.OnOutbox = func() {}
	}
	if c.Candidates == 0 {
		c.Candidates = DefaultCandidates
	}
	return c
}

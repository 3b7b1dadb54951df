package classic

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Defaults of LockConfig.
const (
	DefaultHoldTTL     = 10 * time.Minute
	DefaultSeatLockTTL = 30 * time.Second
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
}

// Lock is the classic reservation design (TICKETBLITZ_STRATEGY=lock): every request
// takes a Redis lock per seat, then in one Postgres transaction locks the seat rows FOR
// UPDATE and writes with a version check on the section. It is kept beside the actor
// strategy so the two can be measured and taught side by side.
//
// Lock order, to keep transactions free of deadlocks: the user's advisory lock (holds
// only), then hold or order rows by id, then seat rows by id, then the section row.
// General-admission holds take the section row right after the advisory lock; they
// touch no seat rows.
type Lock struct {
	pool     *pgxpool.Pool
	locks    *seatLocks
	holdTTL  time.Duration
	payments actors.Payments
	log      *zap.Logger
	now      func() time.Time
}

// NewLock checks cfg, fills in its defaults and returns the strategy.
func NewLock(cfg LockConfig) (*Lock, error) {
	switch {
	case cfg.Pool == nil:
		return nil, errors.New("lock strategy: postgres pool is required")
	case cfg.Redis == nil:
		return nil, errors.New("lock strategy: redis client is required")
	case cfg.Payments == nil:
		return nil, errors.New("lock strategy: payments are required")
	case cfg.HoldTTL < 0:
		return nil, fmt.Errorf("lock strategy: negative hold ttl %v", cfg.HoldTTL)
	case cfg.SeatLockTTL < 0:
		return nil, fmt.Errorf("lock strategy: negative seat lock ttl %v", cfg.SeatLockTTL)
	}
	if cfg.HoldTTL == 0 {
		cfg.HoldTTL = DefaultHoldTTL
	}
	if cfg.SeatLockTTL == 0 {
		cfg.SeatLockTTL = DefaultSeatLockTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Lock{
		pool:     cfg.Pool,
		locks:    newSeatLocks(cfg.Redis, cfg.Prefix, cfg.SeatLockTTL),
		holdTTL:  cfg.HoldTTL,
		payments: cfg.Payments,
		log:      cfg.Logger,
		now:      cfg.Now,
	}, nil
}

// fail returns domain errors as they are and turns anything else (driver, Redis,
// context) into a retryable UNAVAILABLE that still wraps the cause for the log.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := actors.AsError(err); ok {
		return err
	}
	return fmt.Errorf("lock strategy: %s: %w: %w", op, actors.Unavailable("store unavailable"), err)
}

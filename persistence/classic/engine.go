package classic

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// engine is what both classic strategies share: the transactions of release, extend,
// confirm, cancel and the expiry sweep, general-admission holds, idempotency, the
// per-user limit, the outbox journal and its sequencer, and the section cache. Lock and
// PG embed it and add their own ways of claiming seats.
type engine struct {
	name       string // for errors: "lock strategy", "pg strategy"
	pool       *pgxpool.Pool
	holdTTL    time.Duration
	payments   actors.Payments
	log        *zap.Logger
	now        func() time.Time
	candidates int
	onOutbox   func()
	sections   *sections
	seatReads  *seatReads
	seq        *Sequencer
	tracer     actors.Tracer // nil: no traces
}

// engineConfig is the part of LockConfig and PGConfig the engine takes, with defaults
// filled in.
type engineConfig struct {
	name       string
	pool       *pgxpool.Pool
	holdTTL    time.Duration
	payments   actors.Payments
	log        *zap.Logger
	now        func() time.Time
	candidates int
	onOutbox   func()
	tracer     actors.Tracer
}

func newEngine(c engineConfig) (*engine, error) {
	switch {
	case c.pool == nil:
		return nil, fmt.Errorf("%s: postgres pool is required", c.name)
	case c.payments == nil:
		return nil, fmt.Errorf("%s: payments are required", c.name)
	case c.holdTTL < 0:
		return nil, fmt.Errorf("%s: negative hold ttl %v", c.name, c.holdTTL)
	case c.candidates < 0:
		return nil, fmt.Errorf("%s: negative candidates %d", c.name, c.candidates)
	}
	seq, err := NewSequencer(SequencerConfig{Pool: c.pool, Logger: c.log.Named("sequencer"), OnOutbox: c.onOutbox})
	if err != nil {
		return nil, err
	}
	sections := newSections(c.pool)
	return &engine{
		name: c.name, pool: c.pool, holdTTL: c.holdTTL, payments: c.payments, log: c.log, now: c.now,
		candidates: c.candidates, onOutbox: c.onOutbox, sections: sections, seatReads: newSeatReads(sections), seq: seq,
		tracer: c.tracer,
	}, nil
}

// committed tells whoever waits for the journal's records that its transaction committed:
// the sequencer for a staged journal, the relay for an inline one.
func (e *engine) committed(j *journal) {
	switch {
	case j == nil || j.empty():
	case j.inline():
		e.onOutbox()
	default:
		e.seq.Notify(j.sec.key)
	}
}

// fail returns domain errors as they are and turns anything else (driver, Redis,
// context) into a retryable UNAVAILABLE that still wraps the cause for the log.
func (e *engine) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := actors.AsError(err); ok {
		return err
	}
	return fmt.Errorf("%s: %s: %w: %w", e.name, op, actors.Unavailable("store unavailable"), err)
}

// errReplayed means the request's idempotency key was found stored: the transaction
// rolls back and the stored answer is returned.
var errReplayed = errors.New("idempotency key already answered")

// RunSequencer numbers the strategy's staged section versions (see Sequencer.Run) until
// ctx is done, then returns nil.
func (e *engine) RunSequencer(ctx context.Context) error { return e.seq.Run(ctx) }

// Sequence moves the section's committed staged records into the outbox now (see
// Sequencer.Sequence).
func (e *engine) Sequence(ctx context.Context, key actors.SectionKey) error {
	return e.seq.Sequence(ctx, key)
}

// SeatMap returns the committed state of a section with a version that matches its seats
// exactly (see Sequencer.SeatMap). The live seat maps and GET …/seats of a server that
// runs a classic strategy read it instead of the store's.
func (e *engine) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	return e.seq.SeatMap(ctx, eventID, sectionID)
}

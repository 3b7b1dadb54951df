package classic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Lock is the Redis-lock reservation design (TICKETBLITZ_STRATEGY=lock), as a strong
// team builds it: a request takes a Redis lock per seat, all of its seats in one script
// (all or none), then one Postgres transaction reads the seats' versions, writes them
// with a version check (UPDATE … AND version = read), writes the hold and stages its
// outbox records, and commits; one more script frees the locks (or, when the claim
// committed, leaves them a moment as a hint to best available). It locks seat rows
// only: holds of different seats of one section never wait for each other. Best available
// reads the committed seats, ranks candidate blocks, and one script takes the first
// candidate whose seats are all free in Redis. Release, extend, confirm, cancel, general
// admission, expiry and the sequencer are the engine's, shared with PG.
//
// Where it spends its time: per hold, two Redis round trips (lock, unlock) and three
// PostgreSQL ones (BEGIN with the reads, the writes, COMMIT with its WAL flush); best
// available adds a read of the section's taken seats, shared by up to seatReadShare
// concurrent requests, and, when that read turns out stale for its choice, a read of
// the remaining candidates by key (see the package documentation for the rest).
type Lock struct {
	*engine
	locks *seatLocks
}

// NewLock checks cfg, fills in its defaults and returns the strategy.
func NewLock(cfg LockConfig) (*Lock, error) {
	switch {
	case cfg.Redis == nil:
		return nil, errors.New("lock strategy: redis client is required")
	case cfg.SeatLockTTL < 0:
		return nil, fmt.Errorf("lock strategy: negative seat lock ttl %v", cfg.SeatLockTTL)
	}
	cfg = cfg.withDefaults()
	e, err := newEngine(engineConfig{
		name: "lock strategy", pool: cfg.Pool, holdTTL: cfg.HoldTTL, payments: cfg.Payments, log: cfg.Logger,
		now: cfg.Now, candidates: cfg.Candidates, onOutbox: cfg.OnOutbox, tracer: cfg.Tracer,
	})
	if err != nil {
		return nil, err
	}
	return &Lock{engine: e, locks: newSeatLocks(cfg.Redis, cfg.Prefix, cfg.SeatLockTTL)}, nil
}

// Hold places a hold: exactly the requested seats, the best available seats of a
// reserved section, or a general-admission quantity. With an idempotency key, a retry
// of the same request returns the first hold.
func (l *Lock) Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error) {
	return l.hold(ctx, r, l)
}

// unlockTimeout bounds freeing seat locks after a request, even a cancelled one.
const unlockTimeout = 5 * time.Second

// unlock frees the seat locks token holds, whatever became of ctx: it settles them when
// the claim committed (claimed is true), and deletes them when it did not.
// user and took (when the locks were taken) are for the lock traces.
func (l *Lock) unlock(ctx context.Context, key actors.SectionKey, seats []string, token string, claimed bool, user string, took time.Time) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	free, outcome := l.locks.release, "freed"
	if claimed {
		free, outcome = l.locks.settleLocks, "settled"
	}
	if err := free(uctx, key, seats, token); err != nil {
		l.log.Warn("free seat locks", zap.String("section", key.Identity()), zap.String("hold", token), zap.Error(err))
		return
	}
	l.traceLocks(lockRelease, key, seats, user, "", outcome, time.Since(took))
}

// claimSeats holds exactly the requested seats: their Redis locks, then the
// version-checked transaction.
func (l *Lock) claimSeats(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	c := newClaim(sec, r, r.Seats)
	took := time.Now()
	taken, err := l.locks.acquire(ctx, sec.key, c.ordered, c.holdID)
	if err != nil {
		return actors.Hold{}, err
	}
	if len(taken) > 0 {
		l.traceLocks(lockRefuse, sec.key, taken, r.UserID, "held by another request", "", 0)
		if r.IdempotencyKey != "" { // a retry whose first attempt holds the locks still
			if s, err := lookupReply(ctx, l.pool, r.UserID, r.IdempotencyKey); err != nil || s.found {
				if err != nil {
					return actors.Hold{}, err
				}
				return s.hold(r.Hash())
			}
		}
		return actors.Hold{}, actors.SeatsUnavailable(taken)
	}
	l.traceLocks(lockTake, sec.key, c.ordered, r.UserID, "", "", 0)
	h, err := l.claimTx(ctx, l.pool, c, false, func(busy []string) error { return actors.SeatsUnavailable(busy) })
	l.unlock(ctx, sec.key, c.ordered, c.holdID, err == nil && h.ID == c.holdID, r.UserID, took)
	return h, err
}

// claimBest holds the best available seats: it ranks candidate blocks from the
// committed seats (a read shared with the concurrent best-available requests of the
// section), takes in one script the Redis locks of the first candidate whose seats are
// all free there, and claims them. When the choice was taken meanwhile (committed since
// the read), the remaining candidates are checked again by key and the next script
// walks those still free. When every candidate is being claimed by others, it waits for
// their claims to end and reads again (see bestRetry).
func (l *Lock) claimBest(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	return bestRetry(ctx, l.sections, sec, func() (actors.Hold, error) { return l.bestOnce(ctx, sec, r) })
}

// bestOnce is one read and the claims that follow it. It takes its connection first and
// keeps it, so that the read it ranks from is no older than the wait for the pool.
func (l *Lock) bestOnce(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return actors.Hold{}, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	seats, err := l.seatReads.read(ctx, sec.key, conn)
	if err != nil {
		return actors.Hold{}, err
	}
	candidates := actors.BestAvailableCandidates(seats, r.Quantity, r.Accessible, l.candidates)
	if candidates == nil {
		return bestSoldOut(ctx, conn, r)
	}
	for len(candidates) > 0 {
		holdID := actors.NewID("h_")
		took := time.Now()
		i, err := l.locks.acquireFirst(ctx, sec.key, candidates, holdID)
		if err != nil {
			return actors.Hold{}, err
		}
		if i < 0 {
			l.traceLocks(lockRefuse, sec.key, candidates[0], r.UserID, "every candidate held by other requests", "", 0)
			return actors.Hold{}, contended{takenCount(seats)}
		}
		c := newClaim(sec, r, candidates[i])
		c.holdID = holdID
		l.traceLocks(lockTake, sec.key, c.ordered, r.UserID, "", "", 0)
		h, err := l.claimTx(ctx, conn, c, false, func([]string) error { return errStaleChoice })
		l.unlock(ctx, sec.key, c.ordered, c.holdID, err == nil && h.ID == c.holdID, r.UserID, took)
		if !errors.Is(err, errStaleChoice) {
			return h, err
		}
		// The read is stale where it matters most: the best seats are the ones
		// claimed (and released) most often. Read the rest of the candidates again,
		// by key, and keep those still free.
		if candidates, err = stillFree(ctx, conn, sec.key, candidates[i+1:]); err != nil {
			return actors.Hold{}, err
		}
	}
	return actors.Hold{}, errStaleChoice
}

// stillFree returns the candidates all of whose seats are available now.
func stillFree(ctx context.Context, db batchSender, key actors.SectionKey, candidates [][]string) ([][]string, error) {
	if len(candidates) == 0 {
		return nil, nil
	}
	var ids []string
	for _, c := range candidates {
		ids = append(ids, c...)
	}
	found := map[string]seatRow{}
	b := &pgx.Batch{}
	queueSeats(b, key, slices.Compact(slices.Sorted(slices.Values(ids))), false, found)
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	out := make([][]string, 0, len(candidates))
	for _, c := range candidates {
		if !slices.ContainsFunc(c, func(id string) bool { return found[id].status != actors.SeatAvailable }) {
			out = append(out, c)
		}
	}
	return out, nil
}

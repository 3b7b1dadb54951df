package classic

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// PG is the PostgreSQL-only reservation design (TICKETBLITZ_STRATEGY=pg), the one many
// ticketing systems run (alf.io, for one): no Redis. Explicit seats lock their rows
// (SELECT … FOR UPDATE, in id order), are checked and updated in the same transaction;
// best available ranks candidate blocks from the committed seats and locks, in one
// statement, the free seats of the candidates in preference order with FOR UPDATE SKIP
// LOCKED, taking the first candidate it locked whole: concurrent requests step around
// each other's seats instead of waiting for them. Release, extend, confirm, cancel,
// general admission, expiry and the sequencer are the engine's, shared with Lock.
//
// Where it spends its time: per hold, three PostgreSQL round trips (BEGIN with the
// user's lock, the count and the seat locks; the writes; COMMIT with its WAL flush);
// best available adds a read of the section's taken seats, shared by up to
// seatReadShare concurrent requests. A contended seat costs a wait on its row lock
// (explicit seats) or nothing (best available skips it).
type PG struct {
	*engine
}

// NewPG checks cfg, fills in its defaults and returns the strategy.
func NewPG(cfg PGConfig) (*PG, error) {
	cfg = cfg.withDefaults()
	e, err := newEngine(engineConfig{
		name: "pg strategy", pool: cfg.Pool, holdTTL: cfg.HoldTTL, payments: cfg.Payments, log: cfg.Logger,
		now: cfg.Now, candidates: cfg.Candidates, onOutbox: cfg.OnOutbox, tracer: cfg.Tracer,
	})
	if err != nil {
		return nil, err
	}
	return &PG{engine: e}, nil
}

// Hold places a hold: exactly the requested seats, the best available seats of a
// reserved section, or a general-admission quantity. With an idempotency key, a retry
// of the same request returns the first hold.
func (p *PG) Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error) {
	return p.hold(ctx, r, p)
}

// claimSeats holds exactly the requested seats under their row locks.
func (p *PG) claimSeats(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	return p.claimTx(ctx, p.pool, newClaim(sec, r, r.Seats), true, func(busy []string) error { return actors.SeatsUnavailable(busy) })
}

// skipLockedSQL locks up to $4 free seats among $3, in the order of $3, skipping those
// another transaction has locked. Each seat is one lookup by the whole primary key (a
// lateral subquery cannot be turned into a scan of the table), locked as the limit
// pulls it: no more than $4 seats are locked, and none that is not free.
const skipLockedSQL = `
SELECT s.id
FROM unnest($3::text[]) WITH ORDINALITY AS k(id, n)
CROSS JOIN LATERAL (
	SELECT st.id FROM seats AS st
	WHERE st.event_id = $1 AND st.section_id = $2 AND st.id = k.id AND st.status = 'available'
	LIMIT 1
) AS s
ORDER BY k.n
LIMIT $4
FOR UPDATE OF s SKIP LOCKED`

// claimBest holds the best available seats. It ranks candidate blocks from the
// committed seats (a read shared with the concurrent best-available requests of the
// section); then one transaction, in the round trip that begins it, locks the
// candidates' free seats in preference order with SKIP LOCKED, and claims the first
// candidate it locked whole. When it locked none whole (every candidate taken since the
// read, or being claimed), it reads again (see bestRetry).
func (p *PG) claimBest(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	return bestRetry(ctx, p.sections, sec, func() (actors.Hold, error) { return p.bestOnce(ctx, sec, r) })
}

// bestOnce is one read and the transaction that follows it. It takes its connection
// first and keeps it, so that the read it ranks from is no older than the wait for the
// pool.
func (p *PG) bestOnce(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return actors.Hold{}, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	seats, err := p.seatReads.read(ctx, sec.key, conn)
	if err != nil {
		return actors.Hold{}, err
	}
	candidates := actors.BestAvailableCandidates(seats, r.Quantity, r.Accessible, p.candidates)
	if candidates == nil {
		return bestSoldOut(ctx, conn, r)
	}
	h, err := p.lockBest(ctx, conn, sec, r, candidates)
	if errors.Is(err, errStaleChoice) {
		return actors.Hold{}, contended{takenCount(seats)}
	}
	return h, err
}

// lockBest is one try of claimBest; errStaleChoice when no candidate could be locked
// whole.
func (p *PG) lockBest(ctx context.Context, db batchSender, sec sectionMeta, r actors.HoldRequest, candidates [][]string) (actors.Hold, error) {
	var (
		stored storedReply
		u      userTickets
		locked []string
		hold   actors.Hold
		j      *journal
	)
	flat, limit := lockList(candidates, r.Quantity)
	err := runTx(ctx, db, func(b *pgx.Batch) {
		if r.IdempotencyKey != "" {
			queueReplay(b, r.UserID, r.IdempotencyKey, &stored)
		}
		queueUserTickets(b, sec.key.EventID, r.UserID, &u)
		b.Queue(skipLockedSQL, sec.key.EventID, sec.key.SectionID, flat, limit).Query(func(rows pgx.Rows) error {
			var err error
			if locked, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return fmt.Errorf("lock best seats of %s: %w", sec.key, err)
			}
			return nil
		})
	}, func(tx pgx.Tx) error {
		if stored.found {
			return errReplayed
		}
		chosen := firstWhole(candidates, locked)
		if chosen == nil {
			return errStaleChoice
		}
		if err := u.check(sec, len(chosen)); err != nil {
			return err
		}
		c := newClaim(sec, r, chosen)
		b := &pgx.Batch{}
		b.Queue(holdSeatsSQL, sec.key.EventID, sec.key.SectionID, c.ordered, c.holdID).
			Exec(expectRows(fmt.Sprintf("hold seats of %s", sec.key), len(c.ordered)))
		var err error
		if hold, j, err = p.queueHold(b, c, u.now); err != nil {
			return err
		}
		return send(ctx, tx, b)
	})
	if errors.Is(err, errReplayed) {
		return stored.hold(r.Hash())
	}
	if err != nil {
		return actors.Hold{}, err
	}
	p.committed(j)
	return hold, nil
}

// lockList is what skipLockedSQL is given for candidates: their seats in preference
// order, each once, and how many of them to lock. One seat: exactly the best one free.
// A party: a few more, so that the locked seats likely hold a whole candidate even when
// some are taken; the extra locks last until the commit, and others skip them meanwhile.
func lockList(candidates [][]string, qty int) (flat []string, limit int) {
	seen := map[string]bool{}
	for _, c := range candidates {
		for _, id := range c {
			if !seen[id] {
				seen[id] = true
				flat = append(flat, id)
			}
		}
	}
	if qty == 1 {
		return flat, 1
	}
	return flat, min(len(flat), 4*qty)
}

// firstWhole returns the first candidate all of whose seats are locked, or nil.
func firstWhole(candidates [][]string, locked []string) []string {
	have := make(map[string]bool, len(locked))
	for _, id := range locked {
		have[id] = true
	}
	for _, c := range candidates {
		if allIn(c, have) {
			return c
		}
	}
	return nil
}

// allIn reports whether every seat is in set.
func allIn(seats []string, set map[string]bool) bool {
	for _, id := range seats {
		if !set[id] {
			return false
		}
	}
	return true
}

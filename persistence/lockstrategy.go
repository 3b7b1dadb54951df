package persistence

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Defaults of LockConfig.
const (
	DefaultLockHoldTTL     = 10 * time.Minute
	DefaultLockSeatLockTTL = 30 * time.Second
)

// lockExpiryInterval is how often RunExpiry looks for holds past their expiry.
const lockExpiryInterval = 500 * time.Millisecond

// LockConfig configures a LockStrategy. Pool, Redis and Payments are required; the
// zero value of every other field selects its default.
type LockConfig struct {
	Pool  *pgxpool.Pool
	Redis *redis.Client
	// Prefix starts every Redis key the strategy writes.
	Prefix string
	// HoldTTL is how long a hold lives; an extension never takes a hold past 3 × HoldTTL
	// after its creation. Default DefaultLockHoldTTL.
	HoldTTL time.Duration
	// SeatLockTTL bounds how long a crashed request can keep a seat's Redis lock.
	// Default DefaultLockSeatLockTTL.
	SeatLockTTL time.Duration
	Payments    actors.Payments
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
	// Now stamps event envelopes; hold times always come from the database's clock.
	// Default time.Now.
	Now func() time.Time
}

// LockStrategy is the classic reservation design (TICKETBLITZ_STRATEGY=lock): every
// request takes a Redis lock per seat, then in one Postgres transaction locks the seat
// rows FOR UPDATE and writes with a version check on the section. It is kept beside the
// actor strategy so the two can be measured and taught side by side.
//
// Lock order, to keep transactions free of deadlocks: the user's advisory lock (holds
// only), then hold or order rows by id, then seat rows by id, then the section row.
// General-admission holds take the section row right after the advisory lock; they
// touch no seat rows.
type LockStrategy struct {
	pool     *pgxpool.Pool
	locks    *seatLocks
	holdTTL  time.Duration
	payments actors.Payments
	log      *zap.Logger
	now      func() time.Time
}

// NewLockStrategy checks cfg, fills in its defaults and returns the strategy.
func NewLockStrategy(cfg LockConfig) (*LockStrategy, error) {
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
		cfg.HoldTTL = DefaultLockHoldTTL
	}
	if cfg.SeatLockTTL == 0 {
		cfg.SeatLockTTL = DefaultLockSeatLockTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &LockStrategy{
		pool:     cfg.Pool,
		locks:    newSeatLocks(cfg.Redis, cfg.Prefix, cfg.SeatLockTTL),
		holdTTL:  cfg.HoldTTL,
		payments: cfg.Payments,
		log:      cfg.Logger,
		now:      cfg.Now,
	}, nil
}

// lockFail returns domain errors as they are and turns anything else (driver, Redis,
// context) into a retryable UNAVAILABLE that still wraps the cause for the log.
func lockFail(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := actors.AsError(err); ok {
		return err
	}
	return fmt.Errorf("lock strategy: %s: %w: %w", op, actors.Unavailable("store unavailable"), err)
}

// lockVersionRetries is how often a transaction whose version check failed is run
// again: optimistic concurrency retries, as the classic design does, before a caller
// sees UNAVAILABLE.
const lockVersionRetries = 8

// errLockVersionConflict means another transaction changed the section since this one
// read its version; the whole transaction is retried.
var errLockVersionConflict = errors.New("section changed concurrently")

// inTx runs fn in a transaction and commits when fn returns nil. A failed version
// check rolls back and runs fn again, a few times, with a short jittered pause.
func (s *LockStrategy) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.inTxOnce(ctx, fn)
		if !errors.Is(err, errLockVersionConflict) {
			return err
		}
		if attempt >= lockVersionRetries {
			return actors.Unavailable("section changed concurrently; retry")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.IntN(attempt*2000)) * time.Microsecond):
		}
	}
}

func (s *LockStrategy) inTxOnce(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // no-op after commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// lockSection is what a request needs to know about a section and its event.
type lockSection struct {
	key        actors.SectionKey
	kind       actors.SectionKind
	priceCents int64
	capacity   int
	currency   string
	maxPerUser int
}

func lockQuerySection(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, key actors.SectionKey) (lockSection, error) {
	sec := lockSection{key: key}
	var kind string
	err := q.QueryRow(ctx, `
		SELECT s.kind, s.price_cents, s.capacity, e.currency, e.max_tickets_per_user
		FROM sections s JOIN events e ON e.id = s.event_id
		WHERE s.event_id = $1 AND s.id = $2`, key.EventID, key.SectionID,
	).Scan(&kind, &sec.priceCents, &sec.capacity, &sec.currency, &sec.maxPerUser)
	if errors.Is(err, pgx.ErrNoRows) {
		return sec, &actors.Error{Code: actors.CodeNotFound, Message: "event or section not found"}
	}
	if err != nil {
		return sec, fmt.Errorf("read section %s: %w", key, err)
	}
	sec.kind = actors.SectionKind(kind)
	return sec, nil
}

// lockBumpSection adds the deltas to the section's held and sold counters and raises its
// version, returning the new version, and writes the version's SectionChanged event
// with the seats it changed to status. With expect >= 0 the update is version-checked:
// when another transaction committed since the version was read, nothing changes and
// errLockVersionConflict is returned.
func (s *LockStrategy) bumpSection(ctx context.Context, tx pgx.Tx, key actors.SectionKey, heldDelta, soldDelta int, expect int64, seats []string, status actors.SeatStatus) (int64, error) {
	ch, err := lockBumpSection(ctx, tx, key, heldDelta, soldDelta, expect)
	if err != nil {
		return 0, err
	}
	ch.Changes = make([]actors.SeatStatusChange, 0, len(seats))
	for _, id := range seats {
		ch.Changes = append(ch.Changes, actors.SeatStatusChange{ID: id, Status: status})
	}
	return ch.Version, s.writeOutbox(ctx, tx, key, lockEvent{actors.TypeSectionChanged, ch})
}

// lockBumpSection moves the counters and raises the version (see bumpSection).
func lockBumpSection(ctx context.Context, tx pgx.Tx, key actors.SectionKey, heldDelta, soldDelta int, expect int64) (actors.SectionChanged, error) {
	var ch actors.SectionChanged
	var kind string
	err := tx.QueryRow(ctx, `
		UPDATE sections SET version = version + 1, held = held + $3, sold = sold + $4
		WHERE event_id = $1 AND id = $2 AND ($5::bigint < 0 OR version = $5)
		RETURNING version, kind, capacity, held, sold`, key.EventID, key.SectionID, heldDelta, soldDelta, expect,
	).Scan(&ch.Version, &kind, &ch.Capacity, &ch.Held, &ch.Sold)
	if errors.Is(err, pgx.ErrNoRows) {
		if expect >= 0 {
			return ch, errLockVersionConflict
		}
		return ch, fmt.Errorf("bump section %s: section vanished", key)
	}
	if err != nil {
		return ch, fmt.Errorf("bump section %s: %w", key, err)
	}
	ch.Kind = actors.SectionKind(kind)
	ch.Available = ch.Capacity - ch.Held - ch.Sold
	return ch, nil
}

// lockSeatRows locks the named seats FOR UPDATE in byte order (the order every
// transaction of the strategy uses) and returns their statuses and owners.
func lockSeatRows(ctx context.Context, tx pgx.Tx, key actors.SectionKey, seats []string) (map[string]lockSeatRow, error) {
	rows, err := tx.Query(ctx, `
		SELECT id, status, COALESCE(hold_id, ''), COALESCE(order_id, '')
		FROM seats WHERE event_id = $1 AND section_id = $2 AND id = ANY($3)
		ORDER BY id COLLATE "C" FOR UPDATE`, key.EventID, key.SectionID, seats)
	if err != nil {
		return nil, fmt.Errorf("lock seats of %s: %w", key, err)
	}
	found := make(map[string]lockSeatRow, len(seats))
	var r lockSeatRow
	var id, status string
	_, err = pgx.ForEachRow(rows, []any{&id, &status, &r.holdID, &r.orderID}, func() error {
		r.status = actors.SeatStatus(status)
		found[id] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lock seats of %s: %w", key, err)
	}
	return found, nil
}

// lockSeatRow is a locked seat's state.
type lockSeatRow struct {
	status  actors.SeatStatus
	holdID  string
	orderID string
}

// writeOutbox inserts event envelopes for the section in the caller's transaction.
func (s *LockStrategy) writeOutbox(ctx context.Context, tx pgx.Tx, key actors.SectionKey, events ...lockEvent) error {
	at := s.now()
	for _, e := range events {
		msg, err := actors.NewOutboxMessage(uuid.NewString(), e.typ, at, key, e.data)
		if err != nil {
			return fmt.Errorf("encode %s: %w", e.typ, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3)`,
			msg.Topic, msg.Key, msg.Payload); err != nil {
			return fmt.Errorf("write outbox %s: %w", e.typ, err)
		}
	}
	return nil
}

// lockEvent is one envelope to write: its type and data.
type lockEvent struct {
	typ  string
	data any
}

// lockHoldCols are the holds columns lockScanHold reads, in order.
const lockHoldCols = `id, event_id, section_id, user_id, seats, quantity, status,
	expires_at, created_at, updated_at, COALESCE(order_id, '')`

func lockScanHold(row pgx.Row, extra ...any) (actors.Hold, error) {
	var h actors.Hold
	var status string
	dest := append([]any{&h.ID, &h.EventID, &h.SectionID, &h.UserID, &h.Seats, &h.Quantity, &status,
		&h.ExpiresAt, &h.CreatedAt, &h.UpdatedAt, &h.OrderID}, extra...)
	if err := row.Scan(dest...); err != nil {
		return h, err
	}
	h.Status = actors.HoldStatus(status)
	h.ExpiresAt, h.CreatedAt, h.UpdatedAt = h.ExpiresAt.UTC(), h.CreatedAt.UTC(), h.UpdatedAt.UTC()
	if h.Seats == nil {
		h.Seats = []string{}
	}
	return h, nil
}

// errLockIdempotencyRace means another request stored the same (user, key) first.
var errLockIdempotencyRace = errors.New("idempotency key stored concurrently")

// replay looks up (user, key). It returns the stored reply when the request hash
// matches, IDEMPOTENCY_CONFLICT when it does not, and ok false when nothing is stored.
func (s *LockStrategy) replay(ctx context.Context, userID, key string, hash []byte) (*actors.Reply, bool, error) {
	var storedHash, response []byte
	err := s.pool.QueryRow(ctx, `SELECT request_hash, response FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
		userID, key).Scan(&storedHash, &response)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read idempotency key: %w", err)
	}
	if string(storedHash) != string(hash) {
		return nil, false, actors.ErrIdempotencyConflict
	}
	reply, err := actors.DecodeReply(response)
	if err != nil {
		return nil, false, fmt.Errorf("decode stored reply: %w", err)
	}
	return reply, true, nil
}

// lockSaveReply stores the first answer to (user, key) in the caller's transaction, or
// returns errLockIdempotencyRace when a concurrent request stored one first.
func lockSaveReply(ctx context.Context, tx pgx.Tx, userID, key string, section actors.SectionKey, hash []byte, reply *actors.Reply) error {
	tag, err := tx.Exec(ctx, `
		INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING`,
		userID, key, section.EventID, section.SectionID, hash, actors.EncodeReply(reply))
	if err != nil {
		return fmt.Errorf("write idempotency key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errLockIdempotencyRace
	}
	return nil
}

// replayHold returns the hold stored for (user, key), or ok false.
func (s *LockStrategy) replayHold(ctx context.Context, userID, key string, hash []byte) (actors.Hold, bool, error) {
	reply, ok, err := s.replay(ctx, userID, key, hash)
	if err != nil || !ok {
		return actors.Hold{}, false, err
	}
	if err := reply.Err(); err != nil {
		return actors.Hold{}, true, err
	}
	if reply.GetHold() == nil {
		return actors.Hold{}, true, actors.ErrIdempotencyConflict
	}
	return actors.HoldFromMsg(reply.GetHold()), true, nil
}

// replayOrder returns the order stored for (user, key), or ok false.
func (s *LockStrategy) replayOrder(ctx context.Context, userID, key string, hash []byte) (actors.Order, bool, error) {
	reply, ok, err := s.replay(ctx, userID, key, hash)
	if err != nil || !ok {
		return actors.Order{}, false, err
	}
	if err := reply.Err(); err != nil {
		return actors.Order{}, true, err
	}
	if reply.GetOrder() == nil {
		return actors.Order{}, true, actors.ErrIdempotencyConflict
	}
	return actors.OrderFromMsg(reply.GetOrder()), true, nil
}

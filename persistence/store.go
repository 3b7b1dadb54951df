package persistence

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Store is the PostgreSQL system of record: the fenced, group-committing section store
// the section actor activates from and commits to, the directory actors.Client routes
// with, and the read model the HTTP API serves.
type Store struct {
	pool *pgxpool.Pool
	log  *zap.Logger
	// sections caches how many sections each event has (eventID → int). Sections
	// never change once an event exists, so an entry never goes stale.
	sections sync.Map
	// idem coalesces concurrent idempotency-key lookups into one query.
	idem *coalescer[idemQuery, idemAnswer]
	// elsewhere coalesces concurrent cross-section ticket counts into one query.
	elsewhere *coalescer[elsewhereQuery, int]
}

var (
	_ actors.Store     = (*Store)(nil)
	_ actors.Directory = (*Store)(nil)
)

// NewStore returns a Store on pool. A nil log discards log lines.
func NewStore(pool *pgxpool.Pool, log *zap.Logger) *Store {
	if log == nil {
		log = zap.NewNop()
	}
	return &Store{pool: pool, log: log, idem: newIdemLookup(pool), elsewhere: newElsewhereCount(pool)}
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// batchSender is what the read model needs from a pool or a transaction, so that
// CreateEvent and SeedDemo can read back inside the transaction that wrote.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// HoldColumns are the holds columns ScanHold reads, in its order, for every query of
// this module that reads whole holds.
const HoldColumns = `id, event_id, section_id, user_id, seats, quantity, status,
	expires_at, created_at, updated_at, coalesce(order_id, '')`

// ScanHold reads one row that starts with HoldColumns; extra receives the columns the
// query selects after them. Times come back in UTC and Seats is never nil.
func ScanHold(row pgx.Row, extra ...any) (actors.Hold, error) {
	var h actors.Hold
	var status string
	dest := append([]any{&h.ID, &h.EventID, &h.SectionID, &h.UserID, &h.Seats, &h.Quantity, &status,
		&h.ExpiresAt, &h.CreatedAt, &h.UpdatedAt, &h.OrderID}, extra...)
	if err := row.Scan(dest...); err != nil {
		return actors.Hold{}, err
	}
	h.Status = actors.HoldStatus(status)
	h.ExpiresAt, h.CreatedAt, h.UpdatedAt = h.ExpiresAt.UTC(), h.CreatedAt.UTC(), h.UpdatedAt.UTC()
	if h.Seats == nil {
		h.Seats = []string{}
	}
	return h, nil
}

// OrderColumns are the orders columns ScanOrder reads, in its order.
const OrderColumns = `id, hold_id, event_id, section_id, user_id, seats, quantity, status,
	total_cents, currency, created_at, updated_at`

// ScanOrder reads one row that starts with OrderColumns; extra receives the columns the
// query selects after them. Times come back in UTC and Seats is never nil.
func ScanOrder(row pgx.Row, extra ...any) (actors.Order, error) {
	var o actors.Order
	var status string
	dest := append([]any{&o.ID, &o.HoldID, &o.EventID, &o.SectionID, &o.UserID, &o.Seats, &o.Quantity, &status,
		&o.TotalCents, &o.Currency, &o.CreatedAt, &o.UpdatedAt}, extra...)
	err := row.Scan(dest...)
	if err != nil {
		return actors.Order{}, err
	}
	o.Status = actors.OrderStatus(status)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if o.Seats == nil {
		o.Seats = []string{}
	}
	return o, nil
}

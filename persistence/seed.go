package persistence

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// DemoEventID is the id of the event SeedDemo creates.
const DemoEventID = "demo"

// seedLockKey is the advisory lock that makes nodes starting together seed once.
const seedLockKey int64 = 0x7469636b65745f73 // "ticket_s"

// SeedDemo creates the demo event when the database has no event at all, and reports
// whether it did. It holds a transaction-scoped advisory lock while it looks and
// writes, so nodes starting together create it once.
func (s *Store) SeedDemo(ctx context.Context) (created bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, classify("seed demo: begin", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, seedLockKey); err != nil {
		return false, classify("seed demo: lock", err)
	}
	// Read after the lock, so this statement's snapshot includes a seed that a node
	// holding the lock before us committed.
	var hasEvents bool
	var startsAt time.Time
	err = tx.QueryRow(ctx, `
SELECT EXISTS (SELECT 1 FROM events), date_trunc('day', now() + interval '30 days', 'UTC') + interval '20 hours'`).
		Scan(&hasEvents, &startsAt)
	if err != nil {
		return false, classify("seed demo: look for events", err)
	}
	if hasEvents {
		return false, nil
	}
	ev, err := createEvent(ctx, tx, demoEvent(startsAt))
	if err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, classify("seed demo: commit", err)
	}
	s.log.Info("seeded the demo event", zap.String("event", ev.ID), zap.Time("starts_at", ev.StartsAt))
	return true, nil
}

// demoEvent describes the demo event: a general-admission floor, two reserved sections
// and a 2,000-seat arena.
func demoEvent(startsAt time.Time) actors.Event {
	return actors.Event{
		ID:                DemoEventID,
		Name:              "TicketBlitz Live",
		Venue:             "Blitz Arena",
		StartsAt:          startsAt,
		Currency:          "USD",
		MaxTicketsPerUser: 8,
		Sections: []actors.Section{
			{ID: "floor", Name: "Floor", Kind: actors.KindGeneralAdmission, PriceCents: 8000, Capacity: 500},
			{ID: "A", Name: "Section A", Kind: actors.KindReserved, PriceCents: 12000,
				Rows: demoRows(10, 20), Accessible: []string{"A-1", "A-2", "A-19", "A-20"}},
			{ID: "B", Name: "Section B", Kind: actors.KindReserved, PriceCents: 9000,
				Rows: demoRows(12, 24)},
			{ID: "arena", Name: "Arena", Kind: actors.KindReserved, PriceCents: 6000,
				Rows: demoRows(40, 50), Accessible: []string{"A-1", "A-2", "A-3", "A-48", "A-49", "A-50"}},
		},
	}
}

// demoRows returns n rows labelled A, B, … of seats seats each.
func demoRows(n, seats int) []actors.RowSpec {
	rows := make([]actors.RowSpec, n)
	for i := range rows {
		rows[i] = actors.RowSpec{Label: actors.RowLabel(i), Seats: seats}
	}
	return rows
}

package persistence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

const (
	createEventSQL = `
INSERT INTO events (id, name, venue, starts_at, currency, status, max_tickets_per_user)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO NOTHING`

	createSectionsSQL = `
INSERT INTO sections (event_id, id, position, name, kind, price_cents, capacity)
SELECT $1, c.id, c.position, c.name, c.kind, c.price_cents, c.capacity
FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::int[])
	AS c(id, position, name, kind, price_cents, capacity)`

	createSeatsSQL = `
INSERT INTO seats (event_id, section_id, id, row_label, row_index, number, accessible)
SELECT $1, c.section_id, c.id, c.row_label, c.row_index, c.number, c.accessible
FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::bool[])
	AS c(section_id, id, row_label, row_index, number, accessible)`
)

// CreateEvent stores a new event with its sections and seats and returns it as stored,
// with its counts. An empty ev.ID gets a generated "ev_…" id. Reserved sections are laid
// out from Rows and Accessible and their capacity is the number of seats; general
// admission sections use Capacity. A zero MaxTicketsPerUser means
// actors.DefaultMaxTicketsPerUser. Invalid input, or an id already taken, is an error
// wrapping actors.ErrValidation.
func (s *Store) CreateEvent(ctx context.Context, ev actors.Event) (actors.Event, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return actors.Event{}, classify("create event: begin", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit
	created, err := createEvent(ctx, tx, ev)
	if err != nil {
		return actors.Event{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return actors.Event{}, classify(fmt.Sprintf("create event %q: commit", created.ID), err)
	}
	return created, nil
}

// createEvent does CreateEvent's work inside tx.
func createEvent(ctx context.Context, tx pgx.Tx, ev actors.Event) (actors.Event, error) {
	ev, err := actors.NormalizeEvent(ev)
	if err != nil {
		return actors.Event{}, fmt.Errorf("create event: %w", err)
	}
	if ev.ID == "" {
		ev.ID = newEventID()
	}
	op := fmt.Sprintf("create event %q", ev.ID)
	tag, err := tx.Exec(ctx, createEventSQL, ev.ID, ev.Name, ev.Venue, ev.StartsAt, ev.Currency, ev.Status, ev.MaxTicketsPerUser)
	if err != nil {
		return actors.Event{}, classify(op, err)
	}
	if tag.RowsAffected() == 0 {
		return actors.Event{}, fmt.Errorf("%s: %w", op, actors.Invalid("id", "already exists"))
	}

	n := len(ev.Sections)
	ids, names, kinds := make([]string, n), make([]string, n), make([]string, n)
	positions, capacities := make([]int, n), make([]int, n)
	prices := make([]int64, n)
	var seats seatColumns
	for i, sec := range ev.Sections {
		ids[i], names[i], kinds[i] = sec.ID, sec.Name, string(sec.Kind)
		positions[i], capacities[i], prices[i] = i, sec.Capacity, sec.PriceCents
		if sec.Kind == actors.KindReserved {
			seats.add(sec)
		}
	}
	b := &pgx.Batch{}
	b.Queue(createSectionsSQL, ev.ID, ids, positions, names, kinds, prices, capacities)
	if len(seats.ids) > 0 {
		b.Queue(createSeatsSQL, ev.ID, seats.sections, seats.ids, seats.rows, seats.rowIndexes, seats.numbers, seats.accessible)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return actors.Event{}, classify(op, err)
	}
	return getEvent(ctx, tx, ev.ID)
}

// seatColumns are the seats of an event, column by column, for createSeatsSQL.
type seatColumns struct {
	sections, ids, rows []string
	rowIndexes, numbers []int
	accessible          []bool
}

// add lays out a reserved section's seats: "<row label>-<number>", numbers from 1, rows
// indexed from 0 in the order given.
func (c *seatColumns) add(sec actors.Section) {
	acc := make(map[string]bool, len(sec.Accessible))
	for _, id := range sec.Accessible {
		acc[id] = true
	}
	for ri, row := range sec.Rows {
		for n := 1; n <= row.Seats; n++ {
			id := actors.SeatID(row.Label, n)
			c.sections = append(c.sections, sec.ID)
			c.ids = append(c.ids, id)
			c.rows = append(c.rows, row.Label)
			c.rowIndexes = append(c.rowIndexes, ri)
			c.numbers = append(c.numbers, n)
			c.accessible = append(c.accessible, acc[id])
		}
	}
}

// newEventID returns "ev_" and 12 random lowercase hex digits.
func newEventID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
	return "ev_" + hex.EncodeToString(b[:])
}

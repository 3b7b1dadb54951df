package persistence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// EventStatusOnSale is the status of every event the store creates.
const EventStatusOnSale = "on_sale"

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
	ev, err := normalizeEvent(ev)
	if err != nil {
		return actors.Event{}, fmt.Errorf("create event: %w", err)
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
			id := seatID(row.Label, n)
			c.sections = append(c.sections, sec.ID)
			c.ids = append(c.ids, id)
			c.rows = append(c.rows, row.Label)
			c.rowIndexes = append(c.rowIndexes, ri)
			c.numbers = append(c.numbers, n)
			c.accessible = append(c.accessible, acc[id])
		}
	}
}

// seatID names a reserved seat as API.md does.
func seatID(rowLabel string, number int) string {
	return rowLabel + "-" + strconv.Itoa(number)
}

// Limits on what an event may describe.
const (
	maxEventIDLength   = 64
	maxSectionIDLength = 32
	maxSeatsPerRow     = 1000
)

// normalizeEvent fills the defaults of ev and checks it, naming every invalid field.
func normalizeEvent(ev actors.Event) (actors.Event, error) {
	bad := map[string]string{}
	if ev.ID == "" {
		ev.ID = newEventID()
	} else if !validID(ev.ID, maxEventIDLength) {
		bad["id"] = fmt.Sprintf("must be 1 to %d letters, digits, '_' or '-'", maxEventIDLength)
	}
	if ev.Name == "" {
		bad["name"] = "required"
	}
	if ev.Currency == "" {
		bad["currency"] = "required"
	}
	if ev.StartsAt.IsZero() {
		bad["starts_at"] = "required"
	}
	ev.StartsAt = ev.StartsAt.UTC()
	switch {
	case ev.MaxTicketsPerUser == 0:
		ev.MaxTicketsPerUser = actors.DefaultMaxTicketsPerUser
	case ev.MaxTicketsPerUser < 0:
		bad["max_tickets_per_user"] = "must be positive"
	}
	ev.Status = EventStatusOnSale
	if len(ev.Sections) == 0 {
		bad["sections"] = "at least one section is required"
	}
	sections := make([]actors.Section, len(ev.Sections))
	seen := map[string]bool{}
	for i, sec := range ev.Sections {
		field := fmt.Sprintf("sections[%d]", i)
		if !validID(sec.ID, maxSectionIDLength) {
			bad[field+".id"] = fmt.Sprintf("must be 1 to %d letters, digits, '_' or '-'", maxSectionIDLength)
		} else if seen[sec.ID] {
			bad[field+".id"] = "duplicate section id"
		}
		seen[sec.ID] = true
		if sec.Name == "" {
			sec.Name = sec.ID
		}
		if sec.PriceCents < 0 {
			bad[field+".price_cents"] = "must not be negative"
		}
		switch sec.Kind {
		case actors.KindReserved:
			sec.Capacity = checkRows(sec, field, bad)
		case actors.KindGeneralAdmission:
			if sec.Capacity <= 0 {
				bad[field+".capacity"] = "must be positive"
			}
			if len(sec.Rows) > 0 || len(sec.Accessible) > 0 {
				bad[field+".rows"] = "general admission sections have no rows"
			}
		default:
			bad[field+".kind"] = "must be reserved or general_admission"
		}
		sec.Available, sec.Held, sec.Sold = sec.Capacity, 0, 0
		sections[i] = sec
	}
	ev.Sections = sections
	if len(bad) > 0 {
		return actors.Event{}, actors.InvalidFields(bad)
	}
	return ev, nil
}

// checkRows checks a reserved section's rows and accessible seats into bad and returns
// its number of seats.
func checkRows(sec actors.Section, field string, bad map[string]string) int {
	if len(sec.Rows) == 0 {
		bad[field+".rows"] = "a reserved section needs rows"
	}
	seats := map[string]bool{}
	total := 0
	labels := map[string]bool{}
	for j, row := range sec.Rows {
		rf := fmt.Sprintf("%s.rows[%d]", field, j)
		switch {
		case row.Label == "":
			bad[rf+".label"] = "required"
		case labels[row.Label]:
			bad[rf+".label"] = "duplicate row label"
		}
		labels[row.Label] = true
		if row.Seats <= 0 || row.Seats > maxSeatsPerRow {
			bad[rf+".seats"] = fmt.Sprintf("must be 1 to %d", maxSeatsPerRow)
			continue
		}
		total += row.Seats
		for n := 1; n <= row.Seats; n++ {
			seats[seatID(row.Label, n)] = true
		}
	}
	for j, id := range sec.Accessible {
		if !seats[id] {
			bad[fmt.Sprintf("%s.accessible[%d]", field, j)] = fmt.Sprintf("no seat %q in this section", id)
		}
	}
	return total
}

// validID reports whether s is 1 to maxLen characters of [A-Za-z0-9_-].
func validID(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		ok := r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// newEventID returns "ev_" and 12 random lowercase hex digits.
func newEventID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
	return "ev_" + hex.EncodeToString(b[:])
}

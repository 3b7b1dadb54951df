package persistence

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The read model's queries. Counts of reserved sections come from their seats, one
// GROUP BY for all the events read; general-admission sections keep their counters on
// the section row.
const (
	eventsSQL = `
SELECT id, name, venue, starts_at, currency, status, max_tickets_per_user
FROM events %s ORDER BY starts_at, id`

	sectionsSQL = `
SELECT event_id, id, name, kind, price_cents, capacity, held, sold
FROM sections %s ORDER BY event_id, position`

	seatCountsSQL = `
SELECT event_id, section_id, status, count(*)
FROM seats %s GROUP BY event_id, section_id, status`

	// seatMapSQL reads the section row and its seats in one statement, hence one
	// snapshot: the version always matches the seats beside it.
	seatMapSQL = `
SELECT sec.kind, sec.version, sec.capacity, sec.held, sec.sold,
	st.id, st.row_label, st.row_index, st.number, st.accessible, st.status, st.hold_id, st.order_id
FROM sections AS sec
LEFT JOIN seats AS st ON st.event_id = sec.event_id AND st.section_id = sec.id
WHERE sec.event_id = $1 AND sec.id = $2
ORDER BY st.row_index, st.number`
)

// ListEvents returns every event, ordered by start time then id, each with its sections
// and their live counts.
func (s *Store) ListEvents(ctx context.Context) ([]actors.Event, error) {
	events, err := loadEvents(ctx, s.pool, nil)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return events, nil
}

// GetEvent returns one event with its sections and their live counts, or an error
// wrapping actors.ErrNotFound.
func (s *Store) GetEvent(ctx context.Context, id string) (actors.Event, error) {
	return getEvent(ctx, s.pool, id)
}

func getEvent(ctx context.Context, q batchSender, id string) (actors.Event, error) {
	events, err := loadEvents(ctx, q, []string{id})
	if err != nil {
		return actors.Event{}, fmt.Errorf("get event %q: %w", id, err)
	}
	if len(events) == 0 {
		return actors.Event{}, fmt.Errorf("get event %q: %w", id, actors.ErrNotFound)
	}
	return events[0], nil
}

// loadEvents reads the events named by ids, or all events when ids is nil, in one round
// trip.
func loadEvents(ctx context.Context, q batchSender, ids []string) ([]actors.Event, error) {
	var where, whereEvent string
	var args []any
	if ids != nil {
		where, whereEvent, args = "WHERE id = ANY($1)", "WHERE event_id = ANY($1)", []any{ids}
	}
	events := []actors.Event{}
	index := map[string]int{}
	type sectionAt struct{ event, section int }
	sections := map[[2]string]sectionAt{}

	b := &pgx.Batch{}
	b.Queue(fmt.Sprintf(eventsSQL, where), args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var e actors.Event
			if err := rows.Scan(&e.ID, &e.Name, &e.Venue, &e.StartsAt, &e.Currency, &e.Status, &e.MaxTicketsPerUser); err != nil {
				return err
			}
			e.StartsAt = e.StartsAt.UTC()
			index[e.ID] = len(events)
			events = append(events, e)
		}
		return rows.Err()
	})
	b.Queue(fmt.Sprintf(sectionsSQL, whereEvent), args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var eventID, kind string
			var sec actors.Section
			if err := rows.Scan(&eventID, &sec.ID, &sec.Name, &kind, &sec.PriceCents, &sec.Capacity, &sec.Held, &sec.Sold); err != nil {
				return err
			}
			sec.Kind = actors.SectionKind(kind)
			i, ok := index[eventID]
			if !ok { // an event created between the two statements
				continue
			}
			if sec.Kind == actors.KindReserved {
				sec.Held, sec.Sold = 0, 0 // counted from the seats below
			}
			sec.Available = sec.Capacity - sec.Held - sec.Sold
			sections[[2]string{eventID, sec.ID}] = sectionAt{i, len(events[i].Sections)}
			events[i].Sections = append(events[i].Sections, sec)
		}
		return rows.Err()
	})
	b.Queue(fmt.Sprintf(seatCountsSQL, whereEvent), args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var eventID, sectionID, status string
			var n int
			if err := rows.Scan(&eventID, &sectionID, &status, &n); err != nil {
				return err
			}
			at, ok := sections[[2]string{eventID, sectionID}]
			if !ok {
				continue
			}
			sec := &events[at.event].Sections[at.section]
			switch actors.SeatStatus(status) {
			case actors.SeatHeld:
				sec.Held += n
			case actors.SeatSold:
				sec.Sold += n
			}
			sec.Available = sec.Capacity - sec.Held - sec.Sold
		}
		return rows.Err()
	})
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return nil, classify("read events", err)
	}
	return events, nil
}

// SeatMap returns the committed state of a section: every seat of a reserved section in
// row and number order, or the counters of a general-admission one, with the section's
// version. It returns an error wrapping actors.ErrNotFound when the section is missing.
func (s *Store) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	op := fmt.Sprintf("seat map of %s/%s", eventID, sectionID)
	rows, err := s.pool.Query(ctx, seatMapSQL, eventID, sectionID)
	if err != nil {
		return actors.SeatMap{}, classify(op, err)
	}
	defer rows.Close()
	m := actors.SeatMap{SectionID: sectionID}
	found := false
	for rows.Next() {
		var kind string
		var id, row, status, holdID, orderID *string
		var rowIndex, number *int
		var accessible *bool
		if err := rows.Scan(&kind, &m.Version, &m.Capacity, &m.Held, &m.Sold,
			&id, &row, &rowIndex, &number, &accessible, &status, &holdID, &orderID); err != nil {
			return actors.SeatMap{}, classify(op, err)
		}
		found = true
		m.Kind = actors.SectionKind(kind)
		if id == nil {
			continue
		}
		m.Seats = append(m.Seats, actors.Seat{
			ID: *id, Row: *row, RowIndex: *rowIndex, Number: *number, Accessible: *accessible,
			Status: actors.SeatStatus(*status), HoldID: textOrEmpty(holdID), OrderID: textOrEmpty(orderID),
		})
	}
	if err := rows.Err(); err != nil {
		return actors.SeatMap{}, classify(op, err)
	}
	if !found {
		return actors.SeatMap{}, fmt.Errorf("%s: %w", op, actors.ErrNotFound)
	}
	if m.Kind == actors.KindReserved {
		m.Held, m.Sold = 0, 0
		for _, st := range m.Seats {
			switch st.Status {
			case actors.SeatHeld:
				m.Held++
			case actors.SeatSold:
				m.Sold++
			}
		}
	}
	m.Available = m.Capacity - m.Held - m.Sold
	return m, nil
}

// GetHold returns a hold, or an error wrapping actors.ErrNotFound.
func (s *Store) GetHold(ctx context.Context, id string) (actors.Hold, error) {
	h, err := ScanHold(s.pool.QueryRow(ctx, `SELECT `+HoldColumns+` FROM holds WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return actors.Hold{}, fmt.Errorf("get hold %q: %w", id, actors.ErrNotFound)
	}
	if err != nil {
		return actors.Hold{}, classify(fmt.Sprintf("get hold %q", id), err)
	}
	return h, nil
}

// GetOrder returns an order, or an error wrapping actors.ErrNotFound.
func (s *Store) GetOrder(ctx context.Context, id string) (actors.Order, error) {
	o, err := ScanOrder(s.pool.QueryRow(ctx, `SELECT `+OrderColumns+` FROM orders WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return actors.Order{}, fmt.Errorf("get order %q: %w", id, actors.ErrNotFound)
	}
	if err != nil {
		return actors.Order{}, classify(fmt.Sprintf("get order %q", id), err)
	}
	return o, nil
}

// ListHolds returns the user's holds that are held now, in every event, newest first: a
// hold past its expiry that no section has expired yet is not held. The strategies all
// write their holds here, so the list is the same whichever decides them.
func (s *Store) ListHolds(ctx context.Context, userID string) ([]actors.Hold, error) {
	op := fmt.Sprintf("list holds of %q", userID)
	rows, err := s.pool.Query(ctx, `SELECT `+HoldColumns+` FROM holds
		WHERE user_id = $1 AND status = 'held' AND expires_at > now()
		ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	holds := []actors.Hold{}
	for rows.Next() {
		h, err := ScanHold(rows)
		if err != nil {
			return nil, classify(op, err)
		}
		holds = append(holds, h)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(op, err)
	}
	return holds, nil
}

// ListOrders returns the user's orders, newest first.
func (s *Store) ListOrders(ctx context.Context, userID string) ([]actors.Order, error) {
	op := fmt.Sprintf("list orders of %q", userID)
	rows, err := s.pool.Query(ctx, `SELECT `+OrderColumns+` FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	orders := []actors.Order{}
	for rows.Next() {
		o, err := ScanOrder(rows)
		if err != nil {
			return nil, classify(op, err)
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(op, err)
	}
	return orders, nil
}

// textOrEmpty returns *p, or "" for nil.
func textOrEmpty(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

package classic

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// sectionMeta is what a request needs to know about a section and its event.
type sectionMeta struct {
	key        actors.SectionKey
	kind       actors.SectionKind
	priceCents int64
	capacity   int
	currency   string
	maxPerUser int
}

// rowQuerier and rowsQuerier are a pool or a transaction, for reads that run in either.
type (
	rowQuerier interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}
	rowsQuerier interface {
		Query(context.Context, string, ...any) (pgx.Rows, error)
	}
)

// querySection reads the section's sectionMeta; NOT_FOUND when the event or the
// section does not exist.
func querySection(ctx context.Context, q rowQuerier, key actors.SectionKey) (sectionMeta, error) {
	sec := sectionMeta{key: key}
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

// readSeats reads a reserved section's seats, ordered by row then number, as
// actors.BestAvailable takes them.
func readSeats(ctx context.Context, q rowsQuerier, key actors.SectionKey) ([]actors.Seat, error) {
	rows, err := q.Query(ctx, `
		SELECT id, row_label, row_index, number, accessible, status
		FROM seats WHERE event_id = $1 AND section_id = $2
		ORDER BY row_index, number`, key.EventID, key.SectionID)
	if err != nil {
		return nil, fmt.Errorf("read seats of %s: %w", key, err)
	}
	var seats []actors.Seat
	var seat actors.Seat
	var status string
	_, err = pgx.ForEachRow(rows, []any{&seat.ID, &seat.Row, &seat.RowIndex, &seat.Number, &seat.Accessible, &status}, func() error {
		seat.Status = actors.SeatStatus(status)
		seats = append(seats, seat)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read seats of %s: %w", key, err)
	}
	return seats, nil
}

// sectionOf is the key of the section a hold belongs to.
func sectionOf(h actors.Hold) actors.SectionKey {
	return actors.SectionKey{EventID: h.EventID, SectionID: h.SectionID}
}

package persistence

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// LocateHold returns the section and owner of a hold, or an error wrapping
// actors.ErrNotFound.
func (s *Store) LocateHold(ctx context.Context, holdID string) (actors.SectionKey, string, error) {
	return s.locate(ctx, "hold", `SELECT event_id, section_id, user_id FROM holds WHERE id = $1`, holdID)
}

// LocateOrder returns the section and owner of an order, or an error wrapping
// actors.ErrNotFound.
func (s *Store) LocateOrder(ctx context.Context, orderID string) (actors.SectionKey, string, error) {
	return s.locate(ctx, "order", `SELECT event_id, section_id, user_id FROM orders WHERE id = $1`, orderID)
}

func (s *Store) locate(ctx context.Context, what, query, id string) (actors.SectionKey, string, error) {
	var key actors.SectionKey
	var owner string
	err := s.pool.QueryRow(ctx, query, id).Scan(&key.EventID, &key.SectionID, &owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return actors.SectionKey{}, "", fmt.Errorf("locate %s %q: %w", what, id, actors.ErrNotFound)
	}
	if err != nil {
		return actors.SectionKey{}, "", classify(fmt.Sprintf("locate %s %q", what, id), err)
	}
	return key, owner, nil
}

// sectionCount returns how many sections an event has, from memory after the first ask.
func (s *Store) sectionCount(ctx context.Context, eventID string) (int, error) {
	if n, ok := s.sections.Load(eventID); ok {
		return n.(int), nil
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM sections WHERE event_id = $1`, eventID).Scan(&n); err != nil {
		return 0, classify(fmt.Sprintf("count sections of event %q", eventID), err)
	}
	if n > 0 { // an event is created with its sections in one transaction
		s.sections.Store(eventID, n)
	}
	return n, nil
}

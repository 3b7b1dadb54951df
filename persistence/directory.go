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

// ticketsElsewhereSQL counts what the user holds and owns in the event's other sections.
// Holds are found through holds_user; orders through orders_user, the user's own orders
// being few.
const ticketsElsewhereSQL = `
SELECT
	(SELECT coalesce(sum(quantity), 0) FROM holds
	 WHERE user_id = $3 AND event_id = $1 AND status = 'held' AND section_id <> $2)
	+
	(SELECT coalesce(sum(quantity), 0) FROM orders
	 WHERE user_id = $3 AND event_id = $1 AND status = 'confirmed' AND section_id <> $2)`

// TicketsElsewhere counts the user's held and bought tickets for the event in sections
// other than the one named.
func (s *Store) TicketsElsewhere(ctx context.Context, eventID, sectionID, userID string) (int, error) {
	sections, err := s.sectionCount(ctx, eventID)
	if err != nil {
		return 0, err
	}
	if sections <= 1 {
		return 0, nil // there is nowhere else
	}
	var n int64
	if err := s.pool.QueryRow(ctx, ticketsElsewhereSQL, eventID, sectionID, userID).Scan(&n); err != nil {
		return 0, classify(fmt.Sprintf("count tickets of %q for event %q", userID, eventID), err)
	}
	return int(n), nil
}

// Idempotent returns the stored record of (user, key), or ok false when there is none.
func (s *Store) Idempotent(ctx context.Context, userID, key string) (actors.IdempotencyRecord, bool, error) {
	var r actors.IdempotencyRecord
	err := s.pool.QueryRow(ctx, `
SELECT user_id, key, event_id, section_id, request_hash, response
FROM idempotency_keys WHERE user_id = $1 AND key = $2`, userID, key).
		Scan(&r.UserID, &r.Key, &r.EventID, &r.SectionID, &r.RequestHash, &r.Response)
	if errors.Is(err, pgx.ErrNoRows) {
		return actors.IdempotencyRecord{}, false, nil
	}
	if err != nil {
		return actors.IdempotencyRecord{}, false, classify(fmt.Sprintf("look up idempotency key %q of %q", key, userID), err)
	}
	return r, true, nil
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

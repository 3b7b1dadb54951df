package persistence

import (
	"context"

	"github.com/ticketblitz/ticketblitz/actors"
)

const (
	chainRowsSQL = `SELECT version, attempt_seq, attempt_digest, chain FROM section_chain
WHERE event_id = $1 AND section_id = $2`

	// The section.changed records the event's batches wrote, in the order they were
	// written, as the outbox keeps them until their retention.
	outboxChangedSQL = `SELECT key, payload FROM outbox
WHERE topic = $1 AND starts_with(key, $2) ORDER BY id`

	doubleSalesSQL = `SELECT section_id, seat_id FROM tickets
WHERE event_id = $1 AND status = 'sold' GROUP BY section_id, seat_id HAVING count(*) > 1
ORDER BY section_id, seat_id LIMIT 1`
)

// ChainRows returns the links the store keeps for a section's versions.
func (s *Store) ChainRows(ctx context.Context, key actors.SectionKey) (map[int64]actors.ChainRow, error) {
	rows, err := s.pool.Query(ctx, chainRowsSQL, key.EventID, key.SectionID)
	if err != nil {
		return nil, classify("chain of "+key.Identity(), err)
	}
	defer rows.Close()
	out := make(map[int64]actors.ChainRow)
	for rows.Next() {
		var r actors.ChainRow
		if err := rows.Scan(&r.Version, &r.AttemptSeq, &r.Digest, &r.Chain); err != nil {
			return nil, classify("chain of "+key.Identity(), err)
		}
		out[r.Version] = r
	}
	if err := rows.Err(); err != nil {
		return nil, classify("chain of "+key.Identity(), err)
	}
	return out, nil
}

// OutboxRecord is one record the outbox holds: its key and its envelope.
type OutboxRecord struct {
	Key     string
	Payload []byte
}

// OutboxSectionChanged returns the event's section.changed records still in the outbox,
// in the order they were written.
func (s *Store) OutboxSectionChanged(ctx context.Context, eventID string) ([]OutboxRecord, error) {
	rows, err := s.pool.Query(ctx, outboxChangedSQL, actors.TopicSectionChanged, eventID+"/")
	if err != nil {
		return nil, classify("section.changed records of "+eventID, err)
	}
	defer rows.Close()
	var out []OutboxRecord
	for rows.Next() {
		var r OutboxRecord
		if err := rows.Scan(&r.Key, &r.Payload); err != nil {
			return nil, classify("section.changed records of "+eventID, err)
		}
		out = append(out, r)
	}
	return out, classify("section.changed records of "+eventID, rows.Err())
}

// DoubleSale returns a seat the tickets table sells twice in the event, if any.
func (s *Store) DoubleSale(ctx context.Context, eventID string) (section, seat string, found bool, err error) {
	rows, err := s.pool.Query(ctx, doubleSalesSQL, eventID)
	if err != nil {
		return "", "", false, classify("double sales of "+eventID, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&section, &seat); err != nil {
			return "", "", false, classify("double sales of "+eventID, err)
		}
		found = true
	}
	return section, seat, found, classify("double sales of "+eventID, rows.Err())
}

const orderHoldsSQL = `SELECT id, hold_id FROM orders WHERE event_id = $1 AND section_id = $2`

// OrderHolds returns the hold each order of a section was made from, by order id.
func (s *Store) OrderHolds(ctx context.Context, key actors.SectionKey) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, orderHoldsSQL, key.EventID, key.SectionID)
	if err != nil {
		return nil, classify("orders of "+key.Identity(), err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var id, hold string
		if err := rows.Scan(&id, &hold); err != nil {
			return nil, classify("orders of "+key.Identity(), err)
		}
		out[id] = hold
	}
	return out, classify("orders of "+key.Identity(), rows.Err())
}

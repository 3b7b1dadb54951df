package persistence

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

const (
	recordHeadSQL = `SELECT s.attempt_seq,
	COALESCE((SELECT min(a.seq) FROM attempts a WHERE a.event_id = $1 AND a.section_id = $2), 0)
FROM sections s WHERE s.event_id = $1 AND s.id = $2`

	recordBatchEndsSQL = `SELECT version, attempt_seq FROM section_chain
WHERE event_id = $1 AND section_id = $2 AND version = ANY($3::bigint[])`
)

// SectionRecord returns up to limit attempts of key's section numbered after after, in
// decision order, with the log's bounds and where the batches that committed their
// versions ended. It returns an error wrapping actors.ErrNotFound when there is no such
// section.
func (s *Store) SectionRecord(ctx context.Context, key actors.SectionKey, after int64, limit int) (actors.RecordPage, error) {
	op := "record of " + key.Identity()
	var p actors.RecordPage
	err := s.pool.QueryRow(ctx, recordHeadSQL, key.EventID, key.SectionID).Scan(&p.LastSeq, &p.FirstSeq)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("%s: %w", op, actors.ErrNotFound)
	}
	if err != nil {
		return p, classify(op, err)
	}
	if p.Attempts, err = s.Attempts(ctx, key, after, limit); err != nil {
		return p, err
	}
	p.Committed = make(map[int64]int64)
	var versions []int64
	for i, a := range p.Attempts {
		if i == 0 || a.Version != p.Attempts[i-1].Version {
			versions = append(versions, a.Version)
		}
	}
	if len(versions) == 0 {
		return p, nil
	}
	rows, err := s.pool.Query(ctx, recordBatchEndsSQL, key.EventID, key.SectionID, versions)
	if err != nil {
		return p, classify(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v, seq int64
		if err := rows.Scan(&v, &seq); err != nil {
			return p, classify(op, err)
		}
		p.Committed[v] = seq
	}
	return p, classify(op, rows.Err())
}

package persistence

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

const attemptColumns = `seq, at, version, user_id, action, seats, ref, code, cause_seq, kind, command, received_at`

const (
	// The section's attempts walk the primary key; a seat's are found by attempts_seats
	// (the GIN index on seats, which answers @>, not = ANY).
	seatAttemptsSQL = `SELECT ` + attemptColumns + ` FROM attempts
WHERE event_id = $1 AND section_id = $2 AND seats @> ARRAY[$3::text]
ORDER BY seq DESC LIMIT $4`

	sectionAttemptsSQL = `SELECT ` + attemptColumns + ` FROM attempts
WHERE event_id = $1 AND section_id = $2 AND seq > $3
ORDER BY seq LIMIT $4`

	seatExistsSQL = `SELECT EXISTS (SELECT 1 FROM seats WHERE event_id = $1 AND section_id = $2 AND id = $3)`

	attemptsBySeqSQL = `SELECT ` + attemptColumns + ` FROM attempts
WHERE event_id = $1 AND section_id = $2 AND seq = ANY($3::bigint[])`
)

// SeatHistory returns the latest limit attempts that named or touched seat in key's
// section, in decision order, with the attempts their refusals rest on (causes) by
// number, when the log still has them. It returns an error wrapping actors.ErrNotFound
// when the section has no such seat.
func (s *Store) SeatHistory(ctx context.Context, key actors.SectionKey, seat string, limit int) (attempts []actors.Attempt, causes map[int64]actors.Attempt, err error) {
	op := fmt.Sprintf("seat history of %s in %s", seat, key.Identity())
	var exists bool
	if err := s.pool.QueryRow(ctx, seatExistsSQL, key.EventID, key.SectionID, seat).Scan(&exists); err != nil {
		return nil, nil, classify(op, err)
	}
	if !exists {
		return nil, nil, fmt.Errorf("%s: %w", op, actors.ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, seatAttemptsSQL, key.EventID, key.SectionID, seat, limit)
	if err != nil {
		return nil, nil, classify(op, err)
	}
	attempts, err = scanAttempts(rows)
	if err != nil {
		return nil, nil, classify(op, err)
	}
	for i, j := 0, len(attempts)-1; i < j; i, j = i+1, j-1 {
		attempts[i], attempts[j] = attempts[j], attempts[i]
	}
	var want []int64
	for _, a := range attempts {
		if a.CauseSeq > 0 {
			want = append(want, a.CauseSeq)
		}
	}
	causes = make(map[int64]actors.Attempt)
	if len(want) == 0 {
		return attempts, causes, nil
	}
	rows, err = s.pool.Query(ctx, attemptsBySeqSQL, key.EventID, key.SectionID, want)
	if err != nil {
		return nil, nil, classify(op, err)
	}
	found, err := scanAttempts(rows)
	if err != nil {
		return nil, nil, classify(op, err)
	}
	for _, a := range found {
		causes[a.Seq] = a
	}
	return attempts, causes, nil
}

// Attempts returns up to limit attempts of key's section numbered after after, in order.
func (s *Store) Attempts(ctx context.Context, key actors.SectionKey, after int64, limit int) ([]actors.Attempt, error) {
	rows, err := s.pool.Query(ctx, sectionAttemptsSQL, key.EventID, key.SectionID, after, limit)
	if err != nil {
		return nil, classify("attempts of "+key.Identity(), err)
	}
	out, err := scanAttempts(rows)
	if err != nil {
		return nil, classify("attempts of "+key.Identity(), err)
	}
	return out, nil
}

func scanAttempts(rows pgx.Rows) ([]actors.Attempt, error) {
	defer rows.Close()
	var out []actors.Attempt
	for rows.Next() {
		var a actors.Attempt
		var code string
		var received *time.Time
		if err := rows.Scan(&a.Seq, &a.At, &a.Version, &a.UserID, &a.Action, &a.Seats, &a.Ref, &code,
			&a.CauseSeq, &a.Kind, &a.Command, &received); err != nil {
			return nil, err
		}
		if received != nil {
			a.ReceivedAt = received.UTC()
		}
		a.Code, a.At = actors.Code(code), a.At.UTC()
		if len(a.Seats) == 0 {
			a.Seats = nil
		}
		if len(a.Command) == 0 {
			a.Command = nil
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

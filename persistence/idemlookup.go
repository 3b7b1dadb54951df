package persistence

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Every hold and confirm that carries an idempotency key looks it up before it goes to
// its section; concurrent lookups share one query (at most idemLookupMax keys).
const (
	idemLookupMax     = 512
	idemLookupTimeout = 10 * time.Second
)

// idemQuery is one lookup: a user's key.
type idemQuery struct{ userID, key string }

// idemAnswer is the stored record of one key, ok false when there is none.
type idemAnswer struct {
	rec actors.IdempotencyRecord
	ok  bool
}

// newIdemLookup returns the coalescing lookup of idempotency keys on pool.
func newIdemLookup(pool *pgxpool.Pool) *coalescer[idemQuery, idemAnswer] {
	return &coalescer[idemQuery, idemAnswer]{
		run: func(ctx context.Context, qs []idemQuery) ([]idemAnswer, error) {
			return lookupIdempotent(ctx, pool, qs)
		},
		max:     idemLookupMax,
		timeout: idemLookupTimeout,
	}
}

// lookupIdempotent reads the records of every (user, key) of qs with one statement. It
// reads what a query per key would: each was committed before its caller asked, or not.
// The keys go as two encoded arrays (see commitEncoder), and each row found names the
// place of its key in qs, so that a batch costs no map of its keys (in a rush most keys
// are new, and the map was the batch's largest allocation).
func lookupIdempotent(ctx context.Context, pool *pgxpool.Pool, qs []idemQuery) ([]idemAnswer, error) {
	e := getCommitEncoder()
	defer e.release() // after the rows are closed (deferred first, run last)
	args := e.params(texts(e, qs, func(q *idemQuery) string { return q.userID }),
		texts(e, qs, func(q *idemQuery) string { return q.key }))
	rows, err := pool.Query(ctx, `
SELECT q.i, k.user_id, k.key, k.event_id, k.section_id, k.request_hash, k.response
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(user_id, key, i)
JOIN idempotency_keys k ON k.user_id = q.user_id AND k.key = q.key`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]idemAnswer, len(qs))
	var i int64
	var r actors.IdempotencyRecord
	dest := []any{&i, &r.UserID, &r.Key, &r.EventID, &r.SectionID, &r.RequestHash, &r.Response}
	for rows.Next() {
		r = actors.IdempotencyRecord{}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if i < 1 || i > int64(len(qs)) {
			return nil, fmt.Errorf("idempotency lookup: row for key %d of %d", i, len(qs))
		}
		out[i-1] = idemAnswer{rec: r, ok: true}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Idempotent returns the stored record of (user, key), or ok false when there is none.
// Concurrent lookups share one query (see coalescer).
func (s *Store) Idempotent(ctx context.Context, userID, key string) (actors.IdempotencyRecord, bool, error) {
	a, err := s.idem.do(ctx, idemQuery{userID, key})
	if err != nil {
		return actors.IdempotencyRecord{}, false, classify(fmt.Sprintf("look up idempotency key %q of %q", key, userID), err)
	}
	return a.rec, a.ok, nil
}

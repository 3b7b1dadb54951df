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
func lookupIdempotent(ctx context.Context, pool *pgxpool.Pool, qs []idemQuery) ([]idemAnswer, error) {
	users := make([]string, len(qs))
	keys := make([]string, len(qs))
	for i, q := range qs {
		users[i], keys[i] = q.userID, q.key
	}
	rows, err := pool.Query(ctx, `
SELECT k.user_id, k.key, k.event_id, k.section_id, k.request_hash, k.response
FROM unnest($1::text[], $2::text[]) AS q(user_id, key)
JOIN idempotency_keys k ON k.user_id = q.user_id AND k.key = q.key`, users, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[idemQuery]actors.IdempotencyRecord, len(qs))
	for rows.Next() {
		var r actors.IdempotencyRecord
		if err := rows.Scan(&r.UserID, &r.Key, &r.EventID, &r.SectionID, &r.RequestHash, &r.Response); err != nil {
			return nil, err
		}
		found[idemQuery{r.UserID, r.Key}] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]idemAnswer, len(qs))
	for i, q := range qs {
		out[i].rec, out[i].ok = found[q]
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

package persistence

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Outbox reads and marks the transactional outbox for the relay, keeps the relay lease
// (see relay_lease.go) and records what the notifications consumer reads. It implements events.Outbox and
// events.NotificationSink without importing them.
//
// The relay publishes in id order, and a section's records must reach Kafka in the
// order they were committed. Writers keep that true by inserting a section's outbox rows
// only after locking its section row, so the ids of one section rise in commit order:
// the actor's fenced version update locks it, and so does the classic strategies'
// sequencer (persistence/classic), which moves their staged records into the outbox.
type Outbox struct {
	pool *pgxpool.Pool
}

// NewOutbox returns an Outbox on pool.
func NewOutbox(pool *pgxpool.Pool) *Outbox { return &Outbox{pool: pool} }

// pendingSQL reads the unpublished records above an id ($3), through the
// unpublished-records index in id order.
const pendingSQL = `
SELECT id, topic, key, payload, created_at FROM outbox
WHERE published_at IS NULL AND id > $3 AND key <> ALL($2::text[]) ORDER BY id LIMIT $1`

// pendingHolesSQL reads the unpublished records above an id ($3) and within id ranges
// at or below it ($4, $5: their first and last ids), in one statement and so one
// snapshot, each part through the unpublished-records index.
const pendingHolesSQL = `
SELECT id, topic, key, payload, created_at FROM (
	(SELECT id, topic, key, payload, created_at FROM outbox
	WHERE published_at IS NULL AND id > $3 AND key <> ALL($2::text[]) ORDER BY id LIMIT $1)
	UNION ALL
	(SELECT o.id, o.topic, o.key, o.payload, o.created_at
	FROM unnest($4::bigint[], $5::bigint[]) AS h(lo, hi)
	CROSS JOIN LATERAL (
		SELECT id, topic, key, payload, created_at FROM outbox
		WHERE published_at IS NULL AND id BETWEEN h.lo AND least(h.hi, $3) AND key <> ALL($2::text[])
		ORDER BY id LIMIT $1) AS o)
) AS r
ORDER BY id LIMIT $1`

// Pending calls fn for up to limit unpublished records with an id above after or
// within one of holes (inclusive ranges at or below after), in id order, leaving out
// the records whose key is one of skipKeys. It reads them in one statement, so from
// one snapshot. Each payload is a fresh slice that fn may keep.
func (o *Outbox) Pending(ctx context.Context, after int64, holes [][2]int64, limit int, skipKeys []string, fn func(id int64, topic, key string, payload []byte, createdAt time.Time)) error {
	if skipKeys == nil {
		skipKeys = []string{}
	}
	args := []any{limit, skipKeys, after}
	query := pendingSQL
	if len(holes) > 0 {
		los, his := make([]int64, len(holes)), make([]int64, len(holes))
		for i, h := range holes {
			los[i], his[i] = h[0], h[1]
		}
		query, args = pendingHolesSQL, append(args, los, his)
	}
	rows, err := o.pool.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read pending outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id         int64
			topic, key string
			payload    []byte
			createdAt  time.Time
		)
		if err := rows.Scan(&id, &topic, &key, &payload, &createdAt); err != nil {
			return fmt.Errorf("read pending outbox: %w", err)
		}
		fn(id, topic, key, payload, createdAt)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read pending outbox: %w", err)
	}
	return nil
}

// MarkPublished marks the records published if token is still the relay lease's epoch,
// and reports whether it was: false means another relay took the lease over, and
// nothing was marked. The lease row is read under a share lock in the same statement, so
// a takeover waits for a mark in progress, and a mark that comes after a takeover sees
// the new epoch. Records already marked keep their time.
func (o *Outbox) MarkPublished(ctx context.Context, token int64, ids []int64) (bool, error) {
	var current bool
	if err := o.pool.QueryRow(ctx, `
		WITH lease AS (
			SELECT epoch FROM relay_lease WHERE name = $1 AND epoch = $2 FOR SHARE
		), marked AS (
			UPDATE outbox SET published_at = now()
			WHERE id = ANY($3) AND published_at IS NULL AND EXISTS (SELECT 1 FROM lease)
			RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM lease), (SELECT count(*) FROM marked)`, relayLeaseName, token, ids).Scan(&current, new(int64)); err != nil {
		return false, fmt.Errorf("mark %d outbox records published: %w", len(ids), err)
	}
	return current, nil
}

// LagCountCap bounds the count Lag reports: past it, Lag says LagCountCap, so that
// reading the lag costs about the same however large a backlog grows.
const LagCountCap = 100_000

// Lag returns how many records are unpublished (at most LagCountCap) and how old the
// oldest of them is, by the database's clock. Both read the unpublished-records index
// only: the oldest is the first by id, and the count stops at the cap.
func (o *Outbox) Lag(ctx context.Context) (count int, oldest time.Duration, err error) {
	return o.lag(ctx, LagCountCap)
}

func (o *Outbox) lag(ctx context.Context, limit int) (count int, oldest time.Duration, err error) {
	var seconds float64
	if err := o.pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT $1) capped),
		       COALESCE((SELECT EXTRACT(EPOCH FROM now() - created_at) FROM outbox
		                 WHERE published_at IS NULL ORDER BY id LIMIT 1), 0)::float8`, limit).Scan(&count, &seconds); err != nil {
		return 0, 0, fmt.Errorf("read outbox lag: %w", err)
	}
	return count, time.Duration(max(0, seconds) * float64(time.Second)), nil
}

// RecordNotifications stores the envelopes the notifications consumer read, once per
// envelope id, in one statement. A payload PostgreSQL's jsonb refuses (a \u0000 escape,
// say) is kept base64-encoded instead, so it cannot stall the consumer.
func (o *Outbox) RecordNotifications(ctx context.Context, ns []actors.Notification) error {
	ids := make([]string, len(ns))
	topics := make([]string, len(ns))
	keys := make([]string, len(ns))
	types := make([]string, len(ns))
	parts := make([]int32, len(ns))
	offsets := make([]int64, len(ns))
	payloads := make([]string, len(ns))
	for i, n := range ns {
		ids[i], topics[i], keys[i], types[i] = n.EnvelopeID, n.Topic, n.Key, n.Type
		parts[i], offsets[i], payloads[i] = n.Partition, n.Offset, string(n.Payload)
	}
	_, err := o.pool.Exec(ctx, `
		INSERT INTO notifications (envelope_id, topic, key, type, partition, "offset", payload)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::jsonb[])
		ON CONFLICT (envelope_id) DO NOTHING`, ids, topics, keys, types, parts, offsets, payloads)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 && pgErr.Code[:2] == "22" { // data exception: one by one
		for _, n := range ns {
			if err := o.recordOne(ctx, n); err != nil {
				return err
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("record %d notifications: %w", len(ns), err)
	}
	return nil
}

func (o *Outbox) recordOne(ctx context.Context, n actors.Notification) error {
	const insert = `
		INSERT INTO notifications (envelope_id, topic, key, type, partition, "offset", payload)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (envelope_id) DO NOTHING`
	_, err := o.pool.Exec(ctx, insert, n.EnvelopeID, n.Topic, n.Key, n.Type, n.Partition, n.Offset, json.RawMessage(n.Payload))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 && pgErr.Code[:2] == "22" {
		wrapped, merr := json.Marshal(map[string]string{"raw_base64": base64.StdEncoding.EncodeToString(n.Payload)})
		if merr != nil {
			return fmt.Errorf("record notification %s: %w", n.EnvelopeID, merr)
		}
		_, err = o.pool.Exec(ctx, insert, n.EnvelopeID, n.Topic, n.Key, n.Type, n.Partition, n.Offset, json.RawMessage(wrapped))
	}
	if err != nil {
		return fmt.Errorf("record notification %s: %w", n.EnvelopeID, err)
	}
	return nil
}

package classic

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ticketblitz/ticketblitz/actors"
)

// errIdempotencyRace means another request stored the same (user, key) first.
var errIdempotencyRace = errors.New("idempotency key stored concurrently")

const replaySQL = `SELECT request_hash, response FROM idempotency_keys WHERE user_id = $1 AND key = $2`

// storedReply is the answer stored for an idempotency key, read by a queued lookup.
type storedReply struct {
	found          bool
	hash, response []byte
}

// queueReplay queues the lookup of (user, key) on b; the answer arrives in *r.
func queueReplay(b *pgx.Batch, userID, key string, r *storedReply) {
	*r = storedReply{}
	b.Queue(replaySQL, userID, key).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&r.hash, &r.response)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read idempotency key: %w", err)
		}
		r.found = true
		return nil
	})
}

// reply decodes the stored answer: IDEMPOTENCY_CONFLICT when it was stored for another
// request than the one hash describes.
func (r storedReply) reply(hash []byte) (*actors.Reply, error) {
	if string(r.hash) != string(hash) {
		return nil, actors.ErrIdempotencyConflict
	}
	reply, err := actors.DecodeReply(r.response)
	if err != nil {
		return nil, fmt.Errorf("decode stored reply: %w", err)
	}
	return reply, nil
}

// hold returns the stored hold, or the stored refusal.
func (r storedReply) hold(hash []byte) (actors.Hold, error) {
	reply, err := r.reply(hash)
	if err != nil {
		return actors.Hold{}, err
	}
	if err := reply.Err(); err != nil {
		return actors.Hold{}, err
	}
	if reply.GetHold() == nil {
		return actors.Hold{}, actors.ErrIdempotencyConflict
	}
	return actors.HoldFromMsg(reply.GetHold()), nil
}

// order returns the stored order, or the stored refusal.
func (r storedReply) order(hash []byte) (actors.Order, error) {
	reply, err := r.reply(hash)
	if err != nil {
		return actors.Order{}, err
	}
	if err := reply.Err(); err != nil {
		return actors.Order{}, err
	}
	if reply.GetOrder() == nil {
		return actors.Order{}, actors.ErrIdempotencyConflict
	}
	return actors.OrderFromMsg(reply.GetOrder()), nil
}

// lookupReply reads (user, key) on db, outside any transaction.
func lookupReply(ctx context.Context, db batchSender, userID, key string) (storedReply, error) {
	var r storedReply
	b := &pgx.Batch{}
	queueReplay(b, userID, key, &r)
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return r, err
	}
	return r, nil
}

// raceLost answers a request that lost errIdempotencyRace: the winner's stored answer,
// or a retryable refusal while the winner has not committed yet.
func raceLost[T any](ctx context.Context, db batchSender, userID, key string, decode func(storedReply) (T, error)) (T, error) {
	var zero T
	r, err := lookupReply(ctx, db, userID, key)
	if err != nil {
		return zero, err
	}
	if !r.found {
		return zero, actors.Unavailable("idempotency key in use by a concurrent request; retry")
	}
	return decode(r)
}

// queueSaveReply queues storing the first answer to (user, key) on b, in the caller's
// transaction; sending b fails with errIdempotencyRace when a concurrent request stored
// one first.
func queueSaveReply(b *pgx.Batch, userID, key string, section actors.SectionKey, hash []byte, reply *actors.Reply) {
	b.Queue(`
		INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING`,
		userID, key, section.EventID, section.SectionID, hash, actors.EncodeReply(reply),
	).Exec(func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() == 0 {
			return errIdempotencyRace
		}
		return nil
	})
}

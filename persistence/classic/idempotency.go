package classic

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// errIdempotencyRace means another request stored the same (user, key) first.
var errIdempotencyRace = errors.New("idempotency key stored concurrently")

// replay looks up (user, key). It returns the stored reply when the request hash
// matches, IDEMPOTENCY_CONFLICT when it does not, and ok false when nothing is stored.
func replay(ctx context.Context, q rowQuerier, userID, key string, hash []byte) (*actors.Reply, bool, error) {
	var storedHash, response []byte
	err := q.QueryRow(ctx, `SELECT request_hash, response FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
		userID, key).Scan(&storedHash, &response)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read idempotency key: %w", err)
	}
	if string(storedHash) != string(hash) {
		return nil, false, actors.ErrIdempotencyConflict
	}
	reply, err := actors.DecodeReply(response)
	if err != nil {
		return nil, false, fmt.Errorf("decode stored reply: %w", err)
	}
	return reply, true, nil
}

// replayHold returns the hold stored for (user, key), or ok false.
func replayHold(ctx context.Context, q rowQuerier, userID, key string, hash []byte) (actors.Hold, bool, error) {
	reply, ok, err := replay(ctx, q, userID, key, hash)
	if err != nil || !ok {
		return actors.Hold{}, false, err
	}
	if err := reply.Err(); err != nil {
		return actors.Hold{}, true, err
	}
	if reply.GetHold() == nil {
		return actors.Hold{}, true, actors.ErrIdempotencyConflict
	}
	return actors.HoldFromMsg(reply.GetHold()), true, nil
}

// replayOrder returns the order stored for (user, key), or ok false.
func replayOrder(ctx context.Context, q rowQuerier, userID, key string, hash []byte) (actors.Order, bool, error) {
	reply, ok, err := replay(ctx, q, userID, key, hash)
	if err != nil || !ok {
		return actors.Order{}, false, err
	}
	if err := reply.Err(); err != nil {
		return actors.Order{}, true, err
	}
	if reply.GetOrder() == nil {
		return actors.Order{}, true, actors.ErrIdempotencyConflict
	}
	return actors.OrderFromMsg(reply.GetOrder()), true, nil
}

// saveReply stores the first answer to (user, key) in the caller's transaction, or
// returns errIdempotencyRace when a concurrent request stored one first.
func saveReply(ctx context.Context, tx pgx.Tx, userID, key string, section actors.SectionKey, hash []byte, reply *actors.Reply) error {
	tag, err := tx.Exec(ctx, `
		INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING`,
		userID, key, section.EventID, section.SectionID, hash, actors.EncodeReply(reply))
	if err != nil {
		return fmt.Errorf("write idempotency key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errIdempotencyRace
	}
	return nil
}

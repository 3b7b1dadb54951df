package persistence

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// outboxInsertSQL writes outbox records from three arrays (topics, keys, payloads).
// Ordering by ordinality makes the outbox ids rise in slice order.
const outboxInsertSQL = `
INSERT INTO outbox (topic, key, payload)
SELECT m.topic, m.key, m.payload
FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS m(topic, key, payload, n)
ORDER BY m.n`

// outboxInsertArgs are outboxInsertSQL's arguments for msgs.
func outboxInsertArgs(msgs []actors.OutboxMessage) []any {
	n := len(msgs)
	topics, keys, payloads := make([]string, n), make([]string, n), make([][]byte, n)
	for i, m := range msgs {
		topics[i], keys[i], payloads[i] = m.Topic, m.Key, bytesOrEmpty(m.Payload)
	}
	return []any{topics, keys, payloads}
}

// WriteOutbox inserts msgs into the outbox in the caller's transaction, with one
// statement; their ids rise in slice order. To keep a section's records in commit order
// (see Outbox), the transaction must hold the section row's lock.
func WriteOutbox(ctx context.Context, tx pgx.Tx, msgs []actors.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, outboxInsertSQL, outboxInsertArgs(msgs)...); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	return nil
}

// QueueOutbox queues the insert of msgs on b, to be sent in the caller's transaction
// with the statements around it (one round trip); their ids rise in slice order. The
// ordering rule of WriteOutbox applies.
func QueueOutbox(b *pgx.Batch, msgs []actors.OutboxMessage) {
	if len(msgs) == 0 {
		return
	}
	b.Queue(outboxInsertSQL, outboxInsertArgs(msgs)...)
}

package classic

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// event is one envelope to write: its type and data.
type event struct {
	typ  string
	data any
}

// writeOutbox writes the section's events as outbox envelopes stamped at, in the
// caller's transaction and in the order given.
func writeOutbox(ctx context.Context, tx pgx.Tx, at time.Time, key actors.SectionKey, events ...event) error {
	msgs := make([]actors.OutboxMessage, len(events))
	for i, e := range events {
		msg, err := actors.NewOutboxMessage(uuid.NewString(), e.typ, at, key, e.data)
		if err != nil {
			return fmt.Errorf("encode %s: %w", e.typ, err)
		}
		msgs[i] = msg
	}
	return persistence.WriteOutbox(ctx, tx, msgs)
}

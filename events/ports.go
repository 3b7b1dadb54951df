package events

import (
	"github.com/ticketblitz/ticketblitz/actors"

	"context"
	"time"
)

// Outbox is the transactional outbox the relay drains. Its methods use only standard
// types so that the storage adapter satisfies it without importing this package.
type Outbox interface {
	// Pending calls fn for up to limit unpublished records, in id order, and returns
	// after the last call. fn may keep payload: each call gets a slice of its own.
	Pending(ctx context.Context, limit int, fn func(id int64, topic, key string, payload []byte, createdAt time.Time)) error
	// MarkPublished marks the records with these ids published; they are never
	// returned by Pending again.
	MarkPublished(ctx context.Context, ids []int64) error
	// Lag returns how many records are unpublished and the age of the oldest of them
	// (zero when there are none).
	Lag(ctx context.Context) (count int, oldest time.Duration, err error)
	// Lock takes the cluster-wide relay lock without waiting. ok false means another
	// node holds it. When ok is true, unlock releases it; unlock is safe to call once.
	Lock(ctx context.Context) (unlock func(), ok bool, err error)
}

// NotificationSink records every envelope the notifications consumer reads.
type NotificationSink interface {
	// RecordNotifications stores envelopes, all or none. It is idempotent by envelope
	// id: recording the same envelope again succeeds and changes nothing.
	RecordNotifications(ctx context.Context, ns []actors.Notification) error
}

// OutboxRecord is one unpublished outbox row, as the relay reads it from Outbox.Pending.
type OutboxRecord struct {
	ID        int64
	Topic     string
	Key       string
	Payload   []byte
	CreatedAt time.Time
}

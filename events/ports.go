package events

import (
	"github.com/ticketblitz/ticketblitz/actors"

	"context"
	"time"
)

// Outbox is the transactional outbox the relay drains. Its methods use only standard
// types so that the storage adapter satisfies it without importing this package.
type Outbox interface {
	// Pending calls fn for up to limit unpublished records whose key is not one of
	// skipKeys and whose id is above after or within one of holes (inclusive ranges
	// [lo, hi] at or below after), in id order, and returns after the last call. Every
	// record it returns is read from one snapshot of the outbox. fn may keep payload:
	// each call gets a slice of its own.
	Pending(ctx context.Context, after int64, holes [][2]int64, limit int, skipKeys []string, fn func(id int64, topic, key string, payload []byte, createdAt time.Time)) error
	// MarkPublished marks the records with these ids published, so that Pending never
	// returns them again, provided token is still the relay lease's current epoch, and
	// reports whether it was. false means another relay took the lease over: nothing
	// was marked, and this relay must stop.
	MarkPublished(ctx context.Context, token int64, ids []int64) (current bool, err error)
	// Lag returns how many records are unpublished and the age of the oldest of them
	// (zero when there are none).
	Lag(ctx context.Context) (count int, oldest time.Duration, err error)
	// AcquireRelayLease takes the cluster-wide relay lease for ttl if it is free or its
	// holder's time ran out, by the store's clock, and returns its fencing token, which
	// rises with every acquisition. ok false means another relay holds it.
	AcquireRelayLease(ctx context.Context, owner string, ttl time.Duration) (token int64, ok bool, err error)
	// RenewRelayLease extends the lease for ttl if token is still current.
	RenewRelayLease(ctx context.Context, token int64, ttl time.Duration) (current bool, err error)
	// ReleaseRelayLease frees the lease if token is still current.
	ReleaseRelayLease(ctx context.Context, token int64) error
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

// RelayLeaseTakeover is offered by an Outbox whose relay lease names its holder, so that
// a relay can take the lease from a holder whose process is gone without waiting for
// the holder's time to run out.
type RelayLeaseTakeover interface {
	// RelayLeaseHolder returns the owner the lease was last given to ("" once released)
	// and whether its time is still running, by the store's clock.
	RelayLeaseHolder(ctx context.Context) (holder string, live bool, err error)
	// TakeOverRelayLease gives the lease to owner for ttl if from still holds it, and
	// returns the new fencing token, which rises as with AcquireRelayLease.
	TakeOverRelayLease(ctx context.Context, owner, from string, ttl time.Duration) (token int64, ok bool, err error)
}

// Members is the cluster's view of which processes are alive, as the relay needs it to
// take the relay lease over from a holder that died.
type Members interface {
	// MemberID is this process's member id, "" while it is not known yet.
	MemberID() string
	// MemberGone reports whether the process with member id member, which ran as node,
	// is known to be gone: replaced by a live process of the same node name (a restart).
	// A member declared dead is not (a paused process may resume and publish again), nor
	// one that left (a drain: it publishes until it exits and releases the lease), nor
	// one this view does not know yet (a node that just joined may not have heard of
	// every live member).
	MemberGone(node, member string) bool
}

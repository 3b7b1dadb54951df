package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// relayLeaseName is the relay_lease row of the outbox relay.
const relayLeaseName = "outbox"

// AcquireRelayLease gives the relay lease to owner for ttl, by the database's clock, if
// nobody holds it or its holder's time ran out. It returns the lease's new epoch, the
// fencing token that the holder's marks carry; ok is false when someone else holds it.
// Every acquisition bumps the epoch, so a token is never current twice.
func (o *Outbox) AcquireRelayLease(ctx context.Context, owner string, ttl time.Duration) (token int64, ok bool, err error) {
	err = o.pool.QueryRow(ctx, `
		UPDATE relay_lease SET epoch = epoch + 1, holder = $2, expires_at = now() + $3 * interval '1 millisecond'
		WHERE name = $1 AND expires_at <= now()
		RETURNING epoch`, relayLeaseName, owner, ttl.Milliseconds()).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("acquire relay lease: %w", err)
	}
	return token, true, nil
}

// RenewRelayLease extends the lease for ttl from now if token is still its epoch, and
// reports whether it was. A lease whose time ran out but that nobody took over is
// renewed: nobody else could have published meanwhile.
func (o *Outbox) RenewRelayLease(ctx context.Context, token int64, ttl time.Duration) (bool, error) {
	tag, err := o.pool.Exec(ctx, `
		UPDATE relay_lease SET expires_at = now() + $3 * interval '1 millisecond'
		WHERE name = $1 AND epoch = $2`, relayLeaseName, token, ttl.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("renew relay lease: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseRelayLease frees the lease if token is still its epoch, so that another relay
// takes it at once instead of when it would have expired.
func (o *Outbox) ReleaseRelayLease(ctx context.Context, token int64) error {
	if _, err := o.pool.Exec(ctx, `
		UPDATE relay_lease SET holder = '', expires_at = '-infinity'
		WHERE name = $1 AND epoch = $2`, relayLeaseName, token); err != nil {
		return fmt.Errorf("release relay lease: %w", err)
	}
	return nil
}

// RelayLeaseHolder returns the owner the relay lease was last given to and whether its
// time is still running, by the database's clock. The holder is "" when the lease was
// released.
func (o *Outbox) RelayLeaseHolder(ctx context.Context) (holder string, live bool, err error) {
	err = o.pool.QueryRow(ctx, `
		SELECT holder, expires_at > now() FROM relay_lease WHERE name = $1`, relayLeaseName).Scan(&holder, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read relay lease holder: %w", err)
	}
	return holder, live, nil
}

// TakeOverRelayLease gives the relay lease to owner for ttl if it is still held by
// from, whose time may not have run out: the caller knows from's process is gone. Like
// AcquireRelayLease it bumps the epoch, so every mark from stops being accepted; ok is
// false when the lease moved on since from held it.
func (o *Outbox) TakeOverRelayLease(ctx context.Context, owner, from string, ttl time.Duration) (token int64, ok bool, err error) {
	err = o.pool.QueryRow(ctx, `
		UPDATE relay_lease SET epoch = epoch + 1, holder = $2, expires_at = now() + $3 * interval '1 millisecond'
		WHERE name = $1 AND holder = $4
		RETURNING epoch`, relayLeaseName, owner, ttl.Milliseconds(), from).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("take over relay lease: %w", err)
	}
	return token, true, nil
}

package persistence

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

var _ actors.ReminderStore = (*Store)(nil)

// reminderLease names the expiry reminder's row in reminder_leases.
const reminderLease = "expiry"

// The reminder's statements. The claim inserts the lease, or takes it when it is the
// claimer's, ran out (database time: no node's clock matters) or belongs to the holder the
// claimer names; the read that follows in the same round trip says who has it.
const (
	claimReminderSQL = `
INSERT INTO reminder_leases AS l (name, holder, expires_at)
VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond')
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now() OR l.holder = $4
RETURNING holder`

	reminderHolderSQL = `SELECT holder FROM reminder_leases WHERE name = $1`

	releaseReminderSQL = `DELETE FROM reminder_leases WHERE name = $1 AND holder = $2`

	// Through sections_next_expiry: only sections with live holds are in it.
	dueSectionsSQL = `
SELECT event_id, id FROM sections
WHERE next_expiry <= now() - $1::bigint * interval '1 microsecond'
ORDER BY next_expiry
LIMIT $2`
)

// ClaimReminder takes the expiry reminder's lease for holder for ttl, or extends it when
// holder has it; a lease another holder has is taken once it ran out, or at once when
// that holder is takeFrom. It returns whether holder has the lease now, and otherwise who
// has it.
func (s *Store) ClaimReminder(ctx context.Context, holder, takeFrom string, ttl time.Duration) (bool, string, error) {
	if holder == "" {
		return false, "", errors.New("claim the reminder lease: no holder")
	}
	held := false
	var current string
	b := &pgx.Batch{}
	b.Queue(claimReminderSQL, reminderLease, holder, ttl.Microseconds(), takeFrom).QueryRow(func(row pgx.Row) error {
		var got string
		err := row.Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		held = err == nil && got == holder
		return err
	})
	b.Queue(reminderHolderSQL, reminderLease).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&current)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return false, "", classify("claim the reminder lease", err)
	}
	if held {
		return true, holder, nil
	}
	return false, current, nil
}

// ReleaseReminder deletes the reminder's lease if holder has it.
func (s *Store) ReleaseReminder(ctx context.Context, holder string) error {
	if _, err := s.pool.Exec(ctx, releaseReminderSQL, reminderLease, holder); err != nil {
		return classify("release the reminder lease", err)
	}
	return nil
}

// DueSections lists at most limit sections whose next hold expiry is at least grace in
// the past (database time), the earliest first.
func (s *Store) DueSections(ctx context.Context, grace time.Duration, limit int) ([]actors.SectionKey, error) {
	op := "list the sections whose holds are due"
	rows, err := s.pool.Query(ctx, dueSectionsSQL, grace.Microseconds(), limit)
	if err != nil {
		return nil, classify(op, err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (actors.SectionKey, error) {
		var k actors.SectionKey
		err := row.Scan(&k.EventID, &k.SectionID)
		return k, err
	})
	if err != nil {
		return nil, classify(op, err)
	}
	return keys, nil
}

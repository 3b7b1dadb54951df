package classic

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// bumpSection adds the deltas to the section's held and sold counters and raises its
// version, returning the new version, and writes the version's SectionChanged event
// with the seats it changed to status. With expect >= 0 the update is version-checked:
// when another transaction committed since the version was read, nothing changes and
// errVersionConflict is returned.
func (s *Lock) bumpSection(ctx context.Context, tx pgx.Tx, key actors.SectionKey, heldDelta, soldDelta int, expect int64, seats []string, status actors.SeatStatus) (int64, error) {
	ch, err := updateSectionRow(ctx, tx, key, heldDelta, soldDelta, expect)
	if err != nil {
		return 0, err
	}
	ch.Changes = make([]actors.SeatStatusChange, 0, len(seats))
	for _, id := range seats {
		ch.Changes = append(ch.Changes, actors.SeatStatusChange{ID: id, Status: status})
	}
	return ch.Version, writeOutbox(ctx, tx, s.now(), key, event{actors.TypeSectionChanged, ch})
}

// updateSectionRow moves the counters and raises the version (see bumpSection).
func updateSectionRow(ctx context.Context, tx pgx.Tx, key actors.SectionKey, heldDelta, soldDelta int, expect int64) (actors.SectionChanged, error) {
	var ch actors.SectionChanged
	var kind string
	err := tx.QueryRow(ctx, `
		UPDATE sections SET version = version + 1, held = held + $3, sold = sold + $4
		WHERE event_id = $1 AND id = $2 AND ($5::bigint < 0 OR version = $5)
		RETURNING version, kind, capacity, held, sold`, key.EventID, key.SectionID, heldDelta, soldDelta, expect,
	).Scan(&ch.Version, &kind, &ch.Capacity, &ch.Held, &ch.Sold)
	if errors.Is(err, pgx.ErrNoRows) {
		if expect >= 0 {
			return ch, errVersionConflict
		}
		return ch, fmt.Errorf("bump section %s: section vanished", key)
	}
	if err != nil {
		return ch, fmt.Errorf("bump section %s: %w", key, err)
	}
	ch.Kind = actors.SectionKind(kind)
	ch.Available = ch.Capacity - ch.Held - ch.Sold
	return ch, nil
}

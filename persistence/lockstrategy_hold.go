package persistence

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// lockBestAttempts bounds how often best available re-reads the section after a chosen
// seat turned out to be claimed by a concurrent request.
const lockBestAttempts = 5

// lockUnlockTimeout bounds freeing seat locks after a request, even a cancelled one.
const lockUnlockTimeout = 5 * time.Second

// Hold places a hold: exactly the requested seats, the best available seats of a
// reserved section, or a general-admission quantity. With an idempotency key, a retry
// of the same request returns the first hold.
func (s *LockStrategy) Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error) {
	h, err := s.hold(ctx, r)
	if err != nil {
		return actors.Hold{}, lockFail("hold", err)
	}
	return h, nil
}

func (s *LockStrategy) hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error) {
	seats, err := lockValidateHold(r)
	if err != nil {
		return actors.Hold{}, err
	}
	if r.IdempotencyKey != "" {
		if h, ok, err := s.replayHold(ctx, r.UserID, r.IdempotencyKey, r.Hash()); ok || err != nil {
			return h, err
		}
	}
	sec, err := lockQuerySection(ctx, s.pool, actors.SectionKey{EventID: r.EventID, SectionID: r.SectionID})
	if err != nil {
		return actors.Hold{}, err
	}
	var h actors.Hold
	switch {
	case sec.kind == actors.KindGeneralAdmission && len(seats) > 0:
		return actors.Hold{}, actors.Invalid("seats", "a general-admission section takes a quantity, not seats")
	case sec.kind == actors.KindGeneralAdmission:
		h, err = s.holdQuantity(ctx, sec, r)
	case len(seats) > 0:
		h, err = s.claimSeats(ctx, sec, r, seats, actors.NewID("h_"))
	default:
		h, err = s.holdBest(ctx, sec, r)
	}
	if errors.Is(err, errLockIdempotencyRace) {
		if h, ok, err := s.replayHold(ctx, r.UserID, r.IdempotencyKey, r.Hash()); ok || err != nil {
			return h, err
		}
		return actors.Hold{}, actors.Unavailable("idempotency key in use by a concurrent request; retry")
	}
	return h, err
}

// lockValidateHold checks a hold request's shape and returns its seats, deduplicated
// in request order.
func lockValidateHold(r actors.HoldRequest) ([]string, error) {
	switch {
	case r.UserID == "":
		return nil, actors.Invalid("user_id", "required")
	case r.SectionID == "":
		return nil, actors.Invalid("section_id", "required")
	case len(r.Seats) > 0 && r.Quantity != 0:
		return nil, actors.Invalid("seats", "give seats or a quantity, not both")
	case len(r.Seats) == 0 && r.Quantity == 0:
		return nil, actors.Invalid("quantity", "give seats or a quantity")
	case len(r.Seats) > actors.MaxSeatsPerHold:
		return nil, actors.Invalid("seats", fmt.Sprintf("at most %d seats per hold", actors.MaxSeatsPerHold))
	case r.Quantity < 0 || r.Quantity > actors.MaxSeatsPerHold:
		return nil, actors.Invalid("quantity", fmt.Sprintf("must be 1 to %d", actors.MaxSeatsPerHold))
	}
	seen := make(map[string]bool, len(r.Seats))
	for _, id := range r.Seats {
		if _, _, err := actors.ParseSeatID(id); err != nil {
			return nil, actors.Invalid("seats", err.Error())
		}
		if seen[id] {
			return nil, actors.Invalid("seats", "seat "+id+" requested twice")
		}
		seen[id] = true
	}
	return slices.Clone(r.Seats), nil
}

// claimSeats holds exactly seats for r: Redis locks first, then one transaction that
// locks the rows, checks them and writes the hold.
func (s *LockStrategy) claimSeats(ctx context.Context, sec lockSection, r actors.HoldRequest, seats []string, holdID string) (actors.Hold, error) {
	ordered := slices.Clone(seats)
	slices.Sort(ordered)
	taken, err := s.locks.acquire(ctx, sec.key, ordered, holdID)
	if err != nil {
		return actors.Hold{}, err
	}
	if len(taken) > 0 {
		return actors.Hold{}, actors.SeatsUnavailable(taken)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockUnlockTimeout)
		defer cancel()
		if err := s.locks.release(uctx, sec.key, ordered, holdID); err != nil {
			s.log.Warn("free seat locks", zap.String("section", sec.key.Identity()), zap.String("hold", holdID), zap.Error(err))
		}
	}()

	var hold actors.Hold
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, sec.key.EventID, r.UserID); err != nil {
			return err
		}
		found, err := lockSeatRows(ctx, tx, sec.key, ordered)
		if err != nil {
			return err
		}
		var unknown, busy []string
		for _, id := range ordered {
			row, ok := found[id]
			switch {
			case !ok:
				unknown = append(unknown, id)
			case row.status != actors.SeatAvailable:
				busy = append(busy, id)
			}
		}
		if len(unknown) > 0 {
			return actors.Invalid("seats", "unknown seat "+strings.Join(unknown, ", "))
		}
		if len(busy) > 0 {
			return actors.SeatsUnavailable(busy)
		}
		if err := lockCheckLimit(ctx, tx, sec, r.UserID, len(seats)); err != nil {
			return err
		}
		var read int64
		if err := tx.QueryRow(ctx, `SELECT version FROM sections WHERE event_id = $1 AND id = $2`,
			sec.key.EventID, sec.key.SectionID).Scan(&read); err != nil {
			return fmt.Errorf("read version of %s: %w", sec.key, err)
		}
		version, err := s.bumpSection(ctx, tx, sec.key, len(seats), 0, read, ordered, actors.SeatHeld)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE seats SET status = 'held', hold_id = $4
			WHERE event_id = $1 AND section_id = $2 AND id = ANY($3) AND status = 'available'`,
			sec.key.EventID, sec.key.SectionID, ordered, holdID)
		if err != nil {
			return fmt.Errorf("hold seats of %s: %w", sec.key, err)
		}
		if int(tag.RowsAffected()) != len(seats) {
			return fmt.Errorf("hold seats of %s: %d of %d locked seats updated", sec.key, tag.RowsAffected(), len(seats))
		}
		hold, err = s.insertHold(ctx, tx, sec, r, holdID, seats, version)
		return err
	})
	return hold, err
}

// holdBest chooses seats with actors.BestAvailable and claims them. A chosen seat that
// a concurrent request claimed first is left out of the next choice. When every try lost
// such a race (or only contended seats are left), the answer is a retryable UNAVAILABLE:
// the seats may come free again, and a quantity request never names seats it did not ask for.
func (s *LockStrategy) holdBest(ctx context.Context, sec lockSection, r actors.HoldRequest) (actors.Hold, error) {
	contended := map[string]bool{}
	for range lockBestAttempts {
		seats, err := lockReadSeats(ctx, s.pool, sec.key)
		if err != nil {
			return actors.Hold{}, err
		}
		for i := range seats {
			if contended[seats[i].ID] {
				seats[i].Status = actors.SeatHeld
			}
		}
		ids, ok := actors.BestAvailable(seats, r.Quantity, r.Accessible)
		if !ok {
			if len(contended) > 0 {
				return actors.Hold{}, actors.Unavailable("the remaining seats are being claimed; retry")
			}
			return actors.Hold{}, actors.ErrSoldOut
		}
		h, err := s.claimSeats(ctx, sec, r, ids, actors.NewID("h_"))
		var de *actors.Error
		if errors.As(err, &de) && de.Code == actors.CodeSeatUnavailable {
			for _, id := range de.Seats {
				contended[id] = true
			}
			continue
		}
		return h, err
	}
	return actors.Hold{}, actors.Unavailable("best-available seats kept being claimed by others; retry")
}

// holdQuantity holds a general-admission quantity under the section row's lock.
func (s *LockStrategy) holdQuantity(ctx context.Context, sec lockSection, r actors.HoldRequest) (actors.Hold, error) {
	var hold actors.Hold
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, sec.key.EventID, r.UserID); err != nil {
			return err
		}
		var capacity, held, sold int
		var read int64
		if err := tx.QueryRow(ctx, `
			SELECT capacity, held, sold, version FROM sections
			WHERE event_id = $1 AND id = $2 FOR UPDATE`, sec.key.EventID, sec.key.SectionID,
		).Scan(&capacity, &held, &sold, &read); err != nil {
			return fmt.Errorf("lock section %s: %w", sec.key, err)
		}
		if capacity-held-sold < r.Quantity {
			return &actors.Error{Code: actors.CodeSoldOut, Message: fmt.Sprintf("only %d left", max(capacity-held-sold, 0))}
		}
		if err := lockCheckLimit(ctx, tx, sec, r.UserID, r.Quantity); err != nil {
			return err
		}
		version, err := s.bumpSection(ctx, tx, sec.key, r.Quantity, 0, read, nil, "")
		if err != nil {
			return err
		}
		hold, err = s.insertHold(ctx, tx, sec, r, actors.NewID("h_"), []string{}, version)
		return err
	})
	return hold, err
}

// insertHold writes the hold row (times from the database clock), its SeatReserved
// envelope and, with an idempotency key, the stored reply.
func (s *LockStrategy) insertHold(ctx context.Context, tx pgx.Tx, sec lockSection, r actors.HoldRequest, holdID string, seats []string, version int64) (actors.Hold, error) {
	qty := r.Quantity
	if len(seats) > 0 {
		qty = len(seats)
	}
	h, err := lockScanHold(tx.QueryRow(ctx, `
		INSERT INTO holds (id, event_id, section_id, user_id, seats, quantity, status, expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'held', now() + $7::bigint * interval '1 microsecond', now(), now())
		RETURNING `+lockHoldCols,
		holdID, sec.key.EventID, sec.key.SectionID, r.UserID, seats, qty, s.holdTTL.Microseconds()))
	if err != nil {
		return actors.Hold{}, fmt.Errorf("insert hold: %w", err)
	}
	err = s.writeOutbox(ctx, tx, sec.key, lockEvent{actors.TypeSeatReserved, actors.SeatReserved{
		HoldID: h.ID, UserID: h.UserID, Seats: h.Seats, Quantity: h.Quantity,
		ExpiresAt: h.ExpiresAt, SectionVersion: version,
	}})
	if err != nil {
		return actors.Hold{}, err
	}
	if r.IdempotencyKey != "" {
		if err := lockSaveReply(ctx, tx, r.UserID, r.IdempotencyKey, sec.key, r.Hash(), actors.HoldReply(h)); err != nil {
			return actors.Hold{}, err
		}
	}
	return h, nil
}

// lockUser serializes one user's holds for one event, so two concurrent holds cannot
// both pass the per-user limit.
func lockUser(ctx context.Context, tx pgx.Tx, eventID, userID string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		"ticketblitz/user-limit/"+eventID+"/"+userID); err != nil {
		return fmt.Errorf("lock user %s: %w", userID, err)
	}
	return nil
}

// lockCheckLimit refuses a hold of want tickets that would take the user past the
// event's limit, counting live holds and confirmed orders in every section. Each count
// starts from the user's own rows behind an OFFSET 0 fence, as ticketsElsewhereSQL does
// and for the same reason: the event-wide partial indexes are a trap on fresh tables.
func lockCheckLimit(ctx context.Context, tx pgx.Tx, sec lockSection, userID string, want int) error {
	var have int64
	err := tx.QueryRow(ctx, `
		SELECT COALESCE((SELECT sum(h.quantity) FROM (
		                   SELECT event_id, quantity, expires_at FROM holds
		                   WHERE user_id = $1 AND status = 'held' OFFSET 0) h
		                 WHERE h.event_id = $2 AND h.expires_at > now()), 0)
		     + COALESCE((SELECT sum(o.quantity) FROM (
		                   SELECT event_id, quantity, status FROM orders
		                   WHERE user_id = $1 OFFSET 0) o
		                 WHERE o.status = 'confirmed' AND o.event_id = $2), 0)`,
		userID, sec.key.EventID).Scan(&have)
	if err != nil {
		return fmt.Errorf("count tickets of %s: %w", userID, err)
	}
	if int(have)+want > sec.maxPerUser {
		return &actors.Error{Code: actors.CodeLimitExceeded,
			Message: fmt.Sprintf("at most %d tickets per user for this event; %d already held or bought", sec.maxPerUser, have)}
	}
	return nil
}

// lockReadSeats reads a reserved section's seats, ordered by row then number.
func lockReadSeats(ctx context.Context, pool interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, key actors.SectionKey) ([]actors.Seat, error) {
	rows, err := pool.Query(ctx, `
		SELECT id, row_label, row_index, number, accessible, status
		FROM seats WHERE event_id = $1 AND section_id = $2
		ORDER BY row_index, number`, key.EventID, key.SectionID)
	if err != nil {
		return nil, fmt.Errorf("read seats of %s: %w", key, err)
	}
	var seats []actors.Seat
	var seat actors.Seat
	var status string
	_, err = pgx.ForEachRow(rows, []any{&seat.ID, &seat.Row, &seat.RowIndex, &seat.Number, &seat.Accessible, &status}, func() error {
		seat.Status = actors.SeatStatus(status)
		seats = append(seats, seat)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read seats of %s: %w", key, err)
	}
	return seats, nil
}

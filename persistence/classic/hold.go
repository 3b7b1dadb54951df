package classic

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// bestAttempts bounds how often best available re-reads the section after a chosen
// seat turned out to be claimed by a concurrent request.
const bestAttempts = 5

// Hold places a hold: exactly the requested seats, the best available seats of a
// reserved section, or a general-admission quantity. With an idempotency key, a retry
// of the same request returns the first hold.
func (s *Lock) Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error) {
	h, err := s.hold(ctx, r)
	if err != nil {
		return actors.Hold{}, fail("hold", err)
	}
	return h, nil
}

func (s *Lock) hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error) {
	if err := r.Validate(); err != nil {
		return actors.Hold{}, err
	}
	seats := slices.Clone(r.Seats)
	if r.IdempotencyKey != "" {
		if h, ok, err := replayHold(ctx, s.pool, r.UserID, r.IdempotencyKey, r.Hash()); ok || err != nil {
			return h, err
		}
	}
	sec, err := querySection(ctx, s.pool, actors.SectionKey{EventID: r.EventID, SectionID: r.SectionID})
	if err != nil {
		return actors.Hold{}, err
	}
	var h actors.Hold
	switch {
	case sec.kind == actors.KindGeneralAdmission && len(seats) > 0:
		return actors.Hold{}, actors.ErrSeatsInGeneralAdmission
	case sec.kind == actors.KindGeneralAdmission:
		h, err = s.holdQuantity(ctx, sec, r)
	case len(seats) > 0:
		h, err = s.claimSeats(ctx, sec, r, seats, actors.NewID("h_"))
	default:
		h, err = s.holdBest(ctx, sec, r)
	}
	if errors.Is(err, errIdempotencyRace) {
		if h, ok, err := replayHold(ctx, s.pool, r.UserID, r.IdempotencyKey, r.Hash()); ok || err != nil {
			return h, err
		}
		return actors.Hold{}, actors.Unavailable("idempotency key in use by a concurrent request; retry")
	}
	return h, err
}

// holdBest chooses seats with actors.BestAvailable and claims them. A chosen seat that
// a concurrent request claimed first is left out of the next choice. When every try lost
// such a race (or only contended seats are left), the answer is a retryable UNAVAILABLE:
// the seats may come free again, and a quantity request never names seats it did not ask for.
func (s *Lock) holdBest(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	contended := map[string]bool{}
	for range bestAttempts {
		seats, err := readSeats(ctx, s.pool, sec.key)
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
func (s *Lock) holdQuantity(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error) {
	var hold actors.Hold
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := serializeUserHolds(ctx, tx, sec.key.EventID, r.UserID); err != nil {
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
		if err := checkUserLimit(ctx, tx, sec, r.UserID, r.Quantity); err != nil {
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
func (s *Lock) insertHold(ctx context.Context, tx pgx.Tx, sec sectionMeta, r actors.HoldRequest, holdID string, seats []string, version int64) (actors.Hold, error) {
	qty := r.Quantity
	if len(seats) > 0 {
		qty = len(seats)
	}
	h, err := persistence.ScanHold(tx.QueryRow(ctx, `
		INSERT INTO holds (id, event_id, section_id, user_id, seats, quantity, status, expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'held', now() + $7::bigint * interval '1 microsecond', now(), now())
		RETURNING `+persistence.HoldColumns,
		holdID, sec.key.EventID, sec.key.SectionID, r.UserID, seats, qty, s.holdTTL.Microseconds()))
	if err != nil {
		return actors.Hold{}, fmt.Errorf("insert hold: %w", err)
	}
	err = writeOutbox(ctx, tx, s.now(), sec.key, event{actors.TypeSeatReserved, actors.SeatReserved{
		HoldID: h.ID, UserID: h.UserID, Seats: h.Seats, Quantity: h.Quantity,
		ExpiresAt: h.ExpiresAt, SectionVersion: version,
	}})
	if err != nil {
		return actors.Hold{}, err
	}
	if r.IdempotencyKey != "" {
		if err := saveReply(ctx, tx, r.UserID, r.IdempotencyKey, sec.key, r.Hash(), actors.HoldReply(h)); err != nil {
			return actors.Hold{}, err
		}
	}
	return h, nil
}

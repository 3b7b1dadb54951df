package classic

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// seatClaimer is what a strategy adds to the engine: its ways of claiming reserved
// seats, exactly the named ones or the best available.
type seatClaimer interface {
	claimSeats(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error)
	claimBest(ctx context.Context, sec sectionMeta, r actors.HoldRequest) (actors.Hold, error)
}

// hold places a hold through c: exactly the requested seats, the best available seats
// of a reserved section, or a general-admission quantity. With an idempotency key, a
// retry of the same request returns the first hold.
func (e *engine) hold(ctx context.Context, r actors.HoldRequest, c seatClaimer) (actors.Hold, error) {
	var seat string
	if len(r.Seats) > 0 {
		seat = r.Seats[0]
	}
	ctx = e.traced(ctx, "hold", r.UserID, actors.SectionKey{EventID: r.EventID, SectionID: r.SectionID}.Identity(), seat)
	h, err := e.holdOnce(ctx, r, c)
	if errors.Is(err, errIdempotencyRace) {
		h, err = raceLost(ctx, e.pool, r.UserID, r.IdempotencyKey, func(s storedReply) (actors.Hold, error) { return s.hold(r.Hash()) })
	}
	if errors.Is(err, errCommitUnknown) {
		h, err = e.holdFate(ctx, r, err)
	}
	if err != nil {
		return actors.Hold{}, e.fail("hold", err)
	}
	return h, nil
}

// fateTimeout bounds the lookup of a hold whose COMMIT went unanswered.
const fateTimeout = 5 * time.Second

// holdFate learns what became of a hold whose COMMIT was sent and never answered
// (cause): its idempotency key was stored in the same transaction, so a stored answer
// is the hold, decided. Otherwise its fate stays unknown (no key, the key unreadable, or
// not stored yet: the COMMIT may still be running): that is logged and answered as
// UNAVAILABLE, and a hold decided after all belongs to the fan, who sees it in
// GET /api/v1/me/holds, as with the actor's commands whose answers never came.
func (e *engine) holdFate(ctx context.Context, r actors.HoldRequest, cause error) (actors.Hold, error) {
	if r.IdempotencyKey != "" {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fateTimeout)
		defer cancel()
		s, err := lookupReply(fctx, e.pool, r.UserID, r.IdempotencyKey)
		if err == nil && s.found {
			return s.hold(r.Hash())
		}
		cause = errors.Join(cause, err)
	}
	e.log.Warn("the fate of a hold is unknown: its COMMIT went unanswered",
		zap.String("user", r.UserID), zap.String("event", r.EventID), zap.Error(cause))
	return actors.Hold{}, cause
}

func (e *engine) holdOnce(ctx context.Context, r actors.HoldRequest, c seatClaimer) (actors.Hold, error) {
	if err := r.Validate(); err != nil {
		return actors.Hold{}, err
	}
	sec, err := e.sections.meta(ctx, actors.SectionKey{EventID: r.EventID, SectionID: r.SectionID})
	if err != nil {
		return actors.Hold{}, err
	}
	switch {
	case sec.kind == actors.KindGeneralAdmission && len(r.Seats) > 0:
		return actors.Hold{}, actors.ErrSeatsInGeneralAdmission
	case sec.kind == actors.KindGeneralAdmission:
		return e.holdQuantity(ctx, sec, r)
	case len(r.Seats) > 0:
		return c.claimSeats(ctx, sec, r)
	default:
		return c.claimBest(ctx, sec, r)
	}
}

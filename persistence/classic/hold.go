package classic

import (
	"context"
	"errors"

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
	if err != nil {
		return actors.Hold{}, e.fail("hold", err)
	}
	return h, nil
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

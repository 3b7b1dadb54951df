package flashsale

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// fan is one simulated fan's visit.
func (f *Sales) fan(sale *saleState, n int) {
	rng := rand.New(rand.NewPCG(sale.seed, uint64(n)))
	user := userPrefix + sale.id + "-" + strconv.Itoa(n)
	want := 1 + rng.IntN(maxSeatsPerFan)
	req := actors.HoldRequest{EventID: sale.key.EventID, SectionID: sale.key.SectionID, UserID: user}

	var hold actors.Hold
	var err error
	held := false
	if sale.kind != actors.KindGeneralAdmission {
		if seats := f.pickSeats(sale, rng, want); len(seats) > 0 {
			explicit := req
			explicit.Seats = seats
			hold, err = f.hold(sale, explicit)
			held = err == nil
			if err != nil && !errors.Is(err, actors.ErrSeatUnavailable) {
				return
			}
		}
	}
	if !held {
		req.Quantity = want
		if hold, err = f.hold(sale, req); err != nil {
			return
		}
	}
	if !f.think(rng) {
		return
	}
	switch roll := rng.IntN(100); {
	case roll < 60:
		if f.confirm(hold.ID, user, paymentOK) == nil {
			sale.orders.Add(1)
		}
	case roll < 70:
		if err := f.confirm(hold.ID, user, paymentDeclined); err != nil {
			f.release(hold.ID, user)
		}
	case roll < 85:
		f.release(hold.ID, user)
	default:
		// Walks away: the hold expires on its own.
	}
}

// hold asks for a hold and counts the attempt and its outcome.
func (f *Sales) hold(sale *saleState, r actors.HoldRequest) (actors.Hold, error) {
	sale.attempts.Add(1)
	ctx, cancel := context.WithTimeout(f.ctx, callTimeout)
	defer cancel()
	h, err := f.cfg.Reservations.Hold(ctx, r)
	if err != nil {
		sale.refusals.Add(1)
		return actors.Hold{}, err
	}
	sale.holds.Add(1)
	return h, nil
}

func (f *Sales) confirm(holdID, user, token string) error {
	ctx, cancel := context.WithTimeout(f.ctx, callTimeout)
	defer cancel()
	_, err := f.cfg.Reservations.Confirm(ctx, actors.ConfirmRequest{HoldID: holdID, UserID: user, PaymentToken: token})
	return err
}

func (f *Sales) release(holdID, user string) {
	ctx, cancel := context.WithTimeout(f.ctx, callTimeout)
	defer cancel()
	_, _ = f.cfg.Reservations.Release(ctx, holdID, user)
}

// think pauses like a person looking at a hold; false when the sale is stopping.
func (f *Sales) think(rng *rand.Rand) bool {
	if f.cfg.ThinkTime <= 0 {
		return f.ctx.Err() == nil
	}
	t := time.NewTimer(time.Duration(rng.Int64N(int64(f.cfg.ThinkTime))))
	defer t.Stop()
	select {
	case <-f.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pickSeats chooses up to want random seats that the seat map shows available.
func (f *Sales) pickSeats(sale *saleState, rng *rand.Rand, want int) []string {
	available := sale.availableSeats(f.ctx, f.cfg.Catalog)
	if len(available) == 0 {
		return nil
	}
	want = min(want, len(available))
	picked := make([]string, 0, want)
	seen := make(map[int]bool, want)
	for len(picked) < want {
		i := rng.IntN(len(available))
		if !seen[i] {
			seen[i] = true
			picked = append(picked, available[i])
		}
	}
	return picked
}

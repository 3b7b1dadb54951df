package http

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// fan is one simulated fan's visit.
func (f *FlashSales) fan(sale *flashSale, n int) {
	rng := rand.New(rand.NewPCG(sale.seed, uint64(n)))
	user := flashUserPrefix + sale.id + "-" + strconv.Itoa(n)
	want := 1 + rng.IntN(flashMaxSeatsPerFan)
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
		if f.confirm(hold.ID, user, flashPaymentOK) == nil {
			sale.orders.Add(1)
		}
	case roll < 70:
		if err := f.confirm(hold.ID, user, flashPaymentDeclined); err != nil {
			f.release(hold.ID, user)
		}
	case roll < 85:
		f.release(hold.ID, user)
	default:
		// Walks away: the hold expires on its own.
	}
}

// hold asks for a hold and counts the attempt and its outcome.
func (f *FlashSales) hold(sale *flashSale, r actors.HoldRequest) (actors.Hold, error) {
	sale.attempts.Add(1)
	ctx, cancel := context.WithTimeout(f.ctx, flashCallTimeout)
	defer cancel()
	h, err := f.cfg.Reservations.Hold(ctx, r)
	if err != nil {
		sale.refusals.Add(1)
		return actors.Hold{}, err
	}
	sale.holds.Add(1)
	return h, nil
}

func (f *FlashSales) confirm(holdID, user, token string) error {
	ctx, cancel := context.WithTimeout(f.ctx, flashCallTimeout)
	defer cancel()
	_, err := f.cfg.Reservations.Confirm(ctx, actors.ConfirmRequest{HoldID: holdID, UserID: user, PaymentToken: token})
	return err
}

func (f *FlashSales) release(holdID, user string) {
	ctx, cancel := context.WithTimeout(f.ctx, flashCallTimeout)
	defer cancel()
	_, _ = f.cfg.Reservations.Release(ctx, holdID, user)
}

// think pauses like a person looking at a hold; false when the sale is stopping.
func (f *FlashSales) think(rng *rand.Rand) bool {
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
func (f *FlashSales) pickSeats(sale *flashSale, rng *rand.Rand, want int) []string {
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

// flashSale is one running or finished sale.
type flashSale struct {
	id   string
	req  FlashSaleRequest
	key  actors.SectionKey
	kind actors.SectionKind
	seed uint64
	done atomic.Bool

	attempts atomic.Int64
	holds    atomic.Int64
	orders   atomic.Int64
	refusals atomic.Int64

	// The seat map is shared by the sale's fans and re-read when it is older than
	// flashSeatMapFreshness, so that a crowd does not turn into a stream of reads.
	mapMu     sync.Mutex
	mapAt     time.Time
	available []string
}

// availableSeats returns the seats the (recent) seat map shows available; nil when the
// map cannot be read, and the fan then asks for best available instead.
func (s *flashSale) availableSeats(ctx context.Context, cat Catalog) []string {
	s.mapMu.Lock()
	defer s.mapMu.Unlock()
	if time.Since(s.mapAt) < flashSeatMapFreshness {
		return s.available
	}
	ctx, cancel := context.WithTimeout(ctx, flashCallTimeout)
	defer cancel()
	m, err := cat.SeatMap(ctx, s.key.EventID, s.key.SectionID)
	if err != nil {
		return nil
	}
	s.available = s.available[:0:0]
	for _, st := range m.Seats {
		if st.Status == actors.SeatAvailable {
			s.available = append(s.available, st.ID)
		}
	}
	s.mapAt = time.Now()
	return s.available
}

func (s *flashSale) status() FlashSaleStatus {
	st := FlashSaleStatus{
		ID: s.id, EventID: s.req.EventID, SectionID: s.req.SectionID, Fans: s.req.Fans, Seconds: s.req.Seconds,
		Status:   flashStatusRunning,
		Attempts: s.attempts.Load(), Holds: s.holds.Load(), Orders: s.orders.Load(), Refusals: s.refusals.Load(),
	}
	if s.done.Load() {
		st.Status = flashStatusDone
	}
	return st
}

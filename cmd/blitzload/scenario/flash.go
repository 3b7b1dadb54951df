package scenario

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// flashTally counts what the fans of a flash sale got.
type flashTally struct {
	explicitWins, fallbackWins, lost, failed atomic.Int64
	confirmed, declined, released, abandoned atomic.Int64
	declinedThenPaid, declinedThenReleased   atomic.Int64
	seatsSold, confirmFailed, releaseFailed  atomic.Int64
	cancelled, cancelFailed                  atomic.Int64
	holdCodes                                sync.Map // final refusal code → *atomic.Int64
}

func (t *flashTally) refusal(code string) {
	if code == "" {
		code = "no answer"
	}
	v, _ := t.holdCodes.LoadOrStore(code, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// seatPicker picks adjacent available seats from the map read before the sale.
type seatPicker struct {
	rows [][]api.Seat
	ga   bool
}

// pick returns k adjacent seats of a random row that has them (or fewer when no row
// has k).
func (p seatPicker) pick(r *rand.Rand, k int) []string {
	var fit [][]api.Seat
	for _, row := range p.rows {
		if len(row) >= k {
			fit = append(fit, row)
		}
	}
	if len(fit) == 0 {
		return nil
	}
	row := fit[r.IntN(len(fit))]
	start := r.IntN(len(row) - k + 1)
	out := make([]string, 0, k)
	for _, s := range row[start : start+k] {
		out = append(out, s.ID)
	}
	return out
}

// RunFlash runs the flash sale: cfg.Fans fans, each with its own connection and token,
// wait at a barrier and then rush one section at the same instant. Each asks for 1-4
// explicit seats and falls back to best available on SEAT_UNAVAILABLE; winners then
// confirm (a few then cancel), decline payment (then pay or release), release, or
// abandon, by share.
func RunFlash(ctx context.Context, env *Env, cfg Config) (*Result, error) {
	res := &Result{Scenario: Flash, Config: cfg, Limit: env.Limit.String(), Started: time.Now()}
	ref, m, err := targetSection(ctx, env, cfg, res)
	if err != nil {
		return nil, err
	}
	picker := seatPicker{rows: availableRows(m), ga: !m.Reserved()}
	conns := cfg.Fans
	companion := needsCompanion(env, cfg)
	if cfg.WebSockets && !companion {
		conns *= 2
	}
	if err := env.Limit.Check(conns); err != nil {
		return nil, err
	}
	fans, err := newFans(ctx, env, cfg, "f", cfg.Fans)
	if err != nil {
		return nil, err
	}
	defer closeFans(fans)

	var ws subscriptions
	switch {
	case companion:
		ws = startRemoteWebSockets(ctx, env, cfg, ref, res)
	case cfg.WebSockets:
		if fleet := startWebSockets(ctx, env, cfg, ref, res); fleet != nil {
			ws = fleet
		}
	default:
		env.Collector.SetWebSocket(false, false, "")
	}
	if ws != nil {
		defer ws.close()
	}
	if err := warmUp(ctx, fans, cfg.RampUp); err != nil {
		return nil, err
	}
	if env.OnConnected != nil {
		env.OnConnected(conns)
	}

	var tally flashTally
	barrier := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range fans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-barrier
			f.flash(ctx, cfg, ref, picker, ws, &tally)
		}()
	}
	env.Collector.Begin(time.Now())
	close(barrier)
	wg.Wait()
	env.Collector.Finish(time.Now())
	settleHolds(ctx, fans).note(res)
	if ws != nil {
		ws.drain(3 * time.Second)
	}
	res.Ended = time.Now()

	wins := tally.explicitWins.Load() + tally.fallbackWins.Load()
	res.num("fans", float64(cfg.Fans))
	res.num("winners", float64(wins))
	res.num("orders", float64(tally.confirmed.Load()))
	res.num("seats_sold", float64(tally.seatsSold.Load()))
	res.fact("fans", "%d", cfg.Fans)
	res.fact("section", "%s", ref)
	res.fact("winners", "%d (%d explicit seats, %d best available after SEAT_UNAVAILABLE)", wins, tally.explicitWins.Load(), tally.fallbackWins.Load())
	res.fact("losers", "%d", tally.lost.Load())
	res.fact("failed", "%d (no hold after retries)", tally.failed.Load())
	res.fact("confirmed", "%d orders kept, %d seats", tally.confirmed.Load(), tally.seatsSold.Load())
	res.fact("cancelled", "%d orders (paid, then cancelled)", tally.cancelled.Load())
	res.fact("declined", "%d (%d then paid, %d then released)", tally.declined.Load(), tally.declinedThenPaid.Load(), tally.declinedThenReleased.Load())
	res.fact("released", "%d", tally.released.Load())
	res.fact("abandoned", "%d (left to expire)", tally.abandoned.Load())
	if n := tally.confirmFailed.Load() + tally.releaseFailed.Load() + tally.cancelFailed.Load(); n > 0 {
		res.fact("follow-up failures", "%d confirms, %d releases, %d cancels", tally.confirmFailed.Load(), tally.releaseFailed.Load(), tally.cancelFailed.Load())
	}
	tally.holdCodes.Range(func(k, v any) bool {
		res.fact("final hold refusal "+k.(string), "%d", v.(*atomic.Int64).Load())
		return true
	})
	return res, nil
}

// flash is one fan's part of the sale.
func (f *fan) flash(ctx context.Context, cfg Config, ref audit.SectionRef, picker seatPicker, ws subscriptions, t *flashTally) {
	k := cfg.MinSeats + f.rng.IntN(cfg.MaxSeats-cfg.MinSeats+1)
	var h api.Hold
	var r api.Result
	explicit := false
	if !picker.ga {
		if seats := picker.pick(f.rng, k); len(seats) > 0 {
			explicit = true
			h, r = f.hold(ctx, ref.EventID, api.HoldRequest{SectionID: ref.SectionID, Seats: seats}, cfg.Retries)
		}
	}
	if !explicit || r.Code == api.CodeSeatUnavailable {
		explicit = false
		h, r = f.hold(ctx, ref.EventID, api.HoldRequest{SectionID: ref.SectionID, Quantity: k}, cfg.Retries)
	}
	if !r.OK() || r.Err != nil {
		switch r.Code {
		case api.CodeSeatUnavailable, api.CodeSoldOut:
			t.lost.Add(1)
		default:
			t.failed.Add(1)
		}
		t.refusal(r.Code)
		return
	}
	if explicit {
		t.explicitWins.Add(1)
	} else {
		t.fallbackWins.Add(1)
	}
	if ws != nil {
		ws.heldAt(h.Seats, r.End)
	}
	f.afterHold(ctx, cfg, h, t)
}

// afterHold is a winner's part after its hold: confirm (a few then cancel), decline
// payment (then pay or release), release, or abandon, by share.
func (f *fan) afterHold(ctx context.Context, cfg Config, h api.Hold, t *flashTally) {
	f.think(ctx, cfg.ThinkTime)
	total := cfg.ConfirmShare + cfg.DeclineShare + cfg.ReleaseShare + cfg.AbandonShare
	u := f.rng.Float64() * total
	switch {
	case u < cfg.ConfirmShare:
		f.pay(ctx, cfg, h, t)
	case u < cfg.ConfirmShare+cfg.DeclineShare:
		t.declined.Add(1)
		_, r := f.confirm(ctx, h, api.PaymentDecline, cfg.Retries)
		if r.Code != api.CodePaymentDeclined {
			t.confirmFailed.Add(1)
		}
		f.think(ctx, cfg.ThinkTime)
		if f.rng.Float64() < cfg.DeclineRetryShare {
			t.declinedThenPaid.Add(1)
			f.pay(ctx, cfg, h, t)
		} else {
			t.declinedThenReleased.Add(1)
			if r := f.release(ctx, h, cfg.Retries); !r.OK() {
				t.releaseFailed.Add(1)
			}
		}
	case u < cfg.ConfirmShare+cfg.DeclineShare+cfg.ReleaseShare:
		t.released.Add(1)
		if r := f.release(ctx, h, cfg.Retries); !r.OK() {
			t.releaseFailed.Add(1)
		}
	default:
		t.abandoned.Add(1)
	}
}

// pay confirms with a good card.
func (f *fan) pay(ctx context.Context, cfg Config, h api.Hold, t *flashTally) {
	o, r := f.confirm(ctx, h, api.PaymentOK, cfg.Retries)
	if !r.OK() {
		t.confirmFailed.Add(1)
		return
	}
	n := len(o.Seats)
	if n == 0 {
		n = o.Quantity
	}
	if f.rng.Float64() >= cfg.CancelShare {
		t.confirmed.Add(1)
		t.seatsSold.Add(int64(n))
		return
	}
	f.think(ctx, cfg.ThinkTime)
	if _, r := f.cancel(ctx, o, cfg.Retries); r.OK() {
		t.cancelled.Add(1)
		return
	}
	t.cancelFailed.Add(1)
}

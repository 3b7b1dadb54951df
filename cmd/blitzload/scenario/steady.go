package scenario

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/sched"
)

// RunSteady sends holds of distinct seats, spread over cfg.Sections sections, at a
// constant arrival rate (open model); each hold is then confirmed (cfg.ConfirmShare)
// or released.
func RunSteady(ctx context.Context, env *Env, cfg Config) (*Result, error) {
	res := &Result{Scenario: Steady, Config: cfg, Limit: env.Limit.String(), Started: time.Now()}
	env.Collector.SetWebSocket(false, false, "")
	o, err := prepareOpen(ctx, env, cfg, res)
	if err != nil {
		return nil, err
	}
	var held, confirmed, released, refused atomic.Int64
	err = o.run(ctx, res, func(ctx context.Context, slot sched.Slot, f *fan) {
		n := int64(len(o.sections))
		sec := slot.Index % n
		seats := o.seats[sec]
		if len(seats) == 0 {
			return
		}
		seat := seats[(slot.Index/n)%int64(len(seats))]
		h, r := f.client.Hold(ctx, o.eventID, api.HoldRequest{SectionID: o.sections[sec].ID, Seats: []string{seat}}, f.key("h"))
		if !r.OK() || r.Err != nil {
			refused.Add(1)
			return
		}
		held.Add(1)
		ctx = unscheduled(ctx)
		f.think(ctx, cfg.ThinkTime)
		if f.rng.Float64() < cfg.ConfirmShare {
			if _, r := f.confirm(ctx, h, api.PaymentOK, cfg.Retries); r.OK() {
				confirmed.Add(1)
			}
			return
		}
		if r := f.release(ctx, h, cfg.Retries); r.OK() {
			released.Add(1)
		}
	})
	if err != nil {
		return nil, err
	}
	res.fact("rate", "%.0f/s over %d sections, %d workers", cfg.Rate, len(o.sections), cfg.Workers)
	res.fact("holds", "%d (%d not held)", held.Load(), refused.Load())
	res.fact("confirmed", "%d", confirmed.Load())
	res.fact("released", "%d", released.Load())
	res.num("holds", float64(held.Load()))
	res.num("not_held", float64(refused.Load()))
	res.num("offered", float64(held.Load()+refused.Load())+res.Numbers["dropped"])
	return res, nil
}

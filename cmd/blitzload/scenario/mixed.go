package scenario

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/sched"
)

// RunMixed is browsing with some buying, at a constant arrival rate: each arrival is
// one operation drawn by cfg.Mix's weights — list events, read the event, read a seat
// map, or hold 1-4 seats best available and then confirm, release or abandon it.
func RunMixed(ctx context.Context, env *Env, cfg Config) (*Result, error) {
	res := &Result{Scenario: Mixed, Config: cfg, Limit: env.Limit.String(), Started: time.Now()}
	env.Collector.SetWebSocket(false, false, "")
	weights, err := ParseMix(cfg.Mix)
	if err != nil {
		return nil, err
	}
	ops := make([]string, 0, len(weights))
	for op := range weights {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	total := 0.0
	for _, op := range ops {
		total += weights[op]
	}
	o, err := prepareOpen(ctx, env, cfg, res)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	counts := map[string]int{}
	err = o.run(ctx, res, func(ctx context.Context, slot sched.Slot, f *fan) {
		u := f.rng.Float64() * total
		op := ops[len(ops)-1]
		for _, candidate := range ops {
			if u < weights[candidate] {
				op = candidate
				break
			}
			u -= weights[candidate]
		}
		mu.Lock()
		counts[op]++
		mu.Unlock()
		sec := o.sections[f.rng.IntN(len(o.sections))].ID
		switch op {
		case "list":
			f.client.ListEvents(ctx)
		case "event":
			f.client.GetEvent(ctx, o.eventID)
		case "seatmap":
			f.client.SeatMap(ctx, o.eventID, sec)
		default:
			h, r := f.client.Hold(ctx, o.eventID, api.HoldRequest{SectionID: sec, Quantity: 1 + f.rng.IntN(4)}, f.key("h"))
			if !r.OK() || r.Err != nil {
				return
			}
			ctx = unscheduled(ctx)
			f.think(ctx, cfg.ThinkTime)
			switch op {
			case "hold_confirm":
				f.confirm(ctx, h, api.PaymentOK, cfg.Retries)
			case "hold_release":
				f.release(ctx, h, cfg.Retries)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	res.fact("rate", "%.0f/s, %d workers, %d users", cfg.Rate, cfg.Workers, cfg.Users)
	for _, op := range ops {
		res.fact("arrivals "+op, "%d", counts[op])
	}
	return res, nil
}

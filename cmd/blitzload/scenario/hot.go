package scenario

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// RunHot is the hot-section benchmark: cfg.Callers callers, each its own user with its
// own connection, loop hold (one seat, best available or a random explicit seat) then
// release on one section, for cfg.Duration (or until cfg.Requests holds were asked).
// Every 201 is a durable decision: the server answers only after the commit.
func RunHot(ctx context.Context, env *Env, cfg Config) (*Result, error) {
	res := &Result{Scenario: Hot, Config: cfg, Limit: env.Limit.String(), Started: time.Now()}
	ref, m, err := targetSection(ctx, env, cfg, res)
	if err != nil {
		return nil, err
	}
	var seats []string
	for _, row := range availableRows(m) {
		for _, s := range row {
			seats = append(seats, s.ID)
		}
	}
	if cfg.HotMode == "random" && len(seats) == 0 {
		res.note("no available seat to pick at random; asking best available")
		cfg.HotMode = "best"
	}
	if err := env.Limit.Check(cfg.Callers); err != nil {
		return nil, err
	}
	callers, err := newFans(ctx, env, cfg, "h", cfg.Callers)
	if err != nil {
		return nil, err
	}
	defer closeFans(callers)
	if err := warmUp(ctx, callers, 0); err != nil {
		return nil, err
	}
	var asked, held, refused, failed, releaseFailed atomic.Int64
	begin := time.Now()
	deadline := time.Time{}
	if cfg.Duration > 0 {
		deadline = begin.Add(cfg.RampUp + cfg.Duration)
	}
	env.Collector.Begin(begin)
	var wg sync.WaitGroup
	for i, c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.RampUp > 0 {
				sleepCtx(ctx, cfg.RampUp*time.Duration(i)/time.Duration(len(callers)))
			}
			for ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) {
				if cfg.Requests > 0 && asked.Add(1) > cfg.Requests {
					return
				}
				req := api.HoldRequest{SectionID: ref.SectionID, Quantity: 1}
				if cfg.HotMode == "random" {
					req = api.HoldRequest{SectionID: ref.SectionID, Seats: []string{seats[c.rng.IntN(len(seats))]}}
				}
				h, r := c.client.Hold(ctx, ref.EventID, req, "")
				switch {
				case r.OK() && r.Err == nil:
					held.Add(1)
					c.think(ctx, cfg.ThinkTime)
					if rr := c.release(ctx, h, cfg.Retries); !rr.OK() {
						releaseFailed.Add(1)
					}
				case r.Code == api.CodeSeatUnavailable || r.Code == api.CodeSoldOut:
					refused.Add(1)
				default:
					failed.Add(1)
					backoff(ctx, c.rng, 0, r)
				}
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	env.Collector.Finish(end)
	res.Ended = end
	secs := end.Sub(begin).Seconds()
	res.num("durable_holds", float64(held.Load()))
	res.num("durable_holds_per_sec", float64(held.Load())/secs)
	res.fact("callers", "%d", cfg.Callers)
	res.fact("section", "%s (%d seats)", ref, len(m.Seats))
	res.fact("mode", "%s", cfg.HotMode)
	res.fact("durable holds", "%d", held.Load())
	res.fact("durable holds/s", "%.0f", float64(held.Load())/secs)
	res.fact("refused holds", "%d", refused.Load())
	res.fact("failed holds", "%d", failed.Load())
	if n := releaseFailed.Load(); n > 0 {
		res.fact("failed releases", "%d", n)
	}
	return res, nil
}

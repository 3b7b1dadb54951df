package livebench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// loadConfig is one paced hold/release run.
type loadConfig struct {
	Base, EventID, SectionID string
	Tokens                   api.LocalTokens
	// Fans loop hold (best available, one seat) then release, each its own user.
	Fans int
	// Rate is decisions (holds plus releases) per second; Duration how long.
	Rate     float64
	Duration time.Duration
	// Decisions, when positive, stops after that many instead (warm-up).
	Decisions int64
	UserTag   string
}

// loadResult is how the load went.
type loadResult struct {
	Holds, Releases, Errors int64
	Elapsed                 time.Duration
	LastError               string
}

// DecisionsPerSec is the achieved decision rate.
func (r loadResult) DecisionsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Holds+r.Releases) / r.Elapsed.Seconds()
}

// runLoad paces decisions at Rate over a pool of fans. Each decision is scheduled at
// start + i/Rate; a fan takes the next slot when it is free, so a slow server shows as
// a lower achieved rate, not as unbounded concurrency. Every 201 goes into book before
// the fan releases that hold.
func runLoad(ctx context.Context, c loadConfig, book *HoldBook) (loadResult, error) {
	var res loadResult
	var next atomic.Int64
	var holds, releases, errs atomic.Int64
	var errMu sync.Mutex
	start := time.Now()
	end := start.Add(c.Duration)
	// slot blocks until decision i's time and reports whether the run goes on.
	slot := func() bool {
		i := next.Add(1) - 1
		if c.Decisions > 0 && i >= c.Decisions {
			return false
		}
		at := start.Add(time.Duration(float64(i) / c.Rate * float64(time.Second)))
		if c.Decisions == 0 && !at.Before(end) {
			return false
		}
		if d := time.Until(at); d > 0 {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(d):
			}
		}
		return ctx.Err() == nil
	}
	fail := func(r api.Result) {
		errs.Add(1)
		errMu.Lock()
		res.LastError = r.Error().Error()
		errMu.Unlock()
	}
	var wg sync.WaitGroup
	for f := range c.Fans {
		user := fmt.Sprintf("live-%s-%d", c.UserTag, f)
		tok, err := c.Tokens.Mint(user, "fan")
		if err != nil {
			return res, err
		}
		cl := api.New(api.Config{Base: c.Base, HTTP: api.NewHTTPClient(1, 30*time.Second), User: user, Token: tok})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cl.Close()
			for slot() {
				h, r := cl.Hold(ctx, c.EventID, api.HoldRequest{SectionID: c.SectionID, Quantity: 1}, "")
				if r.Status != http.StatusCreated || r.Err != nil {
					fail(r)
					continue
				}
				for _, seat := range h.Seats {
					book.Held(seat, r.End)
				}
				holds.Add(1)
				if !slot() {
					// Release anyway so the section is left empty.
					if r := cl.Release(context.Background(), c.EventID, c.SectionID, h.ID); r.OK() && r.Err == nil {
						releases.Add(1)
					}
					return
				}
				if r := cl.Release(ctx, c.EventID, c.SectionID, h.ID); !r.OK() || r.Err != nil {
					fail(r)
					continue
				}
				releases.Add(1)
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Holds, res.Releases, res.Errors = holds.Load(), releases.Load(), errs.Load()
	return res, ctx.Err()
}

package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// fan is one simulated user with its own connection, token and random stream.
type fan struct {
	idx    int
	user   string
	client *api.Client
	rng    *rand.Rand
	keys   int
	runID  string
	// unsettled are the fan's holds whose last attempt got no answer (nor any attempt
	// a definite one): what the server decided for them is unknown until settleHolds
	// asks again.
	unsettled []holdAsk
}

// newFans builds n fans, each with its own keep-alive connection and token, minting
// or fetching the tokens with bounded parallelism.
func newFans(ctx context.Context, env *Env, cfg Config, prefix string, n int) ([]*fan, error) {
	fans := make([]*fan, n)
	errs := make([]error, n)
	parallelFor(n, 64, func(i int) {
		user := fmt.Sprintf("bl-%s-%s-%d", env.RunID, prefix, i)
		tok, err := env.Tokens.Token(ctx, user)
		if err != nil {
			errs[i] = err
			return
		}
		// Each fan is a host of its own: its connection and its websockets leave from
		// its own source address when the server is on this machine.
		dial := api.HostDial(cfg.Target, i)
		fans[i] = &fan{
			idx:  i,
			user: user,
			client: api.New(api.Config{Base: cfg.Target, HTTP: api.NewFanHTTPClient(cfg.Timeout, dial), Dial: dial,
				User: user, Token: tok, Observer: env.Collector, Log: env.Log}),
			rng:   rng(cfg.Seed, uint64(i)+1),
			runID: env.RunID,
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("fan tokens: %w", err)
		}
	}
	return fans, nil
}

// closeFans drops every fan's connection.
func closeFans(fans []*fan) {
	for _, f := range fans {
		if f != nil {
			f.client.Close()
		}
	}
}

// warmUp opens each fan's connection (GET /healthz), spread over rampUp, so the start
// barrier releases requests, not TCP handshakes.
func warmUp(ctx context.Context, fans []*fan, rampUp time.Duration) error {
	start := time.Now()
	errs := make([]error, len(fans))
	parallelFor(len(fans), 128, func(i int) {
		if rampUp > 0 {
			at := start.Add(rampUp * time.Duration(i) / time.Duration(len(fans)))
			sleepCtx(ctx, time.Until(at))
		}
		if r := fans[i].client.Healthz(ctx); r.Error() != nil {
			errs[i] = r.Error()
		}
	})
	failed := 0
	var first error
	for _, err := range errs {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("warm-up: %d of %d fans could not connect: %w", failed, len(fans), first)
	}
	return nil
}

// key returns a new idempotency key of this fan.
func (f *fan) key(op string) string {
	f.keys++
	return fmt.Sprintf("%s-%d-%s%d", f.runID, f.idx, op, f.keys)
}

// think waits a random time up to max.
func (f *fan) think(ctx context.Context, max time.Duration) {
	if max > 0 {
		sleepCtx(ctx, time.Duration(f.rng.Int64N(int64(max))))
	}
}

// backoff waits before retry attempt a (from 0): the server's Retry-After when it
// gave one (capped at 2 s), else 50 ms doubling, with jitter.
func backoff(ctx context.Context, r *rand.Rand, a int, res api.Result) {
	d := res.RetryAfter
	if d <= 0 {
		d = 50 * time.Millisecond << a
	}
	d = min(d, 2*time.Second)
	d += time.Duration(r.Int64N(int64(d)/2 + 1))
	sleepCtx(ctx, d)
}

// hold asks for a hold, retrying an unknown outcome with the same idempotency key
// (holdWithPass without a pass).
func (f *fan) hold(ctx context.Context, eventID string, req api.HoldRequest, retries int) (api.Hold, api.Result) {
	h, r, _ := f.holdWithPass(ctx, eventID, req, "", retries)
	return h, r
}

// confirm pays for a hold, retrying an unknown outcome with the same idempotency key.
func (f *fan) confirm(ctx context.Context, h api.Hold, token string, retries int) (api.Order, api.Result) {
	key := f.key("c")
	var o api.Order
	var r api.Result
	for a := 0; a <= retries; a++ {
		o, r = f.client.Confirm(ctx, h.EventID, h.SectionID, h.ID, token, key)
		if !r.Retryable() || ctx.Err() != nil {
			break
		}
		backoff(ctx, f.rng, a, r)
	}
	return o, r
}

// release gives a hold back, retrying an unknown outcome (a repeat is harmless).
func (f *fan) release(ctx context.Context, h api.Hold, retries int) api.Result {
	var r api.Result
	for a := 0; a <= retries; a++ {
		r = f.client.Release(ctx, h.EventID, h.SectionID, h.ID)
		if !r.Retryable() || ctx.Err() != nil {
			break
		}
		backoff(ctx, f.rng, a, r)
	}
	return r
}

// cancel cancels an order, retrying an unknown outcome (a repeat is harmless).
func (f *fan) cancel(ctx context.Context, o api.Order, retries int) (api.Order, api.Result) {
	var out api.Order
	var r api.Result
	for a := 0; a <= retries; a++ {
		out, r = f.client.Cancel(ctx, o.EventID, o.SectionID, o.ID)
		if !r.OK() && r.Retryable() && ctx.Err() == nil {
			backoff(ctx, f.rng, a, r)
			continue
		}
		break
	}
	return out, r
}

// parallelFor runs fn(0..n-1) on at most width goroutines.
func parallelFor(n, width int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(width, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// sleepCtx sleeps d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

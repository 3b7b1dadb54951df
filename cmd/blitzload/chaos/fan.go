package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/linear"
)

// fan is one simulated fan: its own user, token and connection to each node.
type fan struct {
	s       *sale
	id      int
	user    string
	token   string
	rng     *rand.Rand
	clients map[string]*api.Client // by node base
	// available remembers, per section, the seats the fan last saw available.
	available map[string][]string
	keys      int
}

// client returns the fan's client for a node, with its own keep-alive connection.
func (f *fan) client(base string) *api.Client {
	c, ok := f.clients[base]
	if !ok {
		c = api.New(api.Config{Base: base, HTTP: api.NewHTTPClient(1, f.s.cfg.AttemptTimeout),
			User: f.user, Token: f.token, Log: &f.s.log})
		f.clients[base] = c
	}
	return c
}

func (f *fan) newKey() string {
	f.keys++
	return fmt.Sprintf("%s-k%d", f.user, f.keys)
}

// attempt is how one logical operation went over all its attempts.
type attempt struct {
	r          api.Result
	start, end time.Time
	tries      int
	// uncertain: some attempt ended without an answer, so it may have taken effect.
	uncertain bool
}

// definite reports whether the last attempt got an answer that settles the outcome.
func (a attempt) definite() bool { return a.r.Outcome == audit.OK || a.r.Outcome == audit.Refused }

// call runs one operation: on the fan's node first, then, after a retryable failure
// (no answer, 5xx, 429), with backoff on the next node the balancer offers, until an
// answer settles it or the retry budget is spent. Every attempt is an audit record.
func (f *fan) call(kind linear.Kind, section string, fn func(ctx context.Context, c *api.Client) api.Result) attempt {
	a := attempt{start: time.Now()}
	deadline := a.start.Add(f.s.cfg.RetryBudget)
	backoff := 50 * time.Millisecond
	for {
		targets := f.s.c.targets()
		base := targets[(f.id+a.tries)%len(targets)]
		a.tries++
		ctx, cancel := context.WithTimeout(context.Background(), f.s.cfg.AttemptTimeout)
		a.r = fn(ctx, f.client(base))
		cancel()
		a.end = time.Now()
		if !a.r.Retryable() {
			break
		}
		f.s.fail(failKind(a.r))
		if a.r.Outcome == audit.Unknown {
			a.uncertain = true
		}
		if time.Now().Add(backoff).After(deadline) {
			break
		}
		sleep := backoff/2 + time.Duration(f.rng.Int64N(int64(backoff)))
		if a.r.RetryAfter > 0 && a.r.RetryAfter < time.Second {
			sleep = a.r.RetryAfter
		}
		time.Sleep(sleep)
		backoff = min(2*backoff, time.Second)
	}
	if kind != linear.KindRead {
		f.s.addOp(opRecord{kind: kind, section: section, start: a.start, end: a.end, definite: a.definite(), attempts: a.tries})
	}
	return a
}

// run loops over the fan's journeys until stop is closed.
func (f *fan) run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if f.s.ga != "" && f.rng.Float64() < 0.12 {
			f.gaJourney()
		} else {
			f.reservedJourney(f.s.reserved[f.rng.IntN(len(f.s.reserved))])
		}
		time.Sleep(time.Duration(10+f.rng.IntN(30)) * time.Millisecond)
	}
}

// reservedJourney reads the map now and then, holds explicit seats (from the last map
// read, when there is one) or best available, then confirms, declines and releases,
// releases, or abandons the hold.
func (f *fan) reservedJourney(section string) {
	if f.rng.Float64() < 0.2 || len(f.available[section]) == 0 {
		f.readMap(section)
	}
	var req api.HoldRequest
	req.SectionID = section
	if avail := f.available[section]; f.rng.Float64() < 0.7 && len(avail) > 0 {
		n := min(1+f.rng.IntN(2), len(avail))
		for _, i := range f.rng.Perm(len(avail))[:n] {
			req.Seats = append(req.Seats, avail[i])
		}
	} else {
		req.Quantity = 1 + f.rng.IntN(2)
	}
	h, ok := f.hold(req)
	if !ok {
		return
	}
	f.afterHold(h, true)
}

// gaJourney holds general-admission places and confirms, releases or abandons them.
func (f *fan) gaJourney() {
	h, ok := f.hold(api.HoldRequest{SectionID: f.s.ga, Quantity: 1 + f.rng.IntN(2)})
	if !ok {
		return
	}
	f.afterHold(h, false)
}

// afterHold decides the hold's fate.
func (f *fan) afterHold(h api.Hold, reserved bool) {
	x := f.rng.Float64()
	switch {
	case x < 0.45:
		if o, ok := f.confirm(h, api.PaymentOK, reserved); ok && f.rng.Float64() < 0.3 {
			f.cancel(o, reserved)
		}
	case x < 0.55:
		f.confirm(h, api.PaymentDecline, reserved)
		f.release(h, reserved)
	case x < 0.85:
		f.release(h, reserved)
	default:
		// abandoned: it stays held until it expires, after the run
	}
}

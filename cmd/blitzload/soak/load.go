package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/chaos"
)

// attemptTimeout bounds one HTTP attempt; maxTries bounds one operation's attempts.
const (
	attemptTimeout = 5 * time.Second
	maxTries       = 4
)

// The operations the sale counts, by what their answer was.
const (
	opHold        = "hold"
	opHoldRefused = "hold refused"
	opExtend      = "extend"
	opConfirm     = "confirm"
	opDecline     = "confirm declined"
	opRelease     = "release"
	opCancel      = "cancel"
	opRefused     = "other refusal"
	opAbandon     = "left to expire"
	opRead        = "seat map read"
)

// user is one fan: its token and a client per node.
type user struct {
	id, token string
	mu        sync.Mutex
	clients   map[string]*api.Client
}

// sale drives the mixed sale and counts what it got.
type sale struct {
	cfg     Config
	k       *chaos.Cluster
	eventID string
	prefix  string
	log     audit.Log
	http    *http.Client
	users   []*user
	// cum holds the busy sections' cumulative weights: section i draws 1/(i+1).
	cum []float64

	decisions atomic.Int64
	lastHold  atomic.Int64 // unix nanoseconds of the last successful hold

	mu        sync.Mutex
	ops       map[string]int
	bySection map[string]int
	failed    int // operations that ran out of attempts without a definite answer
	skipped   int // arrivals dropped because MaxInFlight journeys were under way
	journeys  int
}

func newSale(cfg Config, k *chaos.Cluster, eventID, prefix string) (*sale, error) {
	s := &sale{cfg: cfg, k: k, eventID: eventID, prefix: prefix, ops: map[string]int{}, bySection: map[string]int{},
		http: api.NewHTTPClient(cfg.MaxInFlight+32, attemptTimeout)}
	for i := range cfg.Users {
		id := fmt.Sprintf("%s-u%04d", prefix, i)
		tok, err := k.Token(id, "fan")
		if err != nil {
			return nil, err
		}
		s.users = append(s.users, &user{id: id, token: tok, clients: map[string]*api.Client{}})
	}
	total := 0.0
	for i := range cfg.Sections {
		total += 1 / float64(i+1)
		s.cum = append(s.cum, total)
	}
	return s, nil
}

// client returns u's client for base.
func (s *sale) client(u *user, base string) *api.Client {
	u.mu.Lock()
	defer u.mu.Unlock()
	c, ok := u.clients[base]
	if !ok {
		c = api.New(api.Config{Base: base, HTTP: s.http, User: u.id, Token: u.token, Log: &s.log})
		u.clients[base] = c
	}
	return c
}

// pick draws a busy section by weight.
func (s *sale) pick(rng *rand.Rand) string {
	x := rng.Float64() * s.cum[len(s.cum)-1]
	for i, c := range s.cum {
		if x < c {
			return sectionID(i)
		}
	}
	return sectionID(len(s.cum) - 1)
}

func (s *sale) count(op, section string) {
	s.mu.Lock()
	s.ops[op]++
	if section != "" {
		s.bySection[section]++
	}
	s.mu.Unlock()
}

// do runs one operation through the balancer, sending it again (to the next node, with
// the same idempotency key where it has one) while the answer is not definite. A
// definite answer to a decision (a state-changing call) is counted for section.
func (s *sale) do(u *user, section string, decision bool, rng *rand.Rand, fn func(ctx context.Context, c *api.Client) api.Result) api.Result {
	var r api.Result
	backoff := 100 * time.Millisecond
	for try := range maxTries {
		targets := s.k.Targets()
		base := targets[(rng.IntN(len(targets))+try)%len(targets)]
		ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
		r = fn(ctx, s.client(u, base))
		cancel()
		if !r.Retryable() {
			if decision {
				s.decisions.Add(1)
				s.mu.Lock()
				s.bySection[section]++
				s.mu.Unlock()
			}
			return r
		}
		time.Sleep(backoff)
		backoff *= 2
	}
	s.mu.Lock()
	s.failed++
	s.mu.Unlock()
	return r
}

// hold places a hold with its own idempotency key.
func (s *sale) hold(u *user, req api.HoldRequest, key string, rng *rand.Rand) (api.Hold, api.Result) {
	var h api.Hold
	r := s.do(u, req.SectionID, true, rng, func(ctx context.Context, c *api.Client) api.Result {
		var r api.Result
		h, r = c.Hold(ctx, s.eventID, req, key)
		return r
	})
	if r.OK() && r.Err == nil {
		s.lastHold.Store(time.Now().UnixNano())
	}
	return h, r
}

// run starts a journey every 1/Rate seconds for d, each with its own random stream,
// then waits for the journeys under way.
func (s *sale) run(ctx context.Context, d time.Duration) {
	interval := time.Duration(float64(time.Second) / s.cfg.Rate)
	sem := make(chan struct{}, s.cfg.MaxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for n := uint64(0); ; n++ {
		at := start.Add(time.Duration(n) * interval)
		if !at.Before(start.Add(d)) {
			break
		}
		if !sleepUntil(ctx, at) {
			break
		}
		select {
		case sem <- struct{}{}:
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.journey(n)
				<-sem
			}()
		default:
			s.mu.Lock()
			s.skipped++
			s.mu.Unlock()
		}
	}
	wg.Wait()
}

// journey is one fan's visit: now and then a map read and a pick of explicit seats,
// otherwise best available; then, for a hold, now and then an extension, and one of:
// confirm (and, for half of the orders, cancel later), a declined payment and a
// release, a release, or nothing (the hold expires).
func (s *sale) journey(n uint64) {
	rng := rand.New(rand.NewPCG(s.cfg.Seed, n))
	u := s.users[rng.IntN(len(s.users))]
	section := s.pick(rng)
	s.mu.Lock()
	s.journeys++
	s.mu.Unlock()
	req := api.HoldRequest{SectionID: section}
	if rng.Float64() < 0.1 {
		req.Seats = s.pickSeats(u, section, rng)
	}
	if len(req.Seats) == 0 {
		req.Quantity = 1 + rng.IntN(2)
	}
	h, r := s.hold(u, req, fmt.Sprintf("%s-j%d-h", s.prefix, n), rng)
	switch {
	case r.OK() && r.Err == nil:
		s.count(opHold, "")
	case !r.Retryable():
		s.count(opHoldRefused, "")
		return
	default:
		return
	}
	if rng.Float64() < 0.25 {
		s.counted(opExtend, s.do(u, section, true, rng, func(ctx context.Context, c *api.Client) api.Result {
			_, r := c.Extend(ctx, s.eventID, section, h.ID)
			return r
		}))
	}
	switch x := rng.Float64(); {
	case x < 0.40:
		var o api.Order
		r := s.do(u, section, true, rng, func(ctx context.Context, c *api.Client) api.Result {
			var r api.Result
			o, r = c.Confirm(ctx, s.eventID, section, h.ID, api.PaymentOK, fmt.Sprintf("%s-j%d-c", s.prefix, n))
			return r
		})
		s.counted(opConfirm, r)
		if r.OK() && r.Err == nil && rng.Float64() < 0.5 {
			s.counted(opCancel, s.do(u, section, true, rng, func(ctx context.Context, c *api.Client) api.Result {
				_, r := c.Cancel(ctx, s.eventID, section, o.ID)
				return r
			}))
		}
	case x < 0.50:
		r := s.do(u, section, true, rng, func(ctx context.Context, c *api.Client) api.Result {
			_, r := c.Confirm(ctx, s.eventID, section, h.ID, api.PaymentDecline, fmt.Sprintf("%s-j%d-c", s.prefix, n))
			return r
		})
		if r.Code == api.CodePaymentDeclined {
			s.count(opDecline, "")
		} else {
			s.counted(opConfirm, r)
		}
		s.counted(opRelease, s.release(u, section, h.ID, rng))
	case x < 0.75:
		s.counted(opRelease, s.release(u, section, h.ID, rng))
	default:
		s.count(opAbandon, "")
	}
}

func (s *sale) release(u *user, section, holdID string, rng *rand.Rand) api.Result {
	return s.do(u, section, true, rng, func(ctx context.Context, c *api.Client) api.Result {
		return c.Release(ctx, s.eventID, section, holdID)
	})
}

// counted counts a definite answer to op: as op when it succeeded, as a refusal
// otherwise.
func (s *sale) counted(op string, r api.Result) {
	switch {
	case r.OK() && r.Err == nil:
		s.count(op, "")
	case !r.Retryable():
		s.count(opRefused, "")
	}
}

// pickSeats reads the section's map and picks one or two of its available seats.
func (s *sale) pickSeats(u *user, section string, rng *rand.Rand) []string {
	var m api.SeatMap
	r := s.do(u, section, false, rng, func(ctx context.Context, c *api.Client) api.Result {
		var r api.Result
		m, r = c.SeatMap(ctx, s.eventID, section)
		return r
	})
	if !r.OK() || r.Err != nil {
		return nil
	}
	s.count(opRead, "")
	var avail []string
	for _, seat := range m.Seats {
		if seat.Status == audit.SeatAvailable {
			avail = append(avail, seat.ID)
		}
	}
	n := min(1+rng.IntN(2), len(avail))
	var out []string
	for _, i := range rng.Perm(len(avail))[:n] {
		out = append(out, avail[i])
	}
	return out
}

// sleepUntil waits for t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

package scenario

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/sched"
)

// openRun is the shared machinery of the open-model scenarios: an event of several
// sections, a pool of users with tokens, one connection per worker, and a schedule.
type openRun struct {
	env      *Env
	cfg      Config
	eventID  string
	sections []api.SectionSpec
	seats    [][]string
	users    []string
	tokens   []string
	clients  chan *http.Client
	// dropped counts arrivals not sent because they were more than MaxLate late.
	dropped atomic.Int64
}

// prepareOpen creates the event (or reads the configured one) and the user pool.
func prepareOpen(ctx context.Context, env *Env, cfg Config, res *Result) (*openRun, error) {
	o := &openRun{env: env, cfg: cfg}
	if cfg.EventID == "" {
		for s := 0; s < cfg.Sections; s++ {
			o.sections = append(o.sections, ReservedSection(fmt.Sprintf("s%02d", s), cfg.Seats, cfg.RowSize))
		}
		ev, err := createEvent(ctx, env, cfg, res.Scenario, o.sections)
		if err != nil {
			return nil, err
		}
		o.eventID = ev.ID
		res.note("created event %s with %d sections of %d seats", ev.ID, cfg.Sections, cfg.Seats)
	} else {
		c := api.New(api.Config{Base: cfg.Target, HTTP: api.NewHTTPClient(1, cfg.Timeout)})
		ev, r := c.GetEvent(ctx, cfg.EventID)
		c.Close()
		if err := r.Error(); err != nil {
			return nil, fmt.Errorf("read event %s: %w", cfg.EventID, err)
		}
		o.eventID = ev.ID
		for _, s := range ev.Sections {
			if s.Kind == audit.KindReserved {
				o.sections = append(o.sections, api.SectionSpec{ID: s.ID, Kind: s.Kind})
			}
		}
		if len(o.sections) == 0 {
			return nil, fmt.Errorf("event %s has no reserved section", cfg.EventID)
		}
	}
	res.EventID = o.eventID
	res.Initial = map[audit.SectionRef]audit.SeatMap{}
	for _, s := range o.sections {
		ref := audit.SectionRef{EventID: o.eventID, SectionID: s.ID}
		m, am, err := readMap(ctx, cfg, ref)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, seat := range m.Seats {
			if seat.Status == audit.SeatAvailable {
				ids = append(ids, seat.ID)
			}
		}
		o.seats = append(o.seats, ids)
		res.Sections = append(res.Sections, ref)
		res.Initial[ref] = am
	}
	o.users = make([]string, cfg.Users)
	o.tokens = make([]string, cfg.Users)
	errs := make([]error, cfg.Users)
	parallelFor(cfg.Users, 64, func(i int) {
		o.users[i] = fmt.Sprintf("bl-%s-u-%d", env.RunID, i)
		o.tokens[i], errs[i] = env.Tokens.Token(ctx, o.users[i])
	})
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("user tokens: %w", err)
		}
	}
	if err := env.Limit.Check(cfg.Workers); err != nil {
		return nil, err
	}
	o.clients = make(chan *http.Client, cfg.Workers)
	for w := 0; w < cfg.Workers; w++ {
		o.clients <- api.NewHTTPClient(1, cfg.Timeout)
	}
	return o, nil
}

// run follows the schedule, calling fn for each arrival with a client for the
// arrival's user on a free worker connection; latency counts from the schedule. With
// MaxLate set, an arrival that a worker picks up more than MaxLate after its time is
// dropped and counted instead.
func (o *openRun) run(ctx context.Context, res *Result, fn func(ctx context.Context, slot sched.Slot, f *fan)) error {
	plan := sched.Plan{Rate: o.cfg.Rate, RampUp: o.cfg.RampUp, Duration: o.cfg.RampUp + o.cfg.Duration, Count: o.cfg.Requests}
	if o.cfg.Duration <= 0 {
		plan.Duration = 0
	}
	start := time.Now().Add(50 * time.Millisecond)
	s, err := sched.New(plan, start, sched.RealClock{})
	if err != nil {
		return err
	}
	o.env.Collector.Begin(start)
	s.Run(ctx, o.cfg.Workers, func(ctx context.Context, slot sched.Slot) {
		if o.cfg.MaxLate > 0 && time.Since(slot.At) > o.cfg.MaxLate {
			o.dropped.Add(1)
			return
		}
		hc := <-o.clients
		defer func() { o.clients <- hc }()
		u := int(slot.Index % int64(len(o.users)))
		f := &fan{
			idx:  int(slot.Index),
			user: o.users[u],
			client: api.New(api.Config{Base: o.cfg.Target, HTTP: hc, User: o.users[u], Token: o.tokens[u],
				Observer: o.env.Collector, Log: o.env.Log}),
			rng:   rng(o.cfg.Seed, 1<<32+uint64(slot.Index)),
			runID: o.env.RunID,
		}
		fn(api.WithScheduled(ctx, slot.At), slot, f)
	})
	end := time.Now()
	o.env.Collector.Finish(end)
	res.Ended = end
	close(o.clients)
	for hc := range o.clients {
		hc.CloseIdleConnections()
	}
	if o.cfg.MaxLate > 0 {
		res.num("dropped", float64(o.dropped.Load()))
		res.fact("dropped", "%d arrivals not sent: every worker was busy for more than %s after their time", o.dropped.Load(), o.cfg.MaxLate)
	}
	return nil
}

// unscheduled strips the schedule from ctx: follow-up calls of an arrival are measured
// from their own start.
func unscheduled(ctx context.Context) context.Context {
	return api.WithScheduled(ctx, time.Time{})
}

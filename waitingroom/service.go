package waitingroom

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// DefaultRefreshEvery is how often each node reads which rooms are enabled.
const DefaultRefreshEvery = time.Second

// ServiceConfig configures a Service. Store, Secret and Logger are required.
type ServiceConfig struct {
	Store QueueStore
	// Secret is the server's signing secret; the pass key is derived from it.
	Secret []byte
	Logger *zap.Logger
	// Node names this node in its traces.
	Node string
	// Tracer receives a queue trace per enabled room at every refresh (nil: none).
	Tracer actors.Tracer
	// Clock tells time (the system clock when nil).
	Clock Clock
	// Rate is the headroom controller's tuning: a room nobody admitted into yet reports
	// its initial rate.
	Rate RateConfig
	// RefreshEvery is how often the node reads which rooms are enabled
	// (DefaultRefreshEvery when zero).
	RefreshEvery time.Duration
	// NewID makes ticket ids (q_ and 80 random bits when nil).
	NewID func() string
	// Uses records the passes this node's holds used (HoldDone), so that the
	// controller stops counting them against the seats left (nil: not recorded).
	Uses PassUses
	// UseEvery is how often the uses are written (DefaultPassUseEvery when zero).
	UseEvery time.Duration
}

// Service is one node's side of the waiting rooms: it sets and reads rooms, issues and
// reads tickets, and checks queue passes. It keeps which rooms are enabled in memory,
// read again every RefreshEvery (and at once on this node's own changes), so that a hold
// costs no round trip to the store: the pass itself is verified by its signature.
type Service struct {
	cfg    ServiceConfig
	passes *Passes
	uses   passUseLog

	mu      sync.RWMutex
	enabled map[string]bool
	changes int // this node's own room changes, so that a refresh read before one is dropped
	failing bool
}

// NewService checks cfg and returns a service; Run keeps its cache of enabled rooms.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Store == nil || len(cfg.Secret) == 0 || cfg.Logger == nil {
		return nil, errors.New("waiting room service: Store, Secret and Logger are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.RefreshEvery <= 0 {
		cfg.RefreshEvery = DefaultRefreshEvery
	}
	if cfg.UseEvery <= 0 {
		cfg.UseEvery = DefaultPassUseEvery
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return actors.NewID(TicketIDPrefix) }
	}
	cfg.Rate = cfg.Rate.withDefaults()
	return &Service{cfg: cfg, passes: NewPasses(cfg.Secret), enabled: map[string]bool{}}, nil
}

// SetRoom stores an event's room settings and returns the room. The caller checks that
// the event exists.
func (s *Service) SetRoom(ctx context.Context, set Settings) (Room, error) {
	if err := set.Validate(); err != nil {
		return Room{}, err
	}
	if err := s.cfg.Store.SaveSettings(ctx, set, s.cfg.Clock.Now()); err != nil {
		return Room{}, fmt.Errorf("save the waiting room of %s: %w", set.EventID, err)
	}
	s.mu.Lock()
	s.enabled[set.EventID] = set.Enabled
	s.changes++
	s.mu.Unlock()
	return s.Room(ctx, set.EventID)
}

// Room returns an event's room; one that was never set has the defaults and
// Configured false (the caller checks that the event exists).
func (s *Service) Room(ctx context.Context, eventID string) (Room, error) {
	q, err := s.cfg.Store.QueueState(ctx, eventID, 0, 0)
	if err != nil {
		return Room{}, fmt.Errorf("read the waiting room of %s: %w", eventID, err)
	}
	if !q.Configured {
		q.Settings = Settings{EventID: eventID, Order: OrderFIFO}
	}
	return q.Room(s.cfg.Rate.Initial), nil
}

// Join gives userID a ticket in the event's room, or the one they hold already
// (created false). A fan whose pass expired gets a new ticket at the back. A room that
// is not enabled answers NOT_FOUND.
func (s *Service) Join(ctx context.Context, eventID, userID string) (Ticket, bool, error) {
	now := s.cfg.Clock.Now()
	rec, created, q, err := s.cfg.Store.Join(ctx, eventID, userID, s.cfg.NewID(), now)
	if err != nil {
		return Ticket{}, false, fmt.Errorf("join the waiting room of %s: %w", eventID, err)
	}
	if rec.Position > 0 && rec.Position <= q.Watermark {
		// Admitted already: the admission's time makes the pass.
		if q, err = s.cfg.Store.QueueState(ctx, eventID, rec.Position-1, 1); err != nil {
			return Ticket{}, false, fmt.Errorf("read the waiting room of %s: %w", eventID, err)
		}
	}
	return s.Render(rec, q, now), created, nil
}

// Ticket returns a ticket as it stands now.
func (s *Service) Ticket(ctx context.Context, ticketID string) (Ticket, error) {
	rec, err := s.TicketRecord(ctx, ticketID)
	if err != nil {
		return Ticket{}, err
	}
	q, err := s.QueueState(ctx, rec.EventID, rec.Position-1, 1)
	if err != nil {
		return Ticket{}, err
	}
	return s.Render(rec, q, s.cfg.Clock.Now()), nil
}

// TicketRecord returns a ticket's record, or NOT_FOUND.
func (s *Service) TicketRecord(ctx context.Context, ticketID string) (TicketRecord, error) {
	rec, err := s.cfg.Store.Ticket(ctx, ticketID)
	if err != nil {
		return TicketRecord{}, fmt.Errorf("read ticket %s: %w", ticketID, err)
	}
	return rec, nil
}

// TicketRecords returns the records of the tickets that exist among ids.
func (s *Service) TicketRecords(ctx context.Context, ids []string) ([]TicketRecord, error) {
	recs, err := s.cfg.Store.Tickets(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read %d tickets: %w", len(ids), err)
	}
	return recs, nil
}

// QueueState returns an event's queue with at most maxAdmissions of the admissions
// above a position (all for a negative max): what tickets are computed from.
func (s *Service) QueueState(ctx context.Context, eventID string, above int64, maxAdmissions int) (QueueState, error) {
	q, err := s.cfg.Store.QueueState(ctx, eventID, above, maxAdmissions)
	if err != nil {
		return QueueState{}, fmt.Errorf("read the queue of %s: %w", eventID, err)
	}
	return q, nil
}

// Render computes a ticket at now from its record and its event's queue, which must
// hold the admission covering the ticket's position if there is one.
func (s *Service) Render(rec TicketRecord, q QueueState, now time.Time) Ticket {
	q.startingEstimate(s.cfg.Rate)
	return render(rec, &q, now, s.passes)
}

// CheckPass lets a hold through when the event's room is not enabled, or when pass is
// a valid pass of userID for the event; otherwise it returns QUEUE_REQUIRED. It makes
// no round trip: the room's state comes from the node's cache.
func (s *Service) CheckPass(eventID, userID, pass string) error {
	s.mu.RLock()
	enabled := s.enabled[eventID]
	s.mu.RUnlock()
	if !enabled {
		return nil
	}
	if pass == "" {
		return actors.ErrQueueRequired
	}
	return s.passes.Verify(pass, eventID, userID, s.cfg.Clock.Now())
}

// EnabledRooms returns the events whose rooms are enabled, as this node knows them.
func (s *Service) EnabledRooms() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.enabled))
	for id, on := range s.enabled {
		if on {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Run refreshes the cache of enabled rooms every RefreshEvery, and writes the passes
// used every UseEvery, until ctx ends. While the store cannot be read the node keeps
// what it knew, and says so once.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.RefreshEvery)
	defer t.Stop()
	u := time.NewTicker(s.cfg.UseEvery)
	defer u.Stop()
	usesFailing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-u.C:
			err := s.flushUses(ctx)
			switch {
			case err != nil && !usesFailing && ctx.Err() == nil:
				usesFailing = true
				s.cfg.Logger.Warn("recording the queue passes used failed; the rooms admit fewer fans until it succeeds", zap.Error(err))
			case err == nil && usesFailing:
				usesFailing = false
				s.cfg.Logger.Info("recording the queue passes used again")
			}
			continue
		case <-t.C:
		}
		err := s.Refresh(ctx)
		switch {
		case err != nil && !s.failing && ctx.Err() == nil:
			s.failing = true
			s.cfg.Logger.Warn("reading the waiting rooms failed; holds follow the rooms as last read", zap.Error(err))
		case err == nil && s.failing:
			s.failing = false
			s.cfg.Logger.Info("reading the waiting rooms again")
		}
	}
}

// Refresh reads which rooms are enabled now, and traces each enabled room's queue.
func (s *Service) Refresh(ctx context.Context) error {
	s.mu.RLock()
	changes := s.changes
	s.mu.RUnlock()
	rooms, err := s.cfg.Store.Rooms(ctx)
	if err != nil {
		return fmt.Errorf("read the waiting rooms: %w", err)
	}
	enabled := make(map[string]bool, len(rooms))
	now := s.cfg.Clock.Now()
	for i := range rooms {
		q := &rooms[i]
		enabled[q.Settings.EventID] = q.Settings.Enabled
		if q.Settings.Enabled && s.cfg.Tracer != nil {
			s.cfg.Tracer.Trace(queueTrace(q, s.cfg.Node, now, s.cfg.Rate.Initial))
		}
	}
	s.mu.Lock()
	if s.changes == changes {
		// Otherwise this node changed a room while the rooms were read: what was read may
		// predate it, and the next refresh reads both.
		s.enabled = enabled
	}
	s.mu.Unlock()
	return nil
}

// queueTrace is the visualizer's view of a room: its queue, the rate it admits at and
// the headroom signal the controller followed.
func queueTrace(q *QueueState, node string, at time.Time, initialRate float64) actors.Trace {
	room := q.Room(initialRate)
	mode := "headroom"
	if q.Settings.Fixed() {
		mode = "fixed"
	}
	return actors.Trace{
		Type: actors.TraceQueue, At: at, Node: node, EventID: q.Settings.EventID,
		Waiting: room.Waiting, Admitted: room.Admitted, AdmittingPerS: room.AdmittingPerS,
		Action: mode, Outcome: q.Status.Change,
		DecisionsPerS: q.Status.Headroom.DecisionsPerS, Depth: q.Status.Headroom.MaxDepth, Millis: q.Status.Headroom.CommitMs,
		SoldOut: q.Status.SoldOut, SoldOutAfter: q.Status.SoldOutAfter,
	}
}

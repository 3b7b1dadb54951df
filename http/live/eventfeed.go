package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// DefaultSnapshotTimeout bounds how long a subscriber waits for its snapshot, and one
// read of an event's seat maps.
const DefaultSnapshotTimeout = 10 * time.Second

// localsEventSections is the Fiber local that hands the event's sections from the
// upgrade request to the websocket session.
const localsEventSections = "ticketblitz.ws.event_sections"

// EventFeedConfig configures an EventFeed. Catalog and Logger are required.
type EventFeedConfig struct {
	// Catalog reads the events and seat maps of the snapshots.
	Catalog Catalog
	// Logger receives snapshot failures and panics.
	Logger *zap.Logger
	// Registerer receives the websocket metrics; nil means they are not registered.
	Registerer prometheus.Registerer
	// Endpoint tunes the connections.
	Endpoint EndpointConfig
	// SnapshotTimeout bounds one read of an event's seat maps, and how long a subscriber
	// waits for its snapshot; DefaultSnapshotTimeout when zero.
	SnapshotTimeout time.Duration
}

// EventFeed serves GET /ws/events/{event_id}: each subscriber gets a snapshot of the
// event's seat maps, then one message per committed section version after it, in order
// per section. Publish feeds it the committed versions, whichever node made them.
//
// Each event with subscribers has an eventHub that keeps the event's state in memory,
// read from the store by its first subscriber and kept current by Publish, so the
// subscribers that follow share one encoded snapshot instead of reading the store each.
// Every version the snapshot does not cover follows it; gaps are passed on, and
// clients re-fetch when they see one.
type EventFeed struct {
	cfg      EventFeedConfig
	log      *zap.Logger
	endpoint *endpoint
	metrics  feedMetrics

	// ctx ends with Close: it stops the seat-map reads under way.
	ctx    context.Context
	cancel context.CancelFunc

	mu   sync.RWMutex
	hubs map[string]*eventHub // by event id, while it has sessions

	lastMu sync.Mutex
	last   map[actors.SectionKey]int64 // the newest version Publish saw, per section
}

// NewEventFeed builds the feed; its Handler serves the route.
func NewEventFeed(cfg EventFeedConfig) (*EventFeed, error) {
	var problems []error
	if cfg.Catalog == nil {
		problems = append(problems, errors.New("catalog is required"))
	}
	if cfg.Logger == nil {
		problems = append(problems, errors.New("logger is required"))
	}
	if cfg.SnapshotTimeout < 0 {
		problems = append(problems, fmt.Errorf("snapshot timeout %s is negative", cfg.SnapshotTimeout))
	}
	cfg.Endpoint = cfg.Endpoint.withDefaults()
	if err := cfg.Endpoint.validate(); err != nil {
		problems = append(problems, err)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("event feed config: %w", err)
	}
	if cfg.SnapshotTimeout == 0 {
		cfg.SnapshotTimeout = DefaultSnapshotTimeout
	}
	m, err := newConnMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	fm, err := newFeedMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &EventFeed{
		cfg:     cfg,
		log:     cfg.Logger,
		metrics: fm,
		ctx:     ctx,
		cancel:  cancel,
		hubs:    make(map[string]*eventHub),
		last:    make(map[actors.SectionKey]int64),
	}
	f.endpoint = newEndpoint("events", cfg.Endpoint, cfg.Logger, m, endpointMode{}, f.session)
	return f, nil
}

// Handler is the route handler of GET /ws/events/:event_id. It refuses with actors'
// domain errors, before any upgrade, for the route's error handler to answer: a request
// that is no websocket upgrade is VALIDATION_FAILED, an unknown event NOT_FOUND, a full
// or closing endpoint UNAVAILABLE.
func (f *EventFeed) Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		eventID, err := eventIDParam(c)
		if err != nil {
			return err
		}
		if err := f.endpoint.accept(c); err != nil {
			return err
		}
		// An event with subscribers on this node is known: no need to ask the store.
		sections, ok := f.liveSections(eventID)
		if !ok {
			ev, err := f.cfg.Catalog.GetEvent(c.UserContext(), eventID)
			if err != nil {
				return fmt.Errorf("websocket of event %s: %w", eventID, err)
			}
			sections = ev.Sections
		}
		c.Locals(localsEventSections, eventSections{eventID: eventID, sections: sections})
		return f.endpoint.upgrade(c)
	}
}

// eventIDParam returns the event id of the path, copied out of Fiber's buffers. An id
// that cannot name an event is NOT_FOUND without asking the catalog.
func eventIDParam(c *fiber.Ctx) (string, error) {
	raw := c.Params("event_id")
	if !actors.ValidLookupID(raw) {
		return "", &actors.Error{Code: actors.CodeNotFound, Message: "event not found"}
	}
	return strings.Clone(raw), nil
}

// eventSections is what the upgrade request learnt about the event.
type eventSections struct {
	eventID  string
	sections []actors.Section
}

// liveSections returns the sections of an event that has a hub.
func (f *EventFeed) liveSections(eventID string) ([]actors.Section, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	h := f.hubs[eventID]
	if h == nil {
		return nil, false
	}
	return h.sections, true
}

// Publish delivers one committed section version to the event's subscribers. It never
// blocks on a client: a subscriber whose buffer is full is disconnected. Calls for one
// section must come in version order (they do: one Kafka partition carries a section);
// a version at or below the newest one seen (a feed that resumed a little early) has
// reached every subscriber already and is dropped.
func (f *EventFeed) Publish(eventID, sectionID string, ch actors.SectionChanged) {
	f.metrics.deltas.Inc()
	if !f.noteVersion(actors.SectionKey{EventID: eventID, SectionID: sectionID}, ch.Version) {
		return
	}
	f.mu.RLock()
	h := f.hubs[eventID]
	f.mu.RUnlock()
	if h == nil {
		return
	}
	msg, err := encodeDelta(eventID, sectionID, ch)
	if err != nil {
		f.log.Error("encode section delta", zap.String("event_id", eventID), zap.String("section_id", sectionID), zap.Error(err))
		return
	}
	h.publish(sectionID, ch, msg)
}

// noteVersion records a section's version and reports whether it is new. It counts the
// versions that skip ahead of the newest one seen.
func (f *EventFeed) noteVersion(key actors.SectionKey, version int64) bool {
	f.lastMu.Lock()
	defer f.lastMu.Unlock()
	prev, ok := f.last[key]
	if ok && version <= prev {
		return false
	}
	if ok && version > prev+1 {
		f.metrics.gaps.Inc()
		f.log.Debug("section version gap", zap.String("section", key.Identity()), zap.Int64("after", prev), zap.Int64("version", version))
	}
	f.last[key] = version
	return true
}

// Subscribers returns how many connections are subscribed to any event, the ones
// still waiting for their snapshot included.
func (f *EventFeed) Subscribers() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := 0
	for _, h := range f.hubs {
		n += h.refs
	}
	return n
}

// Connections returns how many websocket connections are open.
func (f *EventFeed) Connections() int { return f.endpoint.open() }

// Close disconnects every subscriber ("server shutting down"), refuses new ones and
// waits for the connections to end, or for ctx.
func (f *EventFeed) Close(ctx context.Context) error {
	f.cancel()
	return f.endpoint.Close(ctx)
}

// session subscribes one connection: its snapshot, then the deltas after it.
func (f *EventFeed) session(c *conn) func() {
	ev, ok := c.ws.Locals(localsEventSections).(eventSections)
	if !ok {
		c.close(websocket.CloseInternalServerErr, "internal error")
		return nil
	}
	h := f.attach(ev)
	ctx, cancel := context.WithTimeout(c.ctx, f.cfg.SnapshotTimeout)
	defer cancel()
	// A read of the seat maps serves everyone waiting, so it does not end with the
	// connection that happens to make it.
	loadCtx, cancelLoad := context.WithTimeout(f.ctx, f.cfg.SnapshotTimeout)
	defer cancelLoad()
	s, err := h.join(ctx, loadCtx, c)
	if err != nil {
		if c.ctx.Err() == nil {
			f.log.Warn("websocket snapshot failed", zap.String("event_id", ev.eventID), zap.Error(err))
			c.close(websocket.CloseInternalServerErr, "snapshot unavailable; reconnect")
		}
		return func() { f.detach(h) }
	}
	return func() {
		h.leave(s)
		f.detach(h)
	}
}

// attach returns the event's hub, made when it has none, counting one more session.
func (f *EventFeed) attach(ev eventSections) *eventHub {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hubs[ev.eventID]
	if h == nil {
		h = newEventHub(ev.eventID, ev.sections, f.readSeatMaps)
		f.hubs[ev.eventID] = h
	}
	h.refs++
	return h
}

// detach counts one session less; the hub of an event left without sessions goes.
func (f *EventFeed) detach(h *eventHub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h.refs--
	if h.refs == 0 && f.hubs[h.eventID] == h {
		delete(f.hubs, h.eventID)
	}
}

// readSeatMaps reads every section's committed seat map, in the order of sections.
func (f *EventFeed) readSeatMaps(ctx context.Context, eventID string, sections []actors.Section) ([]actors.SeatMap, error) {
	maps := make([]actors.SeatMap, 0, len(sections))
	for _, sec := range sections {
		m, err := f.cfg.Catalog.SeatMap(ctx, eventID, sec.ID)
		if err != nil {
			return nil, fmt.Errorf("seat map of %s/%s: %w", eventID, sec.ID, err)
		}
		maps = append(maps, m)
	}
	return maps, nil
}

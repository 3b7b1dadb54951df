package http

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// DefaultSnapshotTimeout bounds the seat-map reads of one subscriber's snapshot.
const DefaultSnapshotTimeout = 10 * time.Second

// pendingPerBuffer is how many send buffers' worth of deltas a subscriber may collect
// while its snapshot is read; a subscriber that falls further behind before it even
// starts is closed as too slow.
const pendingPerBuffer = 4

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
	// WS tunes the connections.
	WS WSConfig
	// SnapshotTimeout bounds the seat-map reads of one snapshot; DefaultSnapshotTimeout
	// when zero.
	SnapshotTimeout time.Duration
}

// EventFeed serves GET /ws/events/{event_id}: each subscriber gets a snapshot of the
// event's seat maps, then one message per committed section version after it, in order
// per section. Publish feeds it the committed versions, whichever node made them.
//
// A subscriber is registered before its snapshot is read, and the deltas that arrive
// meanwhile wait in its pending list. Once the snapshot is queued, every delta whose
// version the snapshot (or an earlier delta) already covers is dropped, for good: the
// seat map read may be ahead of the delta stream, never behind the subscription. Gaps
// are passed on; clients re-fetch when they see one.
type EventFeed struct {
	cfg      EventFeedConfig
	log      *zap.Logger
	endpoint *wsEndpoint
	deltas   prometheus.Counter
	gaps     prometheus.Counter

	mu   sync.RWMutex
	subs map[string]map[*eventSub]struct{} // by event id

	lastMu sync.Mutex
	last   map[actors.SectionKey]int64 // the newest version Publish saw, per section
}

// NewEventFeed builds the feed; Register or Server.MountLive serves it.
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
	cfg.WS.applyDefaults()
	if err := cfg.WS.validate(); err != nil {
		problems = append(problems, err)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("event feed config: %w", err)
	}
	if cfg.SnapshotTimeout == 0 {
		cfg.SnapshotTimeout = DefaultSnapshotTimeout
	}
	m, err := newWSMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	f := &EventFeed{
		cfg:  cfg,
		log:  cfg.Logger,
		subs: make(map[string]map[*eventSub]struct{}),
		last: make(map[actors.SectionKey]int64),
		deltas: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "section_deltas_total",
			Help: "Committed section versions the live feed delivered to this node.",
		}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ticketblitz", Subsystem: "ws", Name: "section_version_gaps_total",
			Help: "Section versions that skipped ahead of the newest one seen (feed restarts); passed on as they are.",
		}),
	}
	if cfg.Registerer != nil {
		if f.deltas, err = registerOrExisting(cfg.Registerer, f.deltas); err != nil {
			return nil, err
		}
		if f.gaps, err = registerOrExisting(cfg.Registerer, f.gaps); err != nil {
			return nil, err
		}
	}
	f.endpoint = newWSEndpoint("events", cfg.WS, cfg.Logger, m, false, f.session)
	return f, nil
}

// Handler is the route handler of GET /ws/events/:event_id. An unknown event answers
// 404 NOT_FOUND before any upgrade; a full or closing endpoint 503 UNAVAILABLE.
func (f *EventFeed) Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		eventID, err := pathID(c.Params("event_id"), pathIDPattern, "event")
		if err != nil {
			return err
		}
		if err := f.endpoint.accept(c); err != nil {
			return err
		}
		ev, err := f.cfg.Catalog.GetEvent(c.UserContext(), eventID)
		if err != nil {
			return fmt.Errorf("websocket of event %s: %w", eventID, err)
		}
		c.Locals(localsEventSections, eventSections{eventID: eventID, sections: ev.Sections})
		return f.endpoint.upgrade(c)
	}
}

// eventSections is what the upgrade request learnt about the event.
type eventSections struct {
	eventID  string
	sections []actors.Section
}

// Publish delivers one committed section version to the event's subscribers. It never
// blocks on a client: a subscriber whose buffer is full is disconnected. Calls for one
// section must come in version order (they do: one Kafka partition carries a section).
func (f *EventFeed) Publish(eventID, sectionID string, ch actors.SectionChanged) {
	f.deltas.Inc()
	f.noteVersion(actors.SectionKey{EventID: eventID, SectionID: sectionID}, ch.Version)
	f.mu.RLock()
	defer f.mu.RUnlock()
	subs := f.subs[eventID]
	if len(subs) == 0 {
		return
	}
	msg, err := encodeDelta(eventID, sectionID, ch)
	if err != nil {
		f.log.Error("encode section delta", zap.String("event_id", eventID), zap.String("section_id", sectionID), zap.Error(err))
		return
	}
	d := delta{sectionID: sectionID, version: ch.Version, msg: msg}
	for s := range subs {
		s.offer(d)
	}
}

// noteVersion counts the versions that skip ahead of the newest one seen for their
// section. Versions at or below it (a feed that resumed a little early) are no gap.
func (f *EventFeed) noteVersion(key actors.SectionKey, version int64) {
	f.lastMu.Lock()
	defer f.lastMu.Unlock()
	prev, ok := f.last[key]
	if ok && version > prev+1 {
		f.gaps.Inc()
		f.log.Debug("section version gap", zap.String("section", key.Identity()), zap.Int64("after", prev), zap.Int64("version", version))
	}
	if !ok || version > prev {
		f.last[key] = version
	}
}

// Subscribers returns how many connections are subscribed to any event.
func (f *EventFeed) Subscribers() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := 0
	for _, subs := range f.subs {
		n += len(subs)
	}
	return n
}

// Connections returns how many websocket connections are open.
func (f *EventFeed) Connections() int { return f.endpoint.open() }

// Close disconnects every subscriber ("server shutting down"), refuses new ones and
// waits for the connections to end, or for ctx.
func (f *EventFeed) Close(ctx context.Context) error { return f.endpoint.Close(ctx) }

// session subscribes one connection, queues its snapshot and lets the deltas through.
func (f *EventFeed) session(c *wsConn) func() {
	ev, ok := c.ws.Locals(localsEventSections).(eventSections)
	if !ok {
		c.close(websocket.CloseInternalServerErr, "internal error")
		return nil
	}
	s := &eventSub{conn: c, maxPending: pendingPerBuffer * f.cfg.WS.SendBuffer}
	f.subscribe(ev.eventID, s)
	unsubscribe := func() { f.unsubscribe(ev.eventID, s) }

	ctx, cancel := context.WithTimeout(c.ctx, f.cfg.SnapshotTimeout)
	defer cancel()
	snap, versions, err := f.snapshot(ctx, ev)
	if err != nil {
		if c.ctx.Err() == nil {
			f.log.Warn("websocket snapshot failed", zap.String("event_id", ev.eventID), zap.Error(err))
			c.close(websocket.CloseInternalServerErr, "snapshot unavailable; reconnect")
		}
		return unsubscribe
	}
	s.goLive(snap, versions)
	return unsubscribe
}

func (f *EventFeed) subscribe(eventID string, s *eventSub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	subs := f.subs[eventID]
	if subs == nil {
		subs = make(map[*eventSub]struct{})
		f.subs[eventID] = subs
	}
	subs[s] = struct{}{}
}

func (f *EventFeed) unsubscribe(eventID string, s *eventSub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	subs := f.subs[eventID]
	delete(subs, s)
	if len(subs) == 0 {
		delete(f.subs, eventID)
	}
}

// snapshot reads every section's committed seat map and encodes the snapshot message.
func (f *EventFeed) snapshot(ctx context.Context, ev eventSections) (*fws.PreparedMessage, map[string]int64, error) {
	out := wsSnapshotJSON{Type: "snapshot", EventID: ev.eventID, Sections: make([]any, 0, len(ev.sections))}
	versions := make(map[string]int64, len(ev.sections))
	for _, sec := range ev.sections {
		m, err := f.cfg.Catalog.SeatMap(ctx, ev.eventID, sec.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("seat map of %s/%s: %w", ev.eventID, sec.ID, err)
		}
		versions[sec.ID] = m.Version
		out.Sections = append(out.Sections, toSnapshotSection(m))
	}
	msg, err := prepareJSON(out)
	return msg, versions, err
}

// delta is one committed section version, encoded once for every subscriber.
type delta struct {
	sectionID string
	version   int64
	msg       *fws.PreparedMessage
}

// eventSub is one subscriber of an event.
type eventSub struct {
	conn       *wsConn
	maxPending int

	mu      sync.Mutex
	live    bool
	pending []delta
	sent    map[string]int64 // per section: the newest version the client has
}

// offer passes d on, or keeps it while the snapshot is being read.
func (s *eventSub) offer(d delta) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live {
		s.deliver(d)
		return
	}
	if len(s.pending) >= s.maxPending {
		if s.conn.close(websocket.ClosePolicyViolation, "too slow") {
			s.conn.metrics.slow.Inc()
		}
		return
	}
	s.pending = append(s.pending, d)
}

// goLive queues the snapshot, then the pending deltas it does not already cover.
func (s *eventSub) goLive(snapshot *fws.PreparedMessage, versions map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = versions
	s.conn.send(snapshot)
	for _, d := range s.pending {
		s.deliver(d)
	}
	s.pending = nil
	s.live = true
}

// deliver queues d unless the client already has its version. s.mu is held.
func (s *eventSub) deliver(d delta) {
	if v, ok := s.sent[d.sectionID]; ok && d.version <= v {
		return
	}
	s.sent[d.sectionID] = d.version
	s.conn.send(d.msg)
}

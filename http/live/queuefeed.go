package live

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// Defaults of QueueFeedConfig.
const (
	// DefaultQueuePoll reads each queue as often as the admission controller admits
	// (waitingroom.DefaultControllerTick), so that an admitted fan learns of its pass
	// within one step, not in a wave per quarter second.
	DefaultQueuePoll = 50 * time.Millisecond
	// DefaultQueueRender is how often every subscriber's ticket is computed again while
	// the queue's admissions, sold-out state and shuffles stand still: for the ETA's
	// countdown and the heartbeat, nobody needs that at every poll.
	DefaultQueueRender    = 250 * time.Millisecond
	DefaultQueueHeartbeat = 2 * time.Second
	// DefaultQueueMinor lets a waiting fan's place and wait ride on the heartbeat: while
	// a room admits, every step moves everyone, and a message a second to each of ten
	// thousand fans took the node's time from the holds of the fans just admitted.
	DefaultQueueMinor = DefaultQueueHeartbeat
)

// localsQueueTicket hands the ticket's record from the upgrade request to the session.
const localsQueueTicket = "ticketblitz.ws.queue_ticket"

// QueueTickets is what the queue websocket reads (waitingroom's Service). Lookups of
// missing tickets return an error matching actors.ErrNotFound.
type QueueTickets interface {
	// TicketRecord returns a ticket's record.
	TicketRecord(ctx context.Context, id string) (waitingroom.TicketRecord, error)
	// TicketRecords returns the records of the tickets that exist among ids.
	TicketRecords(ctx context.Context, ids []string) ([]waitingroom.TicketRecord, error)
	// QueueState returns an event's queue with at most maxAdmissions of its admissions
	// above a position (all of them for a negative max).
	QueueState(ctx context.Context, eventID string, above int64, maxAdmissions int) (waitingroom.QueueState, error)
	// Render computes a ticket at now.
	Render(rec waitingroom.TicketRecord, q waitingroom.QueueState, now time.Time) waitingroom.Ticket
}

// QueueFeedConfig configures a QueueFeed. Tickets and Logger are required.
type QueueFeedConfig struct {
	Tickets QueueTickets
	Logger  *zap.Logger
	// Registerer receives the websocket metrics; nil means they are not registered.
	Registerer prometheus.Registerer
	// Endpoint tunes the connections.
	Endpoint EndpointConfig
	// Poll is how often each event's queue is read (DefaultQueuePoll when zero).
	Poll time.Duration
	// Heartbeat is the longest a subscriber goes without its ticket
	// (DefaultQueueHeartbeat when zero).
	Heartbeat time.Duration
	// Minor is the shortest time between two messages that change only ahead and the
	// ETA (DefaultQueueMinor when zero, the heartbeat's 2 s): with thousands waiting,
	// every admission moves everyone, and even a message a second to each took the
	// node's time from the holds of the fans just admitted.
	Minor time.Duration
	// Render is how often every subscriber's ticket is computed again while the queue
	// did not move (DefaultQueueRender, or Minor/2 if smaller, when zero); a poll that
	// finds the queue moved computes them at once.
	Render time.Duration
	// Writers is how many goroutines write a large fan-out's messages
	// (runtime.GOMAXPROCS(0) when zero); fanOutShare messages a goroutine at least.
	Writers int
	// Clock tells time (default time.Now).
	Clock func() time.Time
	// Upgrades bounds the upgrades in progress at once, from the ticket's lookup to
	// the first ticket sent, the 101 answer's write aside (DefaultUpgradesPerCore per
	// core when zero); the others wait their turn (see upgradeGate).
	Upgrades int
}

// QueueFeed serves GET /ws/queue/{ticket_id}: each subscriber gets its ticket at once,
// again whenever its status, position or pass changes (within a poll), when only its
// place and wait changed at most every Minor, and at least every Heartbeat. Run reads
// each event's queue once a poll, whatever its number of subscribers, and computes
// every subscriber's ticket in memory.
type QueueFeed struct {
	cfg      QueueFeedConfig
	log      *zap.Logger
	endpoint *endpoint
	gate     *upgradeGate

	mu      sync.Mutex
	watches map[string]*queueWatch // by event id, while it has subscribers
}

// queueWatch is one event's queue as this node last read it, and its subscribers.
type queueWatch struct {
	eventID string

	mu    sync.Mutex
	subs  map[*queueSub]struct{}
	state waitingroom.QueueState // with every admission still relevant
	read  bool                   // state was read at least once
	// readAt is when state was read: a subscriber arriving soon after gets its first
	// ticket from it (see firstFromWatch).
	readAt time.Time
	// rendered is when every subscriber's ticket was last computed, from a queue
	// that stood at moved.
	rendered time.Time
	moved    queueMoves
	// out is the fan-out's list of messages, kept between polls.
	out []outgoing
}

// queueMoves is what of a queue, when it changes, changes a subscriber's status,
// position or pass: a subscriber learns of it at the next poll.
type queueMoves struct {
	watermark, shuffles, pending int64
	// soldOutAfter is the last position with a seat to wait for while soldOut (zero
	// when not sold out).
	soldOutAfter    int64
	soldOut, closed bool
	settings        waitingroom.Settings
}

func movesOf(q *waitingroom.QueueState) queueMoves {
	m := queueMoves{watermark: q.Watermark, shuffles: q.Shuffles, pending: q.Pending,
		soldOut: q.Status.SoldOut, closed: q.Closed, settings: q.Settings}
	if m.soldOut {
		m.soldOutAfter = q.Status.SoldOutAfter
	}
	return m
}

// queueSub is one subscriber: its ticket's record and what it was last sent. A
// websocket's subscriber has c; a reader waiting for its ticket's change (Await) has
// wake instead.
type queueSub struct {
	c        *conn
	wake     chan waitingroom.Ticket
	rec      waitingroom.TicketRecord
	shuffles int64 // the queue's shuffles when rec was read
	last     waitingroom.Ticket
	lastSent time.Time
}

// NewQueueFeed builds the feed; its Handler serves the route and Run keeps it current.
func NewQueueFeed(cfg QueueFeedConfig) (*QueueFeed, error) {
	var problems []error
	if cfg.Tickets == nil {
		problems = append(problems, errors.New("tickets is required"))
	}
	if cfg.Logger == nil {
		problems = append(problems, errors.New("logger is required"))
	}
	cfg.Endpoint = cfg.Endpoint.withDefaults()
	if err := cfg.Endpoint.validate(); err != nil {
		problems = append(problems, err)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("queue feed config: %w", err)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultQueuePoll
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultQueueHeartbeat
	}
	if cfg.Minor <= 0 {
		cfg.Minor = DefaultQueueMinor
	}
	if cfg.Render <= 0 {
		cfg.Render = min(DefaultQueueRender, cfg.Minor/2)
	}
	if cfg.Writers <= 0 {
		cfg.Writers = runtime.GOMAXPROCS(0)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Upgrades <= 0 {
		cfg.Upgrades = DefaultUpgradesPerCore * runtime.GOMAXPROCS(0)
	}
	m, err := newConnMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	f := &QueueFeed{cfg: cfg, log: cfg.Logger, watches: make(map[string]*queueWatch), gate: newUpgradeGate(cfg.Upgrades,
		m.upgrades.WithLabelValues("queue", upgradeInProgress), m.upgrades.WithLabelValues("queue", upgradeWaiting))}
	f.endpoint = newEndpoint("queue", cfg.Endpoint, cfg.Logger, m, endpointMode{inline: true}, f.session)
	return f, nil
}

// Handler is the route handler of GET /ws/queue/:ticket_id. Before any upgrade it
// refuses with domain errors: NOT_FOUND for an unknown ticket, VALIDATION_FAILED for a
// request that is no websocket upgrade, UNAVAILABLE when the endpoint is full or closing.
// The lookup and the upgrade take one of the gate's slots (QueueFeedConfig.Upgrades): the
// request waits for one.
func (f *QueueFeed) Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		raw := c.Params("ticket_id")
		if !strings.HasPrefix(raw, waitingroom.TicketIDPrefix) || !actors.ValidLookupID(raw) {
			return &actors.Error{Code: actors.CodeNotFound, Message: "ticket not found"}
		}
		id := strings.Clone(raw)
		if err := f.endpoint.accept(c); err != nil {
			return err
		}
		if !f.gate.enter(nil) {
			return actors.Unavailable("shutting down")
		}
		defer f.gate.leave()
		rec, err := f.cfg.Tickets.TicketRecord(c.UserContext(), id)
		if err != nil {
			return fmt.Errorf("queue websocket of %s: %w", id, err)
		}
		c.Locals(localsQueueTicket, rec)
		return f.endpoint.upgrade(c)
	}
}

// Connections returns how many websocket connections are open.
func (f *QueueFeed) Connections() int { return f.endpoint.open() }

// Close disconnects every subscriber, refuses new ones and waits for the connections
// to end, or for ctx.
func (f *QueueFeed) Close(ctx context.Context) error {
	f.gate.close()
	return f.endpoint.Close(ctx)
}

// session sends the ticket at once, then subscribes the connection to its event. The
// first ticket takes one of the gate's slots, waiting for one.
func (f *QueueFeed) session(c *conn) func() {
	rec, ok := c.ws.Locals(localsQueueTicket).(waitingroom.TicketRecord)
	if !ok {
		c.close(websocket.CloseInternalServerErr, "internal error")
		return nil
	}
	s := &queueSub{c: c, rec: rec}
	if !f.gate.enter(c.ctx.Done()) {
		return nil
	}
	w := func() *queueWatch {
		// Deferred, so that a panic of the first ticket cannot keep the slot.
		defer f.gate.leave()
		return f.first(s)
	}()
	if w == nil {
		return nil
	}
	return func() { f.detach(w, s) }
}

// first sends s its first ticket and subscribes it to its event's watch, which it
// returns; nil when the connection closed or the queue could not be read.
func (f *QueueFeed) first(s *queueSub) *queueWatch {
	c, rec := s.c, s.rec
	if w, done := f.firstFromWatch(s); done {
		return w
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	q, err := f.cfg.Tickets.QueueState(ctx, rec.EventID, rec.Position-1, 1)
	if err != nil {
		if c.ctx.Err() == nil {
			f.log.Warn("queue websocket: reading the queue failed", zap.String("event_id", rec.EventID), zap.Error(err))
			c.close(websocket.CloseInternalServerErr, "queue unavailable; reconnect")
		}
		return nil
	}
	s.shuffles = shufflesKnown(rec, q.Shuffles)
	if !f.deliver(s, f.cfg.Tickets.Render(rec, q, f.cfg.Clock()), f.cfg.Clock(), true) {
		return nil
	}
	return f.attach(rec.EventID, s)
}

// firstFromWatch sends s its first ticket computed from its event's watch, and
// subscribes it there, when the watch read the queue within the last two polls or the
// last Render, whichever is longer: in a rush thousands of fans open their websockets
// within a few polls, and a queue read of their own made each open cost a round trip
// and its decoding. On a busy node a poll's read itself takes a poll or more, so that
// two polls alone sent most opens of a rush to a read of their own; a ticket computed
// from a read up to Render old is no older than the feed lets any ticket's place and
// wait stand while the queue does not move, and the subscriber hears of whatever the
// next poll finds moved, as every subscriber does.
//
// done is false when there is no such watch (the caller reads the queue); w is nil
// when the connection closed meanwhile.
func (f *QueueFeed) firstFromWatch(s *queueSub) (w *queueWatch, done bool) {
	f.mu.Lock()
	w = f.watches[s.rec.EventID]
	if w == nil {
		f.mu.Unlock()
		return nil, false
	}
	// A watch in the map has subscribers; holding its lock keeps it there (detach
	// removes it only once empty, and needs the lock to tell) until s is one of them.
	w.mu.Lock()
	f.mu.Unlock()
	defer w.mu.Unlock()
	now := f.cfg.Clock()
	if !w.read || now.Sub(w.readAt) > max(2*f.cfg.Poll, f.cfg.Render) {
		return nil, false
	}
	s.shuffles = shufflesKnown(s.rec, w.state.Shuffles)
	if !f.deliver(s, f.cfg.Tickets.Render(s.rec, w.state, now), now, true) {
		return nil, true
	}
	w.subs[s] = struct{}{}
	return w, true
}

// shufflesKnown is the shuffles a subscriber's record rec is known to reflect, given
// the queue's: none while it has no position. A ticket keeps position 0 only until its
// room's shuffle, so such a record was read before the shuffle the queue counts, and
// the next poll must read it again (place): an open that read its record before the
// shuffle and its first ticket after it (the upgrade gate's wait between the two lasts
// seconds in a rush) counted the shuffle as seen, and 359-606 fans of a 10,000-fan
// random rush never heard their positions nor their passes, whose passes, never used,
// then held the room's re-sale of the last seats to one fan a pass-flight (2 s) for a
// minute.
func shufflesKnown(rec waitingroom.TicketRecord, shuffles int64) int64 {
	if rec.Position == 0 {
		return 0
	}
	return shuffles
}

// attach adds s to its event's watch, made when the event has none.
func (f *QueueFeed) attach(eventID string, s *queueSub) *queueWatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.watches[eventID]
	if w == nil {
		w = &queueWatch{eventID: eventID, subs: make(map[*queueSub]struct{})}
		f.watches[eventID] = w
	}
	w.mu.Lock()
	w.subs[s] = struct{}{}
	w.mu.Unlock()
	return w
}

// detach removes s; an event left without subscribers is no longer read.
func (f *QueueFeed) detach(w *queueWatch, s *queueSub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.mu.Lock()
	delete(w.subs, s)
	empty := len(w.subs) == 0
	w.mu.Unlock()
	if empty && f.watches[w.eventID] == w {
		delete(f.watches, w.eventID)
	}
}

// Run reads every watched event's queue each poll and updates its subscribers, until
// ctx ends.
func (f *QueueFeed) Run(ctx context.Context) error {
	t := time.NewTicker(f.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		f.mu.Lock()
		watches := make([]*queueWatch, 0, len(f.watches))
		for _, w := range f.watches {
			watches = append(watches, w)
		}
		f.mu.Unlock()
		for _, w := range watches {
			if err := f.update(ctx, w); err != nil && ctx.Err() == nil {
				f.log.Debug("queue websocket: reading the queue failed", zap.String("event_id", w.eventID), zap.Error(err))
			}
		}
	}
}

// update reads one event's queue (the admissions since the last read only) and sends
// every subscriber whose ticket changed, or who is due a heartbeat.
func (f *QueueFeed) update(ctx context.Context, w *queueWatch) error {
	w.mu.Lock()
	above := int64(0)
	if n := len(w.state.Admissions); n > 0 {
		above = w.state.Admissions[n-1].UpTo
	}
	if !w.read {
		// The first read needs every admission a subscriber may be covered by.
		above = 0
	}
	w.mu.Unlock()
	q, err := f.cfg.Tickets.QueueState(ctx, w.eventID, above, -1)
	if err != nil {
		return err
	}
	now := f.cfg.Clock()
	w.mu.Lock()
	q.Admissions = keepAdmissions(append(w.state.Admissions, q.Admissions...), now)
	w.state, w.read, w.readAt = q, true, now
	moved := movesOf(&q)
	if !w.rendered.IsZero() && moved == w.moved && now.Sub(w.rendered) < f.cfg.Render {
		// Nothing a subscriber must hear at once; the next full pass sends the rest.
		w.mu.Unlock()
		return nil
	}
	// A queue whose watermark alone moved changes the status of the fans it admitted
	// and no one else's; one still sold out whose last position with a seat moved (seats
	// returned, or were taken) changes that of the fans between the two positions: the
	// others' tickets are computed only when a message to them may be due. Anything
	// else that moved (sold out told or ended, a shuffle, the settings) may change
	// everybody's.
	prev := w.moved
	all := w.rendered.IsZero() || moved.withMarks(prev.watermark, prev.soldOutAfter) != prev
	w.rendered, w.moved = now, moved
	var unplaced []*queueSub
	for s := range w.subs {
		if s.rec.Position == 0 && s.shuffles != q.Shuffles {
			unplaced = append(unplaced, s)
		}
	}
	w.mu.Unlock()
	placed := f.place(ctx, unplaced)
	w.mu.Lock()
	for s, rec := range placed {
		s.rec, s.shuffles = rec, q.Shuffles
	}
	out := w.out[:0]
	for s := range w.subs {
		if !all && !f.due(s, &w.state, prev.soldOutAfter, moved.soldOutAfter, now) {
			continue
		}
		t := f.cfg.Tickets.Render(s.rec, w.state, now)
		if s.wake != nil {
			s.notify(t)
			s.lastSent = now
			continue
		}
		if msg := f.message(s, t, now, false); msg != nil {
			out = append(out, outgoing{s.c, msg})
		}
	}
	w.out = nil
	w.mu.Unlock()
	// The frames are written outside the watch's lock, so that fans opening meanwhile
	// are not kept waiting by the fan-out's system calls. Only the fan-out writes to a
	// subscriber once it joined, once a poll, and it ends before the next poll's
	// begins, so each one's messages stay in order.
	fanOut(out, f.cfg.Writers, sendOutgoing)
	w.mu.Lock()
	if w.out == nil {
		w.out = out[:0]
	}
	w.mu.Unlock()
	return nil
}

// outgoing is one message of a fan-out, to be written once the watch is unlocked.
type outgoing struct {
	c   *conn
	msg *frame
}

// sendOutgoing writes o's message to its connection.
func sendOutgoing(o outgoing) { o.c.send(o.msg) }

// fanOutShare is the fewest messages a goroutine of a fan-out is given: a fan-out of
// fewer than two shares is written by the poll's goroutine alone.
const fanOutShare = 256

// fanOut hands each message of out to send, in up to writers goroutines of at least
// fanOutShare messages each, and returns once every one was handed over, with out
// cleared. A connection appears once in out, so its messages keep their order. The
// sold-out tell writes a frame to every fan still waiting (about 8,800 of a
// 10,000-fan sale): each write to a socket is a system call that also wakes the
// reader, and 8,849 of them on the poll's goroutine alone took 0.31 s on a 2-core
// node while its other core had room.
func fanOut(out []outgoing, writers int, send func(outgoing)) {
	parts := min(writers, len(out)/fanOutShare)
	if parts <= 1 {
		for i, o := range out {
			send(o)
			out[i] = outgoing{}
		}
		return
	}
	per := (len(out) + parts - 1) / parts
	var wg sync.WaitGroup
	for lo := 0; lo < len(out); lo += per {
		part := out[lo:min(lo+per, len(out))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, o := range part {
				send(o)
				part[i] = outgoing{}
			}
		}()
	}
	wg.Wait()
}

// withMarks is m with the watermark wm and the last position with a seat after.
func (m queueMoves) withMarks(wm, after int64) queueMoves {
	m.watermark, m.soldOutAfter = wm, after
	return m
}

// due reports whether s may be due a message at now, while only the watermark and the
// sold-out room's last position with a seat (from wasAfter to after) moved: a fan shown waiting
// whose position the watermark reached (admitted), one whose position the last with a
// seat passed, either way (seats returned for it, or were taken), a pass that ran out
// (expired), or a place, wait or heartbeat no longer sent within Minor. Computing the
// ticket of every subscriber at every admission step, a few thousand a twentieth of a
// second, took the node's time from the holds of the fans just admitted; sending every
// sold-out fan its ticket again when a seat returned sent 3,687 of them one in a sale
// whose returned seats admitted a handful.
func (f *QueueFeed) due(s *queueSub, q *waitingroom.QueueState, wasAfter, after int64, now time.Time) bool {
	switch {
	case now.Sub(s.lastSent) >= min(f.cfg.Minor, f.cfg.Heartbeat):
		return true
	case s.last.Status == waitingroom.TicketAdmitted:
		return !s.last.PassExpiresAt.IsZero() && !now.Before(s.last.PassExpiresAt)
	case s.last.Status == waitingroom.TicketExpired:
		return false
	default:
		pos := s.rec.Position
		return pos > 0 && (pos <= q.Watermark || pos > min(after, wasAfter) && pos <= max(after, wasAfter))
	}
}

// place reads again, in one round trip, the records of subscribers that had no position
// before a shuffle.
func (f *QueueFeed) place(ctx context.Context, subs []*queueSub) map[*queueSub]waitingroom.TicketRecord {
	if len(subs) == 0 {
		return nil
	}
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.rec.ID
	}
	recs, err := f.cfg.Tickets.TicketRecords(ctx, ids)
	if err != nil {
		f.log.Debug("queue websocket: reading shuffled tickets failed", zap.Error(err))
		return nil
	}
	byID := make(map[string]waitingroom.TicketRecord, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	out := make(map[*queueSub]waitingroom.TicketRecord, len(subs))
	for _, s := range subs {
		if r, ok := byID[s.rec.ID]; ok {
			out[s] = r
		}
	}
	return out
}

// keepAdmissions drops the admissions older than a pass: the tickets they cover read
// expired from ExpiredUpTo once the store forgets them too, or from their pass's expiry
// until then.
func keepAdmissions(adm []waitingroom.Admission, now time.Time) []waitingroom.Admission {
	cut := now.Add(-waitingroom.PassTTL - time.Minute)
	i := 0
	for i < len(adm) && adm[i].At.Before(cut) {
		i++
	}
	if i == 0 {
		return adm
	}
	return append([]waitingroom.Admission(nil), adm[i:]...)
}

// deliver sends t to s when it changed in a way that matters, when only its place or
// wait changed and Minor has passed, when a heartbeat is due, or when first is set.
// It reports whether the subscriber is still connected.
func (f *QueueFeed) deliver(s *queueSub, t waitingroom.Ticket, now time.Time, first bool) bool {
	msg := f.message(s, t, now, first)
	if msg == nil {
		// A first message is always due: nil means it could not be encoded.
		return !first && !s.c.closed()
	}
	return s.c.send(msg)
}

// message is deliver's message to s, or nil when none is due (or it could not be
// encoded); s counts it as sent.
func (f *QueueFeed) message(s *queueSub, t waitingroom.Ticket, now time.Time, first bool) *frame {
	since := now.Sub(s.lastSent)
	major := t.Status != s.last.Status || t.Position != s.last.Position || t.Pass != s.last.Pass
	minor := t.Ahead != s.last.Ahead || t.ETASeconds != s.last.ETASeconds
	if !first && !major && !(minor && since >= f.cfg.Minor) && since < f.cfg.Heartbeat {
		return nil
	}
	msg, err := encodeQueueMessage(t)
	if err != nil {
		f.log.Error("encode queue message", zap.String("ticket_id", t.ID), zap.Error(err))
		return nil
	}
	s.last, s.lastSent = t, now
	return msg
}

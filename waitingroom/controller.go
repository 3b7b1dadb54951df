package waitingroom

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// ControllerLease is the name of the lease the admission controller runs under: one
// node of the cluster at a time admits for every room.
const ControllerLease = "waitingroom:controller"

// Defaults of ControllerConfig.
const (
	// DefaultControllerTick is how often the controller admits: small steps, so that
	// the fans admitted together (who hold at once) are few. At 2,000 fans/s a step of
	// 250 ms let 500 fans hold in the same instant, and the last of them waited for the
	// 499 before; at 50 ms, 100 do.
	DefaultControllerTick = 50 * time.Millisecond
	// DefaultRateEvery is how often the controller moves its rate: once per headroom
	// signal (DefaultSignalEvery), however often it admits. The rate doubles a step
	// in slow start, so stepping it at every admission would double it on the same
	// signal several times.
	DefaultRateEvery     = DefaultSignalEvery
	DefaultControllerTTL = 3 * time.Second
	// DefaultInFlight covers an admitted fan's hold at 10,000 fans on a shared 2-core
	// machine (BENCHMARKS.md: admitted hold p99 about 1 s) and the queue push before it.
	DefaultInFlight = 2 * time.Second
)

// ControllerConfig configures a Controller. Store, Headroom, Leases, Node and Logger are
// required.
type ControllerConfig struct {
	Store    QueueStore
	Headroom HeadroomSource
	Leases   Leases
	// Node names this node; the lease's owner is the node and a random suffix, so that
	// a restarted node never takes the lease of its previous life for its own.
	Node   string
	Logger *zap.Logger
	// Clock tells time (the system clock when nil).
	Clock Clock
	// Rand draws the shuffles (a ChaCha8 generator seeded from crypto/rand when nil).
	// Only the controller's goroutine uses it.
	Rand *rand.Rand
	// Rate tunes the headroom controller.
	Rate RateConfig
	// Inventory tells how many seats each event has left (nil: the rooms never stop
	// for want of seats). A room stops admitting while its event has none, and admits
	// no more fans than seats are left, counting the fans admitted who have not held
	// yet as holding one already: with Uses, those whose passes are neither used nor
	// expired; without, those admitted within InFlight.
	Inventory Inventory
	// Uses counts the passes the nodes' holds used (nil: InFlight stands in for it).
	Uses PassUses
	// Tick is how often the controller admits (DefaultControllerTick when zero).
	Tick time.Duration
	// RateEvery is how often it moves the rate by the headroom (DefaultRateEvery when
	// zero; never more often than Tick).
	RateEvery time.Duration
	// LeaseTTL is the lease's time to live, renewed every third of it
	// (DefaultControllerTTL when zero): a dead controller's node is replaced within it.
	LeaseTTL time.Duration
	// InFlight is how long an admitted fan counts against the seats left before its
	// hold shows in them, when Uses is nil (DefaultInFlight when zero): the time to
	// learn of the pass (a queue push, polled every 250 ms) and to hold.
	InFlight time.Duration
	// TicketRetention is how long a ticket is kept after its pass expired (a read of
	// it answers expired meanwhile); then the room forgets it (QueueStore.Forget). Zero
	// keeps every ticket for as long as the room's state lives.
	TicketRetention time.Duration
}

// forgetEvery is how often the controller asks the store to forget a room's old
// tickets while no sweep of them is on its way; a sweep goes on at every step.
const forgetEvery = time.Second

// Controller admits fans into every enabled room, in position order, while it holds
// the controller lease; every node runs one and one of them leads. It keeps, per room,
// the admission credit and the headroom controller's state in memory; a new leader
// starts from the rate the previous one recorded.
type Controller struct {
	cfg       ControllerConfig
	owner     string
	leader    bool
	renewedAt time.Time
	rooms     map[string]*roomControl
	// forgotten holds, per disabled room whose state is forgotten (forgetRoom), the
	// DisabledAt it was forgotten for.
	forgotten map[string]time.Time
	// forgetting counts the tickets forgotten so far of each disabled room being
	// forgotten.
	forgetting map[string]int
	failing    bool // the last step failed: the failure was logged once
}

// roomControl is the controller's memory of one room.
type roomControl struct {
	rate  *rateControl
	admit admission
	// recent are the admissions whose fans may not have held yet, oldest first: those
	// of the last InFlight, or, with pass uses counted, those whose passes are valid.
	recent []recentAdmission
	// rated is when the rate last moved (or the headroom was last read at a fixed
	// rate), change what the move did and headroom what it followed.
	rated    time.Time
	change   string
	headroom Headroom
	// sinceRated counts the fans admitted since the rate last moved, and windowFull
	// is set once the passes out held a step's admissions back meanwhile.
	sinceRated int64
	windowFull bool
	// waitingSince is when fans started to wait in the room, zero while nobody waits.
	waitingSince time.Time
	// probe is where the first passes since fans started to wait stand: probeNone
	// before any went out, probeOut while their holds are on their way, probeBack
	// once they came back. probeAt is when the first of them went out, roundAt when
	// the passes of the probe's current round did (a probe that came back slowly is
	// sent again).
	probe   probeState
	probeAt time.Time
	roundAt time.Time
	// waveSeats and waveFans are the seats the store showed left and the fans admitted
	// at the last step that admitted any (seatsCap): a round that came back with no
	// fewer seats left took none.
	waveSeats int
	waveFans  int64
	// forgetAt is when the room's old tickets are next to be forgotten (forget).
	forgetAt time.Time
	// heldHolds and heldSeats are the holds made with the room's passes and the seats
	// they took, as last read (seatsPerFan).
	heldHolds, heldSeats int64
	// gone is how long after its admission a pass never used stops counting against
	// the seats left (presumedGone), zero while every valid pass counts; typical is the
	// time by which half the room's holds came back (heldBy), zero while gone is.
	gone, typical time.Duration
	// busySince is when the node became busy (rateControl.busy), zero while it is not.
	busySince time.Time
}

// heldBusy reports whether the room holds its admissions back at now for a node that
// is busy: from its first busy step, for at most most (RateConfig.BusyMax).
func (rc *roomControl) heldBusy(now time.Time, busy bool, most time.Duration) bool {
	if !busy {
		rc.busySince = time.Time{}
		return false
	}
	if rc.busySince.IsZero() {
		rc.busySince = now
	}
	return now.Sub(rc.busySince) < most
}

// settling reports whether fans started to wait in the room too recently, at now, for
// the headroom the controller read to show what their arrival does to the nodes: a
// signal is published every DefaultSignalEvery and read every every.
func (rc *roomControl) settling(now time.Time, waiting bool, every time.Duration) bool {
	switch {
	case !waiting:
		rc.waitingSince, rc.probe = time.Time{}, probeNone
		return false
	case rc.waitingSince.IsZero():
		rc.waitingSince = now
	}
	return now.Sub(rc.waitingSince) < DefaultSignalEvery+every
}

// usedRate reports whether the room's admissions since the rate last moved, at now,
// came to at least half what its rate allowed, with the holds of their passes coming
// back fast enough that the passes out never held a step back (the rate was tried on
// the nodes and sections, and kept up with, so it may rise further), and starts
// counting afresh.
func (rc *roomControl) usedRate(now time.Time) bool {
	n, full := rc.sinceRated, rc.windowFull
	rc.sinceRated, rc.windowFull = 0, false
	if rc.rated.IsZero() || full {
		return false
	}
	return float64(n) >= 0.5*rc.rate.rate*now.Sub(rc.rated).Seconds()
}

// rateDue reports whether the rate should move at now, every RateEvery.
func (rc *roomControl) rateDue(now time.Time, every time.Duration) bool {
	return rc.rated.IsZero() || now.Sub(rc.rated) >= every
}

// recentAdmission is how many fans one step admitted, and when.
type recentAdmission struct {
	at time.Time
	n  int64
}

// inFlight counts the fans admitted within window before now, forgetting older ones:
// fans who may not have held their seats yet, so that the seats left do not show them.
func (rc *roomControl) inFlight(now time.Time, window time.Duration) int64 {
	return rc.countSince(func(at time.Time) bool { return now.Sub(at) >= window })
}

// admittedValid counts the fans admitted whose passes are still valid at now (a pass
// runs out PassTTL after its admission, to the second), forgetting older admissions.
func (rc *roomControl) admittedValid(now time.Time) int64 {
	return rc.countSince(func(at time.Time) bool { return !now.Before(passExpiry(at)) })
}

// countSince forgets the oldest admissions as long as gone says so of their time, and
// counts the fans of the rest.
func (rc *roomControl) countSince(gone func(at time.Time) bool) int64 {
	i := 0
	for i < len(rc.recent) && gone(rc.recent[i].at) {
		i++
	}
	rc.recent = rc.recent[i:]
	var n int64
	for _, a := range rc.recent {
		n += a.n
	}
	return n
}

// passExpiry is when the passes of an admission at at run out, as the tickets say.
func passExpiry(at time.Time) time.Time { return at.Add(PassTTL).Truncate(time.Second) }

// NewController checks cfg and returns a controller; Run starts it.
func NewController(cfg ControllerConfig) (*Controller, error) {
	if cfg.Store == nil || cfg.Headroom == nil || cfg.Leases == nil || cfg.Node == "" || cfg.Logger == nil {
		return nil, errors.New("admission controller: Store, Headroom, Leases, Node and Logger are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Rand == nil {
		var seed [32]byte
		if _, err := crand.Read(seed[:]); err != nil {
			return nil, fmt.Errorf("admission controller: seed the shuffles: %w", err)
		}
		cfg.Rand = rand.New(rand.NewChaCha8(seed))
	}
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultControllerTick
	}
	if cfg.RateEvery <= 0 {
		cfg.RateEvery = DefaultRateEvery
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultControllerTTL
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = DefaultInFlight
	}
	return &Controller{cfg: cfg, owner: actors.NewID(cfg.Node + "/wr_"), rooms: make(map[string]*roomControl),
		forgotten: make(map[string]time.Time), forgetting: make(map[string]int)}, nil
}

// Run admits until ctx ends, then hands the lease back. A failing step (Redis away) is
// logged when the failures start and when they end, not at every step.
func (c *Controller) Run(ctx context.Context) error {
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c.stepDown()
			return nil
		case <-t.C:
		}
		err := c.Step(ctx)
		switch {
		case err != nil && !c.failing && ctx.Err() == nil:
			c.failing = true
			c.cfg.Logger.Warn("admission steps failing; nobody is admitted until they succeed", zap.Error(err))
		case err == nil && c.failing:
			c.failing = false
			c.cfg.Logger.Info("admission steps succeed again")
		}
	}
}

// Leading reports whether the controller held the lease at its last step.
func (c *Controller) Leading() bool { return c.leader }

// Step keeps or takes the lease, then, when it leads, admits in every enabled room.
func (c *Controller) Step(ctx context.Context) error {
	now := c.cfg.Clock.Now()
	if err := c.lead(ctx, now); err != nil || !c.leader {
		return err
	}
	rooms, err := c.cfg.Store.Rooms(ctx)
	if err != nil {
		return fmt.Errorf("read the rooms: %w", err)
	}
	seen := make(map[string]bool, len(rooms))
	var errs []error
	for i := range rooms {
		q := &rooms[i]
		var err error
		if q.Settings.Enabled {
			seen[q.Settings.EventID] = true
			err = c.stepRoom(ctx, q, now)
			if err == nil {
				err = c.forget(ctx, q.Settings.EventID, now)
			}
		} else {
			err = c.forgetRoom(ctx, q.Settings, now)
		}
		if errors.Is(err, ErrNotLeader) {
			c.loseLead("a write was fenced")
			return nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("room of %s: %w", q.Settings.EventID, err))
		}
	}
	for id := range c.rooms {
		if !seen[id] {
			delete(c.rooms, id)
		}
	}
	return errors.Join(errs...)
}

// lead renews the lease when it is time, or tries to take it.
func (c *Controller) lead(ctx context.Context, now time.Time) error {
	if c.leader {
		if now.Sub(c.renewedAt) < c.cfg.LeaseTTL/3 {
			return nil
		}
		ok, err := c.cfg.Leases.Renew(ctx, ControllerLease, c.owner, c.cfg.LeaseTTL)
		if err != nil {
			c.loseLead("the lease could not be renewed")
			return fmt.Errorf("renew the controller lease: %w", err)
		}
		if !ok {
			c.loseLead("another node holds the lease")
			return nil
		}
		c.renewedAt = now
		return nil
	}
	ok, _, err := c.cfg.Leases.Acquire(ctx, ControllerLease, c.owner, c.cfg.LeaseTTL)
	if err != nil {
		return fmt.Errorf("acquire the controller lease: %w", err)
	}
	if ok {
		c.leader, c.renewedAt = true, now
		c.rooms = make(map[string]*roomControl)
		c.forgotten, c.forgetting = make(map[string]time.Time), make(map[string]int)
		c.cfg.Logger.Info("this node admits fans into the waiting rooms", zap.String("owner", c.owner))
	}
	return nil
}

func (c *Controller) loseLead(why string) {
	if c.leader {
		c.cfg.Logger.Warn("this node no longer admits fans into the waiting rooms", zap.String("why", why))
	}
	c.leader = false
}

// stepDown hands the lease over on shutdown, so that another node leads at once.
func (c *Controller) stepDown() {
	if !c.leader {
		return
	}
	c.leader = false
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.cfg.Leases.Release(ctx, ControllerLease, c.owner); err != nil {
		c.cfg.Logger.Warn("releasing the controller lease", zap.Error(err))
	}
}

// stepRoom admits the fans the room's rate allows since the last step, records the
// room's status, and applies a shuffle that became due.
func (c *Controller) stepRoom(ctx context.Context, q *QueueState, now time.Time) error {
	id := q.Settings.EventID
	rc := c.rooms[id]
	if rc == nil {
		rc = &roomControl{rate: newRateControl(c.cfg.Rate, q.Status.AdmittingPerS)}
		if c.cfg.Uses != nil {
			// A new leader learns the admissions whose passes may still be unused.
			recent, err := c.validAdmissions(ctx, id)
			if err != nil {
				return err
			}
			rc.recent = recent
		}
		c.rooms[id] = rc
	}
	st := Status{At: now}
	var n int64
	seatsLeft := -1
	open := q.Settings.open(now)
	due := rc.rateDue(now, c.cfg.RateEvery)
	if open && due {
		// Read even at a fixed rate: the status shows the headroom the rate leaves.
		// The signals change once a DefaultSignalEvery: read them as often.
		signals, err := c.cfg.Headroom.Signals(ctx, id)
		if err != nil {
			return fmt.Errorf("read the headroom: %w", err)
		}
		rc.headroom = Aggregate(signals, now)
	}
	if open {
		st.Headroom = rc.headroom
	}
	// A room that follows the headroom paces its passes: while the holds of the passes
	// out have not come back (roomControl.window: a probe of ProbePasses first, then
	// paceWindow), nobody more is let in, so that the fans admitted hold without
	// queueing behind each other. A fixed rate is the admin's and is honoured as set.
	paced := open && !q.Settings.Fixed() && c.cfg.Uses != nil
	passes := c.countPasses(rc, now)
	if paced && passes.recent > 0 {
		c.readUses(ctx, &passes, id, now)
	}
	// A node still answering a burst (the joins, say) would make holds admitted now
	// queue behind it while the sections sit idle: nobody is admitted, no credit builds
	// up and the rate stands until it drains. The requests of the fans admitted within
	// InFlight (their holds, then the winners' confirms and releases, one at a time a
	// fan) are the room's own work, not a burst to wait for. A node whose cores are
	// saturated makes the holds wait as well, its backlog or not. A node busy for
	// longer than BusyMax is busy with what waiting does not drain: the room admits,
	// and its rate follows the sections again, the passes out bounded by how fast
	// their holds come back.
	held := open && !q.Settings.Fixed() && rc.heldBusy(now, rc.rate.busy(st.Headroom, passes.recent), rc.rate.cfg.BusyMax)
	switch {
	case q.Settings.Fixed():
		st.AdmittingPerS, st.Change = float64(q.Settings.AdmitPerS), ChangeFixed
		rc.rated = now
	case !open:
		st.AdmittingPerS, st.Change = rc.rate.rate, ChangeHold
		rc.rated = time.Time{}
	case due:
		st.AdmittingPerS, st.Change = rc.rate.update(st.Headroom, q.Waiting() > 0 && !held, rc.usedRate(now), now)
		rc.rated, rc.change = now, st.Change
	default:
		// Between two moves the rate stands, and the status says what the last did.
		st.AdmittingPerS, st.Change = rc.rate.rate, rc.change
	}
	if open && !q.Settings.Fixed() {
		st.ExpectedPerS = max(st.AdmittingPerS, rc.rate.expected(st.Headroom))
	}
	switch {
	case open:
		settling := rc.settling(now, q.Waiting() > 0, c.cfg.RateEvery)
		switch {
		case held:
			rc.admit.pause()
			if q.Waiting() > 0 {
				st.Change = ChangeBusy
			}
		case settling && paced:
			// The first fans of a sale arrive with a burst of joins the signals do not
			// show yet: the fans admitted now would hold in the middle of it.
			rc.admit.pause()
		default:
			n = rc.admit.take(now, st.AdmittingPerS, q.admittable()-q.Watermark)
		}
		if paced {
			room := max(0, rc.window(st.Headroom, st.AdmittingPerS, &passes, now, c.cfg.InFlight)-passes.outstanding())
			if n > room {
				// The holds of the passes out do not come back as fast as the rate
				// lets fans in: the rate is not kept up with.
				rc.windowFull = true
			}
			n = min(n, room)
		}
		if seats, known := c.seatsAvailable(ctx, id); known {
			seatsLeft = seats
			// Every admitted fan takes the seats the holds of the room's passes took
			// on average (seatsPerFan, one at least): never more fans than the seats
			// left cover, less the fans admitted a moment ago who are about to hold
			// (but one fan at least, or a round twice the last, while seats stand and
			// no hold is on its way: seatsCap). When no seat is left for a waiting fan
			// (one seat a pass), the room says it is sold out once the holds of the
			// passes out are answered (they may leave seats), or at once when the store
			// shows no seat left: the holds on their way are answered by the sections,
			// SOLD_OUT unless a seat returned. It admits again if seats return (a hold
			// refused, released or expired).
			free := int64(seats) - c.unheld(ctx, rc, &passes, id, now, int64(seats), n)
			rc.learnSeats(&passes)
			fans := rc.fansFor(seats, passes.unused())
			n = max(0, min(n, c.seatsCap(rc, paced, q.Status.SoldOut, seats, free, fans, &passes, st.Headroom)))
			st.SeatsUpTo = q.Watermark + max(n, fans)
			told := seats <= 0 || free <= 0 && (c.cfg.Uses == nil || passes.outstanding() == 0)
			soldOutAfter(&st, q, told, fans, n)
		}
	default:
		rc.admit.pause()
	}
	res, err := c.cfg.Store.Admit(ctx, id, c.fence(), n, now, st)
	if err != nil {
		return err
	}
	if admitted := res.Watermark - q.Watermark; admitted > 0 {
		rc.recent = append(rc.recent, recentAdmission{at: now, n: admitted})
		rc.sinceRated += admitted
		if seatsLeft >= 0 {
			rc.waveSeats, rc.waveFans = seatsLeft, admitted
		}
		if rc.probe == probeNone {
			rc.probe, rc.probeAt, rc.roundAt = probeOut, now, now
		}
	}
	if res.ShufflePending == 0 {
		return nil
	}
	return c.shuffle(ctx, id)
}

// soldOutAfter records in st whether the room is sold out, and for whom. It is told
// once no seat is left for a waiting fan (told); from then on it stays sold out for
// every fan beyond those the seats left cover (fans, in position order, the n admitted
// at this step first).
// Seats that return after the tell so turn back to waiting only as many fans as there
// are seats: when they turned every waiting ticket back, a released seat in a
// 10,000-fan sale sent 3,687 followers their tickets again 0.14 s after the tell.
func soldOutAfter(st *Status, q *QueueState, told bool, fans, n int64) {
	if told || q.Status.SoldOut {
		st.SoldOut, st.SoldOutAfter = true, q.Watermark+max(n, fans)
	}
}

// validAdmissions reads the event's admissions whose passes may still be valid.
func (c *Controller) validAdmissions(ctx context.Context, eventID string) ([]recentAdmission, error) {
	q, err := c.cfg.Store.QueueState(ctx, eventID, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("read the admissions: %w", err)
	}
	prev := q.ExpiredUpTo
	out := make([]recentAdmission, 0, len(q.Admissions))
	for _, a := range q.Admissions {
		if a.UpTo > prev {
			out = append(out, recentAdmission{at: a.At, n: a.UpTo - prev})
			prev = a.UpTo
		}
	}
	return out, nil
}

// unheld counts the fans admitted who may not have held yet: with Uses, the passes
// valid and not used; otherwise the fans admitted within InFlight. The uses are read
// (once a step) only when they can change what the step does: not while the seats left
// cover every valid pass and the n fans due, at the seats a fan takes (a join burst,
// the start of a sale), nor when no seat is left.
func (c *Controller) unheld(ctx context.Context, rc *roomControl, p *passCount, eventID string, now time.Time, seats, n int64) int64 {
	if c.cfg.Uses == nil || p.valid == 0 || seats <= 0 || float64(seats) >= float64(p.valid+max(n, 1))*rc.seatsPerFan() {
		return p.unused()
	}
	c.readUses(ctx, p, eventID, now)
	return p.unused()
}

// seatsAvailable reads how many seats the event has left; known is false without an
// Inventory or when it cannot be read (the room then admits as if seats were left).
func (c *Controller) seatsAvailable(ctx context.Context, eventID string) (seats int, known bool) {
	if c.cfg.Inventory == nil {
		return 0, false
	}
	seats, err := c.cfg.Inventory.SeatsAvailable(ctx, eventID)
	if err != nil {
		if ctx.Err() == nil {
			c.cfg.Logger.Debug("reading the seats left failed; admitting as if some were", zap.String("event_id", eventID), zap.Error(err))
		}
		return 0, false
	}
	return seats, true
}

// shuffle draws the pending tickets' order (Fisher–Yates) and applies it.
func (c *Controller) shuffle(ctx context.Context, eventID string) error {
	ids, err := c.cfg.Store.PendingTickets(ctx, eventID)
	if err != nil {
		return fmt.Errorf("read the tickets to shuffle: %w", err)
	}
	shuffle(ids, c.cfg.Rand)
	applied, err := c.cfg.Store.ApplyShuffle(ctx, eventID, c.fence(), ids)
	if err != nil {
		return fmt.Errorf("apply the shuffle: %w", err)
	}
	if applied {
		c.cfg.Logger.Info("waiting room opened: positions drawn", zap.String("event_id", eventID), zap.Int("fans", len(ids)))
	}
	return nil
}

func (c *Controller) fence() Fence { return Fence{Lease: ControllerLease, Owner: c.owner} }

// shuffle puts ids in a uniformly random order drawn from rng (Fisher–Yates): every
// permutation is equally likely, as far as rng's state allows.
func shuffle(ids []string, rng *rand.Rand) {
	for i := len(ids) - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		ids[i], ids[j] = ids[j], ids[i]
	}
}

// forget has the store forget the room's tickets whose passes expired more than
// TicketRetention ago: once every forgetEvery, and at every step while a sweep of the
// room's tickets is on its way. Without it a room's tickets, a record and a user's
// entry for every fan who ever joined, stayed in Redis for good.
func (c *Controller) forget(ctx context.Context, eventID string, now time.Time) error {
	rc := c.rooms[eventID]
	if c.cfg.TicketRetention <= 0 || rc == nil || now.Before(rc.forgetAt) {
		return nil
	}
	f, err := c.cfg.Store.Forget(ctx, eventID, c.fence(), now, c.cfg.TicketRetention)
	if err != nil {
		return err
	}
	rc.forgetAt = now.Add(forgetEvery)
	if f.Sweeping {
		rc.forgetAt = now
	}
	if f.Tickets > 0 {
		c.cfg.Logger.Debug("forgot old tickets", zap.String("event_id", eventID), zap.Int("tickets", f.Tickets))
	}
	return nil
}

// forgetRoom has the store forget a room disabled for TicketRetention, its tickets and
// its queue: at every step until it is done, then not again while the room stays
// disabled (a room enabled, then disabled again, is forgotten anew). Without it the
// tickets of a room disabled after its sale, waiting or told sold out, stayed in Redis
// for good.
func (c *Controller) forgetRoom(ctx context.Context, s Settings, now time.Time) error {
	if c.cfg.TicketRetention <= 0 || s.DisabledAt.IsZero() || now.Sub(s.DisabledAt) < c.cfg.TicketRetention {
		return nil
	}
	if at, ok := c.forgotten[s.EventID]; ok && at.Equal(s.DisabledAt) {
		return nil
	}
	f, err := c.cfg.Store.ForgetRoom(ctx, s.EventID, c.fence(), now, c.cfg.TicketRetention)
	if err != nil {
		return err
	}
	c.forgetting[s.EventID] += f.Tickets
	if !f.Sweeping {
		c.forgotten[s.EventID] = s.DisabledAt
		if n := c.forgetting[s.EventID]; n > 0 {
			c.cfg.Logger.Info("forgot a disabled waiting room", zap.String("event_id", s.EventID),
				zap.Time("disabled_at", s.DisabledAt), zap.Int("tickets", n))
		}
		delete(c.forgetting, s.EventID)
	}
	return nil
}

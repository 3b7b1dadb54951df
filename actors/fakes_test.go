package actors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// fakeClock is a manual clock: AfterFunc callbacks run when Advance passes their time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time forward and runs the callbacks that came due, in time order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

// fakeStore keeps one section in memory and applies batches with the real fence rule: the
// seats in snap, and the holds, orders and idempotency records every batch wrote.
// Activation loads what the real store does: live holds, confirmed orders, every record.
// gate, when set, makes Commit wait until a value arrives (nil: commit, error: fail);
// failAll fails every Commit; afterCommit, when set, is what Commit returns after it
// wrote the batch (a commit whose answer was lost).
type fakeStore struct {
	mu          sync.Mutex
	snap        Snapshot
	batches     []*Batch
	holds       map[string]Hold
	orders      map[string]Order
	keys        map[idemKey]IdempotencyRecord
	gate        chan error
	failAll     error
	afterCommit error
	activations int
	// owner is the owner the last activation recorded; handedOver the epoch of the last
	// activation that recorded a clean stop (HandOver).
	owner      string
	handedOver int64
	handOvers  int
	// nextExpiry is what the last committed batch wrote as the section's next expiry.
	nextExpiry time.Time
	// clock, when set, is the database's clock; otherwise it reads the fake clock's start.
	clock *fakeClock
	// eventTickets are users' tickets in the whole event, as batches with UserTickets
	// moved them and tests set them for the event's other sections.
	eventTickets map[string]int
	// activateGate, when set, makes Activate wait until it is closed: a slow store that
	// keeps the section from reading its mailbox. Activate tells activating (when set,
	// without blocking) that it began.
	activateGate chan struct{}
	activating   chan struct{}
	// attempts are the attempts committed batches recorded; recordOnly counts the
	// batches that recorded attempts alone, and confirms those that wrote nothing at all
	// (they only confirmed the fence).
	attempts   []Attempt
	recordOnly int
	confirms   int
	// committing, when set, receives every batch as Commit starts on it (before gate).
	committing chan *Batch
	// delay, when set, is how long every commit takes (a store's round trips).
	delay time.Duration
}

func newFakeStore(kind SectionKind, capacity int, rows ...RowSpec) *fakeStore {
	s := &fakeStore{snap: Snapshot{
		Key: SectionKey{"ev", "S"}, Name: "S", Kind: kind, PriceCents: 1000, Capacity: capacity,
		Currency: "USD", MaxTicketsPerUser: 8,
	}, holds: map[string]Hold{}, orders: map[string]Order{}, keys: map[idemKey]IdempotencyRecord{}, eventTickets: map[string]int{}}
	for r, row := range rows {
		for n := 1; n <= row.Seats; n++ {
			s.snap.Seats = append(s.snap.Seats, Seat{ID: SeatID(row.Label, n), Row: row.Label, RowIndex: r, Number: n, Status: SeatAvailable})
		}
	}
	if kind == KindReserved {
		s.snap.Capacity = len(s.snap.Seats)
	}
	return s
}

func (s *fakeStore) Activate(ctx context.Context, key SectionKey, owner string, _ time.Duration) (*Snapshot, error) {
	s.mu.Lock()
	gate, activating := s.activateGate, s.activating
	s.mu.Unlock()
	if activating != nil {
		select {
		case activating <- struct{}{}:
		default:
		}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != s.snap.Key {
		return nil, ErrNotFound
	}
	s.snap.Epoch++
	s.activations++
	s.snap.PrevOwner, s.owner = s.owner, owner
	s.snap.Orphaned = s.snap.Epoch > 1 && s.handedOver != s.snap.Epoch-1
	c := s.snap
	c.Seats = append([]Seat(nil), s.snap.Seats...)
	c.Holds = append([]Hold(nil), s.snap.Holds...)
	for _, h := range s.holds {
		if h.Status == HoldHeld {
			c.Holds = append(c.Holds, h)
		}
	}
	for _, o := range s.orders {
		if o.Status == OrderConfirmed {
			c.Orders = append(c.Orders, o)
		}
	}
	for _, r := range s.keys {
		c.Idempotency = append(c.Idempotency, r)
	}
	c.DBNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if s.clock != nil {
		c.DBNow = s.clock.Now()
	}
	return &c, nil
}

// HandOver records a clean stop of the activation of epoch, fenced like the store's.
func (s *fakeStore) HandOver(_ context.Context, key SectionKey, epoch int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == s.snap.Key && epoch == s.snap.Epoch {
		s.handedOver = epoch
		s.handOvers++
	}
	return nil
}

func (s *fakeStore) Commit(ctx context.Context, b *Batch) error {
	s.mu.Lock()
	gate, failAll, committing, delay := s.gate, s.failAll, s.committing, s.delay
	s.mu.Unlock()
	if committing != nil {
		committing <- b
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if gate != nil {
		select {
		case err := <-gate:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if failAll != nil {
		return failAll
	}
	if b.Epoch != s.snap.Epoch || b.Version != s.snap.Version {
		return ErrFenced
	}
	if over := s.overLimit(b); over != nil {
		return fmt.Errorf("commit: %w", over)
	}
	for _, c := range b.UserTickets {
		s.eventTickets[c.UserID] = max(0, s.eventTickets[c.UserID]+c.Delta)
	}
	s.attempts = append(s.attempts, b.Attempts...)
	s.snap.AttemptSeq = b.LastSeq
	if b.RecordOnly && len(b.Attempts) == 0 {
		s.confirms++
		return s.afterCommit
	}
	if b.RecordOnly {
		s.recordOnly++
		return s.afterCommit
	}
	s.snap.Version++
	s.snap.Held, s.snap.Sold = b.Held, b.Sold
	s.nextExpiry = b.NextExpiry
	idx := map[string]int{}
	for i, seat := range s.snap.Seats {
		idx[seat.ID] = i
	}
	for _, c := range b.Seats {
		st := &s.snap.Seats[idx[c.ID]]
		st.Status, st.HoldID, st.OrderID = c.Status, c.HoldID, c.OrderID
	}
	for _, h := range b.Holds {
		s.holds[h.ID] = h
	}
	for _, o := range b.Orders {
		s.orders[o.ID] = o
	}
	for _, r := range b.Keys {
		if _, ok := s.keys[idemKey{r.UserID, r.Key}]; !ok {
			s.keys[idemKey{r.UserID, r.Key}] = r
		}
	}
	s.batches = append(s.batches, b)
	return s.afterCommit
}

func (s *fakeStore) OrderOfHold(_ context.Context, _ SectionKey, holdID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.holds[holdID]; h.Status == HoldConfirmed {
		return h.OrderID, nil
	}
	return "", nil
}

// The fake store is the Client's directory too.

func (s *fakeStore) LocateHold(_ context.Context, id string) (SectionKey, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.holds[id]
	if !ok {
		return SectionKey{}, "", ErrNotFound
	}
	return SectionKey{h.EventID, h.SectionID}, h.UserID, nil
}

func (s *fakeStore) LocateOrder(_ context.Context, id string) (SectionKey, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return SectionKey{}, "", ErrNotFound
	}
	return SectionKey{o.EventID, o.SectionID}, o.UserID, nil
}

func (s *fakeStore) TicketsElsewhere(context.Context, string, string, string) (int, error) {
	return 0, nil
}

func (s *fakeStore) Idempotent(_ context.Context, userID, key string) (IdempotencyRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.keys[idemKey{userID, key}]
	return r, ok, nil
}

func (s *fakeStore) GetHold(_ context.Context, id string) (Hold, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.holds[id]
	if !ok {
		return Hold{}, ErrNotFound
	}
	return h, nil
}

func (s *fakeStore) GetOrder(_ context.Context, id string) (Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, ErrNotFound
	}
	return o, nil
}

// overLimit is the store's check of the per-user limit over the whole event.
func (s *fakeStore) overLimit(b *Batch) *LimitError {
	var over *LimitError
	for _, c := range b.UserTickets {
		if c.Delta > 0 && s.eventTickets[c.UserID]+c.Delta > b.MaxTicketsPerUser {
			if over == nil {
				over = &LimitError{Totals: map[string]int{}}
			}
			over.Totals[c.UserID] = s.eventTickets[c.UserID]
		}
	}
	return over
}

// setEventTickets sets a user's tickets in the whole event, as another section's commit.
func (s *fakeStore) setEventTickets(user string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventTickets[user] = n
}

// next returns the section's next expiry as last committed.
func (s *fakeStore) next() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextExpiry
}

// activationCount returns how many activations the store saw.
func (s *fakeStore) activationCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activations
}

func (s *fakeStore) committed() []*Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Batch(nil), s.batches...)
}

func (s *fakeStore) seat(id string) Seat {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.snap.Seats {
		if st.ID == id {
			return st
		}
	}
	return Seat{}
}

// holdCount counts the store's holds in status st.
func (s *fakeStore) holdCount(st HoldStatus) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.holds {
		if h.Status == st {
			n++
		}
	}
	return n
}

type recordingTracer struct {
	mu     sync.Mutex
	traces []Trace
}

func (r *recordingTracer) Trace(t Trace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.traces = append(r.traces, t)
}

func (r *recordingTracer) count(typ, outcome string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, t := range r.traces {
		if t.Type == typ && (outcome == "" || t.Outcome == outcome) {
			n++
		}
	}
	return n
}

// wantCount is a check for testenv.Eventually: it passes once exactly n traces of type
// typ were recorded.
func (r *recordingTracer) wantCount(typ string, n int) func() error {
	return func() error {
		if got := r.count(typ, ""); got != n {
			return fmt.Errorf("%d %s traces, want %d", got, typ, n)
		}
		return nil
	}
}

// fakeLeases keeps leases in memory on the fake clock. A lease held by another owner
// answers its remaining time; the Acquire after a refused one first moves the clock on by
// step, as if the caller had waited that long in between, and after releaseAfter
// refusals (0: never) the other owner releases it, as a node handing its sections over
// does.
type fakeLeases struct {
	mu           sync.Mutex
	clock        *fakeClock
	step         time.Duration
	releaseAfter int
	refused      int
	waited       bool // the last Acquire was refused: the next one comes step later
	holder       map[string]string
	expires      map[string]time.Time
}

func newFakeLeases(clock *fakeClock, step time.Duration) *fakeLeases {
	return &fakeLeases{clock: clock, step: step, holder: map[string]string{}, expires: map[string]time.Time{}}
}

// hold makes owner hold name for the time left.
func (l *fakeLeases) hold(name, owner string, left time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holder[name], l.expires[name] = owner, l.clock.Now().Add(left)
}

func (l *fakeLeases) Acquire(_ context.Context, name, owner string, ttl time.Duration) (bool, LeaseHolder, error) {
	l.mu.Lock()
	if l.waited {
		l.waited = false
		l.mu.Unlock()
		l.clock.Advance(l.step)
		l.mu.Lock()
	}
	now := l.clock.Now()
	if h := l.holder[name]; h != "" && h != owner && now.Before(l.expires[name]) {
		remaining := l.expires[name].Sub(now)
		l.refused++
		if l.releaseAfter > 0 && l.refused >= l.releaseAfter {
			delete(l.holder, name)
		}
		l.waited = true
		l.mu.Unlock()
		return false, LeaseHolder{Owner: h, Remaining: remaining}, nil
	}
	l.holder[name], l.expires[name] = owner, now.Add(ttl)
	l.mu.Unlock()
	return true, LeaseHolder{}, nil
}

func (l *fakeLeases) TakeOver(_ context.Context, name, from, owner string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if h := l.holder[name]; h != "" && h != from && now.Before(l.expires[name]) {
		return false, nil
	}
	l.waited = false
	l.holder[name], l.expires[name] = owner, now.Add(ttl)
	return true, nil
}

func (l *fakeLeases) Renew(_ context.Context, name, owner string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder[name] != owner {
		return false, nil
	}
	l.expires[name] = l.clock.Now().Add(ttl)
	return true, nil
}

func (l *fakeLeases) Release(_ context.Context, name, owner string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder[name] == owner {
		delete(l.holder, name)
	}
	return nil
}

// fakeReminderStore is the reminder's store on the fake clock: one lease, and the fake
// store's section when its next expiry is due. down, when set, fails every call, as a
// process that died can no longer reach the store.
type fakeReminderStore struct {
	sections *fakeStore
	clock    *fakeClock
	lease    *fakeReminderLease
	down     bool
	mu       sync.Mutex
}

// fakeReminderLease is the one reminder lease several fakeReminderStores share.
type fakeReminderLease struct {
	mu      sync.Mutex
	holder  string
	expires time.Time
}

func (l *fakeReminderLease) current() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holder
}

var errStoreDown = errors.New("store unreachable")

func (s *fakeReminderStore) crash() {
	s.mu.Lock()
	s.down = true
	s.mu.Unlock()
}

func (s *fakeReminderStore) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

func (s *fakeReminderStore) ClaimReminder(_ context.Context, holder, takeFrom string, ttl time.Duration) (bool, string, error) {
	if s.isDown() {
		return false, "", errStoreDown
	}
	l := s.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	now := s.clock.Now()
	if l.holder == "" || l.holder == holder || !now.Before(l.expires) || (takeFrom != "" && l.holder == takeFrom) {
		l.holder, l.expires = holder, now.Add(ttl)
		return true, holder, nil
	}
	return false, l.holder, nil
}

func (s *fakeReminderStore) ReleaseReminder(_ context.Context, holder string) error {
	if s.isDown() {
		return errStoreDown
	}
	l := s.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder == holder {
		l.holder = ""
	}
	return nil
}

func (s *fakeReminderStore) DueSections(_ context.Context, grace time.Duration, _ int) ([]SectionKey, error) {
	if s.isDown() {
		return nil, errStoreDown
	}
	next := s.sections.next()
	if next.IsZero() || next.After(s.clock.Now().Add(-grace)) {
		return nil, nil
	}
	return []SectionKey{s.sections.snap.Key}, nil
}

// fakeMembership says which member ids are alive.
type fakeMembership struct {
	mu   sync.Mutex
	dead map[string]bool
}

func (m *fakeMembership) kill(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dead == nil {
		m.dead = map[string]bool{}
	}
	m.dead[id] = true
}

func (m *fakeMembership) MemberAlive(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.dead[id]
}

func (s *fakeStore) recorded() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.attempts...)
}

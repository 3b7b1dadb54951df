package waitingroom

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// memStore is an in-memory QueueStore with the Redis scripts' rules, for the domain's
// unit tests (persistence's tests run the real scripts). It holds no lease: every
// fence holds.
type memStore struct {
	mu      sync.Mutex
	rooms   map[string]*memRoom
	tickets map[string]TicketRecord
	// forgets records the calls of Forget (the persistence tests cover what it does);
	// sweeps is how many of the next calls answer that a sweep is on its way.
	forgets []forgetCall
	sweeps  int
	// roomForgets and roomSweeps are the same for ForgetRoom.
	roomForgets []forgetCall
	roomSweeps  int
}

// forgetCall is one call of memStore.Forget.
type forgetCall struct {
	eventID   string
	at        time.Time
	retention time.Duration
}

type memRoom struct {
	QueueState
	users   map[string]string
	pending []string
	adm     []Admission
}

func newMemStore() *memStore {
	return &memStore{rooms: map[string]*memRoom{}, tickets: map[string]TicketRecord{}}
}

func (m *memStore) room(id string) *memRoom {
	r := m.rooms[id]
	if r == nil {
		r = &memRoom{QueueState: QueueState{Settings: Settings{EventID: id, Order: OrderFIFO}}, users: map[string]string{}}
		m.rooms[id] = r
	}
	return r
}

func (m *memStore) state(r *memRoom) QueueState {
	q := r.QueueState
	q.Pending = int64(len(r.pending))
	q.Admissions = nil
	return q
}

func (m *memStore) SaveSettings(_ context.Context, s Settings, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(s.EventID)
	s.DisabledAt = time.Time{}
	if !s.Enabled {
		s.DisabledAt = now
	}
	r.Settings, r.Configured = s, true
	if s.Order == OrderRandom && s.OpensAt.After(now) && len(r.pending) == 0 {
		r.Closed = false
	}
	return nil
}

func (m *memStore) Rooms(context.Context) ([]QueueState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []QueueState
	for _, r := range m.rooms {
		if r.Configured {
			out = append(out, m.state(r))
		}
	}
	return out, nil
}

func (m *memStore) QueueState(_ context.Context, eventID string, above int64, maxAdmissions int) (QueueState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(eventID)
	q := m.state(r)
	for _, a := range r.adm {
		if maxAdmissions == 0 || (maxAdmissions > 0 && len(q.Admissions) == maxAdmissions) {
			break
		}
		if a.UpTo > above {
			q.Admissions = append(q.Admissions, a)
		}
	}
	return q, nil
}

// closeIfDue reserves the pending tickets' positions once the entry window is over.
func (r *memRoom) closeIfDue(now time.Time) {
	if r.Closed || len(r.pending) == 0 {
		return
	}
	if r.Settings.Order == OrderRandom && !r.Settings.OpensAt.IsZero() && now.Before(r.Settings.OpensAt) {
		return
	}
	r.ShuffleBase, r.Closed = r.Assigned, true
	r.Assigned += int64(len(r.pending))
}

func (m *memStore) Join(_ context.Context, eventID, userID, newID string, now time.Time) (TicketRecord, bool, QueueState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(eventID)
	if id, ok := r.users[userID]; ok {
		rec := m.tickets[id]
		q := r.QueueState
		q.Admissions = r.adm
		if t := render(rec, &q, now, NewPasses([]byte("x"))); t.Status != TicketExpired {
			return rec, false, m.state(r), nil
		}
	}
	if !r.Configured || !r.Settings.Enabled {
		return TicketRecord{}, false, QueueState{}, &actors.Error{Code: actors.CodeNotFound, Message: "no room"}
	}
	rec := TicketRecord{ID: newID, EventID: eventID, UserID: userID, JoinedAt: now}
	if r.Settings.Order == OrderRandom && !r.Closed && !r.Settings.OpensAt.IsZero() && now.Before(r.Settings.OpensAt) {
		r.pending = append(r.pending, newID)
	} else {
		r.closeIfDue(now)
		r.Assigned++
		rec.Position = r.Assigned
	}
	r.Joined++
	m.tickets[newID] = rec
	r.users[userID] = newID
	return rec, true, m.state(r), nil
}

func (m *memStore) Ticket(_ context.Context, id string) (TicketRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.tickets[id]
	if !ok {
		return rec, &actors.Error{Code: actors.CodeNotFound, Message: "ticket not found"}
	}
	return rec, nil
}

func (m *memStore) Tickets(_ context.Context, ids []string) ([]TicketRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []TicketRecord
	for _, id := range ids {
		if rec, ok := m.tickets[id]; ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

func (m *memStore) Admit(_ context.Context, eventID string, _ Fence, n int64, now time.Time, st Status) (AdmitResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(eventID)
	r.closeIfDue(now)
	r.Pending = int64(len(r.pending))
	upTo := min(r.Watermark+n, r.admittable())
	if upTo > r.Watermark {
		r.Watermark = upTo
		r.adm = append(r.adm, Admission{UpTo: upTo, At: now})
	}
	r.Status = st
	res := AdmitResult{Watermark: r.Watermark}
	if r.Closed {
		res.ShufflePending = int64(len(r.pending))
	}
	return res, nil
}

func (m *memStore) PendingTickets(_ context.Context, eventID string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.room(eventID).pending...), nil
}

func (m *memStore) ApplyShuffle(_ context.Context, eventID string, _ Fence, ids []string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(eventID)
	if !r.Closed || len(r.pending) == 0 || len(ids) != len(r.pending) {
		return false, nil
	}
	for i, id := range ids {
		rec := m.tickets[id]
		rec.Position = r.ShuffleBase + int64(i) + 1
		m.tickets[id] = rec
	}
	r.pending = nil
	r.Shuffles++
	return true, nil
}

func (m *memStore) Forget(_ context.Context, eventID string, _ Fence, now time.Time, retention time.Duration) (Forgotten, error) {
	return m.noteForget(&m.forgets, &m.sweeps, forgetCall{eventID: eventID, at: now, retention: retention}), nil
}

func (m *memStore) ForgetRoom(_ context.Context, eventID string, _ Fence, now time.Time, retention time.Duration) (Forgotten, error) {
	return m.noteForget(&m.roomForgets, &m.roomSweeps, forgetCall{eventID: eventID, at: now, retention: retention}), nil
}

// noteForget records call in calls and answers that a sweep is on its way while
// sweeps lasts.
func (m *memStore) noteForget(calls *[]forgetCall, sweeps *int, call forgetCall) Forgotten {
	m.mu.Lock()
	defer m.mu.Unlock()
	*calls = append(*calls, call)
	if *sweeps > 0 {
		*sweeps--
		return Forgotten{Sweeping: true}
	}
	return Forgotten{}
}

// memSignals is a HeadroomSource that answers what a test sets.
type memSignals struct {
	mu      sync.Mutex
	signals []Signal
}

func (s *memSignals) Signals(context.Context, string) ([]Signal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Signal(nil), s.signals...), nil
}

// openLeases is a Leases that every caller holds.
type openLeases struct{}

func (openLeases) Acquire(context.Context, string, string, time.Duration) (bool, actors.LeaseHolder, error) {
	return true, actors.LeaseHolder{}, nil
}
func (openLeases) Renew(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}
func (openLeases) Release(context.Context, string, string) error { return nil }

func newTestService(t *testing.T, store QueueStore, clock Clock) *Service {
	t.Helper()
	n := 0
	s, err := NewService(ServiceConfig{Store: store, Secret: []byte("secret"), Logger: zap.NewNop(), Clock: clock,
		NewID: func() string { n++; return fmt.Sprintf("%s%d", TicketIDPrefix, n) }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

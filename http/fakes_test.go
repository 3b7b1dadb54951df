package http

import (
	"context"
	"sync"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeReservations records every call and answers with err when set, or with a hold or
// order built from the request.
type fakeReservations struct {
	mu       sync.Mutex
	err      error
	holds    []actors.HoldRequest
	confirms []actors.ConfirmRequest
	releases [][2]string
	extends  [][2]string
	cancels  []cancelCall
	// deadline is the deadline of the last Hold's context.
	deadline    time.Time
	hasDeadline bool
	// block, when set, is waited on inside Hold after entered is closed.
	entered chan struct{}
	block   chan struct{}
}

type cancelCall struct {
	orderID, userID string
	admin           bool
}

func (f *fakeReservations) Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error) {
	f.mu.Lock()
	f.holds = append(f.holds, r)
	f.deadline, f.hasDeadline = ctx.Deadline()
	err, entered, block := f.err, f.entered, f.block
	f.mu.Unlock()
	if entered != nil {
		close(entered)
	}
	if block != nil {
		<-block
	}
	if err != nil {
		return actors.Hold{}, err
	}
	q := r.Quantity
	if len(r.Seats) > 0 {
		q = len(r.Seats)
	}
	return actors.Hold{
		ID: "h_1", EventID: r.EventID, SectionID: r.SectionID, UserID: r.UserID,
		Seats: r.Seats, Quantity: q, Status: actors.HoldHeld,
		ExpiresAt: testNow.Add(10 * time.Minute), CreatedAt: testNow,
	}, nil
}

func (f *fakeReservations) Release(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.releases = append(f.releases, [2]string{holdID, userID})
	if f.err != nil {
		return actors.Hold{}, f.err
	}
	return actors.Hold{ID: holdID, UserID: userID, Status: actors.HoldReleased}, nil
}

func (f *fakeReservations) Extend(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.extends = append(f.extends, [2]string{holdID, userID})
	if f.err != nil {
		return actors.Hold{}, f.err
	}
	return actors.Hold{
		ID: holdID, EventID: "e1", SectionID: "A", UserID: userID, Seats: []string{"A-1"}, Quantity: 1,
		Status: actors.HoldHeld, ExpiresAt: testNow.Add(20 * time.Minute), CreatedAt: testNow,
	}, nil
}

func (f *fakeReservations) Confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.confirms = append(f.confirms, r)
	if f.err != nil {
		return actors.Order{}, f.err
	}
	return actors.Order{
		ID: "o_1", HoldID: r.HoldID, EventID: "e1", SectionID: "A", UserID: r.UserID,
		Seats: []string{"A-1", "A-2"}, Quantity: 2, Status: actors.OrderConfirmed,
		TotalCents: 24000, Currency: "USD", CreatedAt: testNow,
	}, nil
}

func (f *fakeReservations) Cancel(ctx context.Context, orderID, userID string, admin bool) (actors.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels = append(f.cancels, cancelCall{orderID, userID, admin})
	if f.err != nil {
		return actors.Order{}, f.err
	}
	return actors.Order{
		ID: orderID, HoldID: "h_1", EventID: "e1", SectionID: "floor", UserID: "alice",
		Quantity: 2, Status: actors.OrderCancelled, TotalCents: 16000, Currency: "USD", CreatedAt: testNow,
	}, nil
}

// fakeCatalog serves fixed data; err, when set, is returned by every method.
type fakeCatalog struct {
	mu      sync.Mutex
	err     error
	created []actors.Event
	events  []actors.Event
	holds   map[string]actors.Hold
	orders  map[string]actors.Order
	maps    map[string]actors.SeatMap
	listFor []string
}

func newFakeCatalog() *fakeCatalog {
	ev := actors.Event{
		ID: "e1", Name: "Night Drop", Venue: "Arena", StartsAt: time.Date(2026, 12, 31, 20, 0, 0, 0, time.FixedZone("X", 3600)),
		Currency: "USD", Status: "on_sale", MaxTicketsPerUser: 8,
		Sections: []actors.Section{
			{ID: "A", Name: "Section A", Kind: actors.KindReserved, PriceCents: 12000, Capacity: 42, Available: 40, Held: 1, Sold: 1},
			{ID: "floor", Name: "Floor", Kind: actors.KindGeneralAdmission, PriceCents: 8000, Capacity: 500, Available: 500},
		},
	}
	return &fakeCatalog{
		events: []actors.Event{ev},
		holds: map[string]actors.Hold{
			"h_alice": {ID: "h_alice", EventID: "e1", SectionID: "floor", UserID: "alice", Quantity: 2,
				Status: actors.HoldHeld, ExpiresAt: testNow.Add(10 * time.Minute), CreatedAt: testNow},
		},
		orders: map[string]actors.Order{
			"o_alice": {ID: "o_alice", HoldID: "h_x", EventID: "e1", SectionID: "A", UserID: "alice",
				Seats: []string{"A-1"}, Quantity: 1, Status: actors.OrderConfirmed, TotalCents: 12000, Currency: "USD", CreatedAt: testNow},
		},
		maps: map[string]actors.SeatMap{
			"e1/A": {SectionID: "A", Kind: actors.KindReserved, Version: 7, Seats: []actors.Seat{
				{ID: "A-1", Row: "A", Number: 1, Accessible: true, Status: actors.SeatSold, HoldID: "secret", OrderID: "secret"},
				{ID: "A-2", Row: "A", Number: 2, Status: actors.SeatAvailable},
			}},
			"e1/floor": {SectionID: "floor", Kind: actors.KindGeneralAdmission, Version: 3, Capacity: 500, Available: 490, Held: 6, Sold: 4},
		},
	}
}

func (f *fakeCatalog) CreateEvent(ctx context.Context, ev actors.Event) (actors.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, ev)
	if f.err != nil {
		return actors.Event{}, f.err
	}
	ev.ID = "ev_new"
	return ev, nil
}

func (f *fakeCatalog) ListEvents(ctx context.Context) ([]actors.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events, f.err
}

func (f *fakeCatalog) GetEvent(ctx context.Context, id string) (actors.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return actors.Event{}, f.err
	}
	for _, ev := range f.events {
		if ev.ID == id {
			return ev, nil
		}
	}
	return actors.Event{}, actors.ErrNotFound
}

func (f *fakeCatalog) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return actors.SeatMap{}, f.err
	}
	m, ok := f.maps[eventID+"/"+sectionID]
	if !ok {
		return actors.SeatMap{}, actors.ErrNotFound
	}
	return m, nil
}

func (f *fakeCatalog) GetHold(ctx context.Context, id string) (actors.Hold, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return actors.Hold{}, f.err
	}
	h, ok := f.holds[id]
	if !ok {
		return actors.Hold{}, actors.ErrNotFound
	}
	return h, nil
}

func (f *fakeCatalog) GetOrder(ctx context.Context, id string) (actors.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return actors.Order{}, f.err
	}
	o, ok := f.orders[id]
	if !ok {
		return actors.Order{}, actors.ErrNotFound
	}
	return o, nil
}

func (f *fakeCatalog) ListHolds(ctx context.Context, userID string) ([]actors.Hold, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []actors.Hold
	for _, h := range f.holds {
		if h.UserID == userID && h.Status == actors.HoldHeld {
			out = append(out, h)
		}
	}
	return out, nil
}

func (f *fakeCatalog) ListOrders(ctx context.Context, userID string) ([]actors.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listFor = append(f.listFor, userID)
	if f.err != nil {
		return nil, f.err
	}
	var out []actors.Order
	for _, o := range f.orders {
		if o.UserID == userID {
			out = append(out, o)
		}
	}
	return out, nil
}

// fakeLimiter answers Allow with fixed values and records the keys.
type fakeLimiter struct {
	mu         sync.Mutex
	keys       []string
	allowed    bool
	retryAfter time.Duration
	err        error
}

func (f *fakeLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, key)
	return f.allowed, f.retryAfter, f.err
}

func (f *fakeLimiter) set(allowed bool, retryAfter time.Duration, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allowed, f.retryAfter, f.err = allowed, retryAfter, err
}

// fakeCluster serves a fixed status.
type fakeCluster struct {
	mu      sync.Mutex
	drained int
	err     error
}

func (f *fakeCluster) Status(ctx context.Context) (ClusterStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ClusterStatus{Node: "n1", Members: []ClusterMember{
		{Name: "n1", Address: "127.0.0.1:7946", Status: "alive", Sections: 3},
		{Name: "n2", Address: "127.0.0.1:7947", Status: "suspect", Sections: 0},
	}}, f.err
}

func (f *fakeCluster) Drain(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drained++
	return f.err
}

package flashsale

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// crowdReservations is the fans' Reservations: it keeps seats like a tiny
// section would, refuses taken seats, declines tok_decline, and measures how many calls
// are in flight at once.
type crowdReservations struct {
	delay time.Duration
	// gate, when set, holds every call until it is closed.
	gate chan struct{}

	inFlight    atomic.Int64
	maxInFlight atomic.Int64

	mu        sync.Mutex
	taken     map[string]string // seat → hold id
	holds     map[string]actors.HoldRequest
	n         int
	users     map[string]bool
	explicit  int
	quantity  int
	confirms  map[string]int // token → count
	releases  int
	conflicts int
}

func newCrowdReservations(delay time.Duration) *crowdReservations {
	return &crowdReservations{delay: delay, taken: map[string]string{}, holds: map[string]actors.HoldRequest{},
		users: map[string]bool{}, confirms: map[string]int{}}
}

func (r *crowdReservations) enter(ctx context.Context) (leave func(), err error) {
	n := r.inFlight.Add(1)
	for {
		m := r.maxInFlight.Load()
		if n <= m || r.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	t := time.NewTimer(r.delay)
	defer t.Stop()
	wait := t.C
	if r.gate != nil {
		wait = nil
	}
	select {
	case <-wait:
	case <-r.gate:
	case <-ctx.Done():
		r.inFlight.Add(-1)
		return nil, ctx.Err()
	}
	return func() { r.inFlight.Add(-1) }, nil
}

func (r *crowdReservations) Hold(ctx context.Context, req actors.HoldRequest) (actors.Hold, error) {
	leave, err := r.enter(ctx)
	if err != nil {
		return actors.Hold{}, err
	}
	defer leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.users[req.UserID] = true
	seats := req.Seats
	if len(seats) > 0 {
		r.explicit++
		var busy []string
		for _, s := range seats {
			if r.taken[s] != "" {
				busy = append(busy, s)
			}
		}
		if len(busy) > 0 {
			r.conflicts++
			return actors.Hold{}, actors.SeatsUnavailable(busy)
		}
	} else {
		r.quantity++
		seats = nil
		for i := 1; len(seats) < req.Quantity && i <= 40; i++ {
			id := "A-" + strconv.Itoa(i)
			if r.taken[id] == "" {
				seats = append(seats, id)
			}
		}
		if len(seats) < req.Quantity {
			return actors.Hold{}, actors.ErrSoldOut
		}
	}
	r.n++
	id := "h_" + strconv.Itoa(r.n)
	for _, s := range seats {
		r.taken[s] = id
	}
	r.holds[id] = req
	return actors.Hold{ID: id, EventID: req.EventID, SectionID: req.SectionID, UserID: req.UserID, Seats: seats, Status: actors.HoldHeld}, nil
}

func (r *crowdReservations) Confirm(ctx context.Context, req actors.ConfirmRequest) (actors.Order, error) {
	leave, err := r.enter(ctx)
	if err != nil {
		return actors.Order{}, err
	}
	defer leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holds[req.HoldID].UserID != req.UserID {
		return actors.Order{}, actors.ErrForbidden
	}
	r.confirms[req.PaymentToken]++
	if req.PaymentToken == "tok_decline" {
		return actors.Order{}, actors.ErrPaymentDeclined
	}
	return actors.Order{ID: "o_" + req.HoldID, HoldID: req.HoldID, UserID: req.UserID, Status: actors.OrderConfirmed}, nil
}

func (r *crowdReservations) Release(ctx context.Context, holdID, userID string) (actors.Hold, error) {
	leave, err := r.enter(ctx)
	if err != nil {
		return actors.Hold{}, err
	}
	defer leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holds[holdID].UserID != userID {
		return actors.Hold{}, actors.ErrForbidden
	}
	r.releases++
	for s, h := range r.taken {
		if h == holdID {
			delete(r.taken, s)
		}
	}
	return actors.Hold{ID: holdID, Status: actors.HoldReleased}, nil
}

// crowdCatalog shows event e1 with a reserved section A of 40 seats, of which the fake
// reservations' taken ones are held, and a general-admission section floor.
type crowdCatalog struct {
	res *crowdReservations
}

func (c *crowdCatalog) GetEvent(_ context.Context, id string) (actors.Event, error) {
	if id != "e1" {
		return actors.Event{}, actors.ErrNotFound
	}
	return actors.Event{ID: "e1", Name: "Night Drop", Sections: []actors.Section{
		{ID: "A", Kind: actors.KindReserved, Capacity: 40},
		{ID: "floor", Kind: actors.KindGeneralAdmission, Capacity: 500},
	}}, nil
}

func (c *crowdCatalog) SeatMap(_ context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	switch {
	case eventID == "e1" && sectionID == "floor":
		return actors.SeatMap{SectionID: "floor", Kind: actors.KindGeneralAdmission, Version: 1, Capacity: 500, Available: 500}, nil
	case eventID != "e1" || sectionID != "A":
		return actors.SeatMap{}, actors.ErrNotFound
	}
	c.res.mu.Lock()
	defer c.res.mu.Unlock()
	m := actors.SeatMap{SectionID: "A", Kind: actors.KindReserved, Version: 1}
	for i := 1; i <= 40; i++ {
		id := "A-" + strconv.Itoa(i)
		st := actors.SeatAvailable
		if c.res.taken[id] != "" {
			st = actors.SeatHeld
		}
		m.Seats = append(m.Seats, actors.Seat{ID: id, Row: "A", Number: i, Status: st})
	}
	return m, nil
}

func newTestSales(t *testing.T, res Reservations, cat Catalog, mutate ...func(*Config)) *Sales {
	t.Helper()
	cfg := Config{Reservations: res, Catalog: cat, Logger: zap.NewNop(), Seed: 42, ThinkTime: -1}
	for _, m := range mutate {
		m(&cfg)
	}
	fs, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fs.Close(ctx); err != nil {
			t.Errorf("close flash sales: %v", err)
		}
	})
	return fs
}

// newCrowd is a crowd's fake reservations and the catalog that shows them.
func newCrowd(delay time.Duration) (*crowdReservations, *crowdCatalog) {
	res := newCrowdReservations(delay)
	return res, &crowdCatalog{res: res}
}

func waitDone(t *testing.T, fs *Sales, id string) Status {
	t.Helper()
	var st Status
	testenv.Eventually(t, 30*time.Second, func() error {
		var err error
		st, err = fs.Status(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != "done" {
			return fmt.Errorf("flash sale %s is %s after %d attempts", id, st.Status, st.Attempts)
		}
		return nil
	})
	return st
}

// TestCrowdIsBoundedAndFinishes runs a crowd through fake reservations: it
// never has more fans in flight than the cap, every fan is its own user, each hold
// attempt ends as a hold or a refusal, and the fans follow the script.
func TestCrowdIsBoundedAndFinishes(t *testing.T) {
	res, cat := newCrowd(3 * time.Millisecond)
	fs := newTestSales(t, res, cat, func(c *Config) { c.MaxInFlight = 4 })
	started, err := fs.Start(context.Background(), Request{EventID: "e1", SectionID: "A", Fans: 80, Seconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(started.ID, "fs_") || started.Status != "running" || started.Fans != 80 || started.Seconds != 1 {
		t.Fatalf("started %+v", started)
	}
	st := waitDone(t, fs, started.ID)

	if m := res.maxInFlight.Load(); m > 4 {
		t.Errorf("%d calls in flight at once, cap is 4", m)
	}
	res.mu.Lock()
	defer res.mu.Unlock()
	if len(res.users) != 80 {
		t.Errorf("%d distinct users, want 80", len(res.users))
	}
	for u := range res.users {
		if !strings.HasPrefix(u, "sim-"+started.ID+"-") {
			t.Errorf("user %q is not sim-<id>-<n>", u)
		}
	}
	if st.Attempts != st.Holds+st.Refusals || st.Attempts < 80 {
		t.Errorf("status %+v: attempts must be holds + refusals, at least one per fan", st)
	}
	if int(st.Attempts) != res.explicit+res.quantity || int(st.Holds) != res.n {
		t.Errorf("status %+v, reservations saw %d explicit and %d quantity holds, %d granted", st, res.explicit, res.quantity, res.n)
	}
	if res.explicit == 0 || res.conflicts == 0 || res.quantity < res.conflicts {
		t.Errorf("explicit %d, conflicts %d, quantity %d: fans must try explicit seats and fall back to best available", res.explicit, res.conflicts, res.quantity)
	}
	if int(st.Orders) != res.confirms["tok_ok"] || st.Orders == 0 || res.confirms["tok_decline"] == 0 || res.releases < res.confirms["tok_decline"] {
		t.Errorf("orders %d, confirms %v, releases %d", st.Orders, res.confirms, res.releases)
	}
	if abandoned := int(st.Holds) - res.confirms["tok_ok"] - res.releases; abandoned <= 0 {
		t.Errorf("no fan abandoned a hold (holds %d, orders %d, releases %d)", st.Holds, st.Orders, res.releases)
	}
}

// TestCapHoldsBackTheCrowd holds every call: the fans that arrive meanwhile wait for a
// slot instead of piling onto the engine.
func TestCapHoldsBackTheCrowd(t *testing.T) {
	res, cat := newCrowd(0)
	res.gate = make(chan struct{})
	fs := newTestSales(t, res, cat, func(c *Config) { c.MaxInFlight = 3 })
	st, err := fs.Start(context.Background(), Request{EventID: "e1", SectionID: "A", Fans: 20, Seconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := res.inFlight.Load(); n != 3 {
			return fmt.Errorf("%d fans in flight, want 3", n)
		}
		return nil
	})
	time.Sleep(1200 * time.Millisecond) // every fan has arrived by now
	if n := res.inFlight.Load(); n != 3 {
		t.Fatalf("%d calls in flight with every fan arrived, cap is 3", n)
	}
	close(res.gate)
	if got := waitDone(t, fs, st.ID); got.Attempts < 20 {
		t.Fatalf("finished with %+v, want every fan to try", got)
	}
	if m := res.maxInFlight.Load(); m != 3 {
		t.Fatalf("at most %d calls were in flight, want the cap, 3", m)
	}
}

func TestOnePerSectionAndStopsOnClose(t *testing.T) {
	res, cat := newCrowd(time.Millisecond)
	fs := newTestSales(t, res, cat)
	long := Request{EventID: "e1", SectionID: "A", Fans: 2000, Seconds: 60}
	first, err := fs.Start(context.Background(), long)
	if err != nil {
		t.Fatal(err)
	}
	var running *RunningError
	if _, err := fs.Start(context.Background(), long); !errors.As(err, &running) || running.ID != first.ID {
		t.Fatalf("second sale on the section: %v", err)
	}
	other, err := fs.Start(context.Background(), Request{EventID: "e1", SectionID: "floor", Fans: 5, Seconds: 1})
	if err != nil {
		t.Fatalf("a sale on another section was refused: %v", err)
	}
	waitDone(t, fs, other.ID)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fs.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := fs.Status(first.ID)
	if err != nil || st.Status != "done" || st.Attempts >= 2000 {
		t.Fatalf("after Close: %+v, %v; want done, stopped early", st, err)
	}
	if _, err := fs.Start(context.Background(), long); !errors.Is(err, actors.ErrUnavailable) {
		t.Fatalf("start after Close: %v, want UNAVAILABLE", err)
	}
}

func TestNewAndStartValidate(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("an empty config was accepted")
	}
	res, cat := newCrowd(0)
	if _, err := New(Config{Reservations: res, Catalog: cat, Logger: zap.NewNop(), MaxInFlight: -1}); err == nil {
		t.Fatal("a negative MaxInFlight was accepted")
	}
	fs := newTestSales(t, res, cat)
	for _, r := range []Request{
		{EventID: "e1", SectionID: "A", Fans: 0, Seconds: 10},
		{EventID: "e1", SectionID: "A", Fans: 2001, Seconds: 10},
		{EventID: "e1", SectionID: "A", Fans: 10, Seconds: 0},
		{EventID: "e1", SectionID: "A", Fans: 10, Seconds: 61},
	} {
		if _, err := fs.Start(context.Background(), r); !errors.Is(err, actors.ErrValidation) {
			t.Errorf("%+v: %v, want VALIDATION_FAILED", r, err)
		}
	}
	if _, err := fs.Start(context.Background(), Request{EventID: "nope", SectionID: "A", Fans: 1, Seconds: 1}); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("unknown event: %v, want NOT_FOUND", err)
	}
	if _, err := fs.Start(context.Background(), Request{EventID: "e1", SectionID: "Z", Fans: 1, Seconds: 1}); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("unknown section: %v, want NOT_FOUND", err)
	}
	if _, err := fs.Status("fs_unknown"); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("status of an unknown sale: %v, want NOT_FOUND", err)
	}
}

package http

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// crowdReservations is a Reservations for flash sales: it keeps seats like a tiny
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

func (r *crowdReservations) Extend(context.Context, string, string) (actors.Hold, error) {
	return actors.Hold{}, errors.New("not used")
}

func (r *crowdReservations) Cancel(context.Context, string, string, bool) (actors.Order, error) {
	return actors.Order{}, errors.New("not used")
}

// crowdCatalog shows section A of event e1 with 40 seats, of which the fake
// reservations' taken ones are held.
type crowdCatalog struct {
	*fakeCatalog
	res *crowdReservations
}

func (c *crowdCatalog) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	if eventID != "e1" || sectionID != "A" {
		return c.fakeCatalog.SeatMap(ctx, eventID, sectionID)
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

func newTestFlashSales(t *testing.T, res Reservations, cat Catalog, mutate ...func(*FlashSaleConfig)) *FlashSales {
	t.Helper()
	cfg := FlashSaleConfig{Reservations: res, Catalog: cat, Logger: zap.NewNop(), Seed: 42, ThinkTime: -1}
	for _, m := range mutate {
		m(&cfg)
	}
	fs, err := NewFlashSales(cfg)
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

func waitDone(t *testing.T, fs *FlashSales, id string) FlashSaleStatus {
	t.Helper()
	var st FlashSaleStatus
	pollUntil(t, 30*time.Second, "the flash sale to finish", func() bool {
		var err error
		st, err = fs.Status(id)
		if err != nil {
			t.Fatal(err)
		}
		return st.Status == "done"
	})
	return st
}

// TestFlashSaleCrowdIsBoundedAndFinishes runs a crowd through fake reservations: it
// never has more fans in flight than the cap, every fan is its own user, each hold
// attempt ends as a hold or a refusal, and the fans follow the script.
func TestFlashSaleCrowdIsBoundedAndFinishes(t *testing.T) {
	res := newCrowdReservations(3 * time.Millisecond)
	cat := &crowdCatalog{fakeCatalog: newFakeCatalog(), res: res}
	fs := newTestFlashSales(t, res, cat, func(c *FlashSaleConfig) { c.MaxInFlight = 4 })
	started, err := fs.Start(context.Background(), FlashSaleRequest{EventID: "e1", SectionID: "A", Fans: 80, Seconds: 1})
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

// TestFlashSaleCapHoldsBackTheCrowd holds every call: the fans that arrive meanwhile
// wait for a slot instead of piling onto the engine.
func TestFlashSaleCapHoldsBackTheCrowd(t *testing.T) {
	res := newCrowdReservations(0)
	res.gate = make(chan struct{})
	fs := newTestFlashSales(t, res, &crowdCatalog{fakeCatalog: newFakeCatalog(), res: res}, func(c *FlashSaleConfig) { c.MaxInFlight = 3 })
	st, err := fs.Start(context.Background(), FlashSaleRequest{EventID: "e1", SectionID: "A", Fans: 20, Seconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 10*time.Second, "three fans in flight", func() bool { return res.inFlight.Load() == 3 })
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

func TestFlashSaleOnePerSectionAndStopsOnClose(t *testing.T) {
	res := newCrowdReservations(time.Millisecond)
	cat := &crowdCatalog{fakeCatalog: newFakeCatalog(), res: res}
	fs := newTestFlashSales(t, res, cat)
	long := FlashSaleRequest{EventID: "e1", SectionID: "A", Fans: 2000, Seconds: 60}
	first, err := fs.Start(context.Background(), long)
	if err != nil {
		t.Fatal(err)
	}
	var running *FlashSaleRunningError
	if _, err := fs.Start(context.Background(), long); !errors.As(err, &running) || running.ID != first.ID {
		t.Fatalf("second sale on the section: %v", err)
	}
	other, err := fs.Start(context.Background(), FlashSaleRequest{EventID: "e1", SectionID: "floor", Fans: 5, Seconds: 1})
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

func TestFlashSaleRoutes(t *testing.T) {
	e := newEnv(t)
	res := newCrowdReservations(time.Millisecond)
	fs := newTestFlashSales(t, res, &crowdCatalog{fakeCatalog: e.cat, res: res})
	e.srv.MountFlashSales(fs)
	admin := bearer(t, "root", RoleAdmin)

	e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A"}`, nil).
		expectError(t, http.StatusUnauthorized, "UNAUTHENTICATED")
	e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A"}`, bearer(t, "alice", RoleFan)).
		expectError(t, http.StatusForbidden, "FORBIDDEN")
	e.do(t, http.MethodGet, "/api/v1/admin/flash-sale/fs_x", "", bearer(t, "alice", RoleFan)).
		expectError(t, http.StatusForbidden, "FORBIDDEN")

	d := e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"","section_id":"no/pe","fans":0,"seconds":61}`, admin).
		expectError(t, http.StatusBadRequest, "VALIDATION_FAILED")
	for _, f := range []string{"event_id", "section_id", "fans", "seconds"} {
		if d[f] == nil {
			t.Errorf("details %v do not name %s", d, f)
		}
	}
	e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"Z"}`, admin).
		expectError(t, http.StatusNotFound, "NOT_FOUND")

	r := e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A"}`, admin)
	r.expectStatus(t, http.StatusAccepted)
	id, _ := r.body["id"].(string)
	if !strings.HasPrefix(id, "fs_") || r.body["event_id"] != "e1" || r.body["section_id"] != "A" ||
		r.body["fans"] != float64(DefaultFlashFans) || r.body["seconds"] != float64(DefaultFlashSeconds) || r.body["status"] != "running" {
		t.Fatalf("started: %s", r.raw)
	}
	d = e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A","fans":5,"seconds":1}`, admin).
		expectError(t, http.StatusBadRequest, "VALIDATION_FAILED")
	if d["section_id"] != "a flash sale is already running" {
		t.Errorf("details %v", d)
	}

	g := e.do(t, http.MethodGet, "/api/v1/admin/flash-sale/"+id, "", admin)
	g.expectStatus(t, http.StatusOK)
	for _, k := range []string{"id", "status", "attempts", "holds", "orders", "refusals"} {
		if _, ok := g.body[k]; !ok {
			t.Errorf("progress %s lacks %s", g.raw, k)
		}
	}
	e.do(t, http.MethodGet, "/api/v1/admin/flash-sale/fs_unknown", "", admin).expectError(t, http.StatusNotFound, "NOT_FOUND")
}

func TestNewFlashSalesValidates(t *testing.T) {
	if _, err := NewFlashSales(FlashSaleConfig{}); err == nil {
		t.Fatal("an empty config was accepted")
	}
	fs := newTestFlashSales(t, newCrowdReservations(0), newFakeCatalog())
	for _, r := range []FlashSaleRequest{
		{EventID: "e1", SectionID: "A", Fans: 0, Seconds: 10},
		{EventID: "e1", SectionID: "A", Fans: 2001, Seconds: 10},
		{EventID: "e1", SectionID: "A", Fans: 10, Seconds: 0},
		{EventID: "e1", SectionID: "A", Fans: 10, Seconds: 61},
	} {
		if _, err := fs.Start(context.Background(), r); !errors.Is(err, actors.ErrValidation) {
			t.Errorf("%+v: %v, want VALIDATION_FAILED", r, err)
		}
	}
	if _, err := fs.Start(context.Background(), FlashSaleRequest{EventID: "nope", SectionID: "A", Fans: 1, Seconds: 1}); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("unknown event: %v, want NOT_FOUND", err)
	}
}

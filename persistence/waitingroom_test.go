package persistence

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

var (
	_ waitingroom.QueueStore     = (*WaitingRooms)(nil)
	_ waitingroom.HeadroomSource = (*WaitingRooms)(nil)
	_ waitingroom.SignalSink     = (*WaitingRooms)(nil)
	_ waitingroom.Leases         = (*Leases)(nil)
)

// roomClock is a clock the waiting room tests move by hand; it is safe for concurrent use.
type roomClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *roomClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *roomClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// roomEnv is the waiting room on the test's Redis, under its own key prefix.
type roomEnv struct {
	t      *testing.T
	store  *WaitingRooms
	leases *Leases
	svc    *waitingroom.Service
	clock  waitingroom.Clock
}

func newRoomEnv(t *testing.T, clock waitingroom.Clock) *roomEnv {
	t.Helper()
	rdb, prefix := testRedis(t)
	// A thousand tickets a test: leave Redis as it was.
	removeKeysAfter(t, rdb, prefix)
	e := &roomEnv{t: t, store: NewWaitingRooms(rdb, prefix), leases: NewLeases(rdb, prefix), clock: clock}
	svc, err := waitingroom.NewService(waitingroom.ServiceConfig{Store: e.store, Secret: []byte("secret"), Logger: zap.NewNop(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *roomEnv) controller(seed uint64, ttl time.Duration) *waitingroom.Controller {
	e.t.Helper()
	c, err := waitingroom.NewController(waitingroom.ControllerConfig{Store: e.store, Headroom: e.store, Leases: e.leases,
		Node: "node", Logger: zap.NewNop(), Clock: e.clock, Rand: rand.New(rand.NewPCG(seed, seed^0x9e3779b9)), LeaseTTL: ttl})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *roomEnv) open(s waitingroom.Settings) {
	e.t.Helper()
	if _, err := e.svc.SetRoom(context.Background(), s); err != nil {
		e.t.Fatal(err)
	}
}

func (e *roomEnv) ticket(id string) waitingroom.Ticket {
	e.t.Helper()
	tk, err := e.svc.Ticket(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tk
}

func TestWaitingRoomJoinsAreIdempotent(t *testing.T) {
	e := newRoomEnv(t, waitingroom.SystemClock{})
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 1})
	ctx := context.Background()
	const fans = 1000

	t.Run("distinct fans", func(t *testing.T) {
		positions := make([]int64, fans)
		var wg sync.WaitGroup
		errs := make(chan error, fans)
		for i := 0; i < fans; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk, created, err := e.svc.Join(ctx, "ev", fmt.Sprintf("fan-%d", i))
				if err != nil || !created {
					errs <- fmt.Errorf("fan-%d: created %v, %v", i, created, err)
					return
				}
				positions[i] = tk.Position
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		sort.Slice(positions, func(i, j int) bool { return positions[i] < positions[j] })
		for i, p := range positions {
			if p != int64(i+1) {
				t.Fatalf("sorted positions[%d] = %d: gaps or duplicates among %v…", i, p, positions[max(0, i-3):i+1])
			}
		}
		room, err := e.svc.Room(ctx, "ev")
		if err != nil || room.Waiting != fans || room.Admitted != 0 {
			t.Fatalf("room %+v, %v", room, err)
		}
	})

	t.Run("one fan", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[string]int{}
		created := 0
		for i := 0; i < fans; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk, c, err := e.svc.Join(ctx, "ev", "eager")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids[tk.ID]++
				if c {
					created++
				}
			}()
		}
		wg.Wait()
		if len(ids) != 1 || created != 1 {
			t.Fatalf("%d tickets (%v), %d created; want one ticket created once", len(ids), ids, created)
		}
		for id := range ids {
			if tk := e.ticket(id); tk.Position != fans+1 || tk.UserID != "eager" || tk.EventID != "ev" {
				t.Fatalf("the eager fan's ticket %+v", tk)
			}
		}
	})
}

func TestWaitingRoomRandomOrderIsShuffledAtOpening(t *testing.T) {
	clock := &roomClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newRoomEnv(t, clock)
	ctx := context.Background()
	opens := clock.Now().Add(time.Hour)
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderRandom, OpensAt: opens, AdmitPerS: 2})
	c := e.controller(42, time.Minute)

	var early []waitingroom.Ticket
	for i := 0; i < 30; i++ {
		tk, _, err := e.svc.Join(ctx, "ev", fmt.Sprintf("early-%d", i))
		if err != nil || tk.Position != 0 {
			t.Fatalf("join before the opening = %+v, %v; want no position", tk, err)
		}
		early = append(early, tk)
	}
	if err := c.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if tk := e.ticket(early[0].ID); tk.Position != 0 {
		t.Fatalf("a position before the opening: %+v", tk)
	}

	clock.Advance(time.Hour)
	// A fan who joins at the opening, before the controller steps, goes after the early ones.
	late, _, err := e.svc.Join(ctx, "ev", "late")
	if err != nil || late.Position != 31 {
		t.Fatalf("join at the opening = %+v, %v; want position 31", late, err)
	}
	if tk := e.ticket(early[0].ID); tk.Position != 0 || tk.Ahead != 0 {
		t.Fatalf("before the shuffle is applied: %+v", tk)
	}
	if err := c.Step(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	seen := map[int64]bool{}
	sorted := true
	for i, tk := range early {
		p := e.ticket(tk.ID).Position
		if p < 1 || p > 30 || seen[p] {
			t.Fatalf("after the opening %s has position %d", tk.UserID, p)
		}
		seen[p] = true
		got[tk.ID] = p
		sorted = sorted && p == int64(i+1)
	}
	if sorted {
		t.Fatal("the shuffle kept the joining order")
	}
	for i := 0; i < 20; i++ {
		clock.Advance(waitingroom.DefaultRateEvery)
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for id, p := range got {
		if tk := e.ticket(id); tk.Position != p {
			t.Fatalf("%s moved from %d to %d", id, p, tk.Position)
		}
	}
	// 5 s at 2 a second: positions 1..10 admitted, the rest wait.
	for id, p := range got {
		tk := e.ticket(id)
		if (p <= 10) != (tk.Status == waitingroom.TicketAdmitted) {
			t.Fatalf("position %d is %s after 10 admissions", p, tk.Status)
		}
	}
}

func TestWaitingRoomShuffleDrawsEveryOrder(t *testing.T) {
	clock := &roomClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newRoomEnv(t, clock)
	ctx := context.Background()
	opens := clock.Now().Add(time.Minute)
	const rooms = 60
	users := []string{"a", "b", "c"}
	for r := 0; r < rooms; r++ {
		ev := fmt.Sprintf("ev%d", r)
		e.open(waitingroom.Settings{EventID: ev, Enabled: true, Order: waitingroom.OrderRandom, OpensAt: opens, AdmitPerS: 1})
		for _, u := range users {
			if _, _, err := e.svc.Join(ctx, ev, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock.Advance(time.Minute)
	if err := e.controller(3, time.Minute).Step(ctx); err != nil {
		t.Fatal(err)
	}
	orders := map[string]int{}
	for r := 0; r < rooms; r++ {
		q, err := e.store.QueueState(ctx, fmt.Sprintf("ev%d", r), 0, 0)
		if err != nil || q.Shuffles != 1 {
			t.Fatalf("room %d: %+v, %v", r, q, err)
		}
		byPos := make([]string, 3)
		for _, u := range users {
			tk, _, err := e.svc.Join(ctx, fmt.Sprintf("ev%d", r), u) // the same ticket again
			if err != nil || tk.Position < 1 || tk.Position > 3 {
				t.Fatalf("room %d, %s: %+v, %v", r, u, tk, err)
			}
			byPos[tk.Position-1] = u
		}
		orders[strings.Join(byPos, "")]++
	}
	if len(orders) != 6 {
		t.Fatalf("orders drawn over %d rooms: %v; want all 6 orders of three fans", rooms, orders)
	}
}

func TestWaitingRoomAdmitsInPositionOrder(t *testing.T) {
	clock := &roomClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newRoomEnv(t, clock)
	ctx := context.Background()
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 40})
	c := e.controller(1, time.Minute)

	// Fans join while the controller admits; after every step the admitted tickets are
	// exactly the positions up to the watermark.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var tickets []waitingroom.Ticket
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tk, _, err := e.svc.Join(ctx, "ev", fmt.Sprintf("w%d-%d", w, i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				tickets = append(tickets, tk)
				mu.Unlock()
			}
		}()
	}
	// The rate, not the joiners, must bound the watermark: on a loaded machine eight
	// joiners may queue fewer than the 300 fans 30 steps admit, so the steps start once
	// that many are in (the joiners go on meanwhile).
	testenv.Eventually(t, 60*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(tickets) < 300 {
			return fmt.Errorf("%d fans joined, want 300 before admitting", len(tickets))
		}
		return nil
	})
	lastWM := int64(0)
	for step := 0; step < 30; step++ {
		clock.Advance(waitingroom.DefaultRateEvery)
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
		q, err := e.store.QueueState(ctx, "ev", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		if q.Watermark < lastWM {
			t.Fatalf("the watermark fell from %d to %d", lastWM, q.Watermark)
		}
		lastWM = q.Watermark
		mu.Lock()
		sample := append([]waitingroom.Ticket(nil), tickets...)
		mu.Unlock()
		for _, tk := range sample {
			// Positions at or below the watermark read admitted; above it, waiting.
			now := e.svc.Render(tk.TicketRecord, q, clock.Now())
			if (tk.Position <= q.Watermark) != (now.Status == waitingroom.TicketAdmitted) {
				t.Fatalf("step %d: position %d is %s with the watermark at %d", step, tk.Position, now.Status, q.Watermark)
			}
		}
		for i := 1; i < len(q.Admissions); i++ {
			if a, b := q.Admissions[i-1], q.Admissions[i]; a.UpTo >= b.UpTo || a.At.After(b.At) {
				t.Fatalf("admissions out of order: %+v then %+v", a, b)
			}
		}
	}
	close(stop)
	wg.Wait()
	if lastWM < 250 || lastWM > 300 {
		t.Fatalf("watermark %d after 7.5 s at 40/s", lastWM)
	}
}

func TestWaitingRoomForgetsOldAdmissions(t *testing.T) {
	clock := &roomClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newRoomEnv(t, clock)
	ctx := context.Background()
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 4})
	c := e.controller(1, time.Hour)
	first, _, _ := e.svc.Join(ctx, "ev", "first")
	second, _, _ := e.svc.Join(ctx, "ev", "second")
	for i := 0; i < 2; i++ {
		clock.Advance(waitingroom.DefaultRateEvery)
		if err := c.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if tk := e.ticket(first.ID); tk.Status != waitingroom.TicketAdmitted {
		t.Fatalf("first after a step: %+v", tk)
	}
	clock.Advance(waitingroom.PassTTL + 2*time.Minute)
	if err := c.Step(ctx); err != nil {
		t.Fatal(err)
	}
	q, _ := e.store.QueueState(ctx, "ev", 0, -1)
	if q.ExpiredUpTo != 1 || len(q.Admissions) != 1 || q.Admissions[0].UpTo != 2 {
		t.Fatalf("after the pass lifetime: expired up to %d, admissions %+v", q.ExpiredUpTo, q.Admissions)
	}
	if tk := e.ticket(first.ID); tk.Status != waitingroom.TicketExpired || tk.Pass != "" {
		t.Fatalf("first after its pass ran out: %+v", tk)
	}
	if tk := e.ticket(second.ID); tk.Status != waitingroom.TicketAdmitted {
		t.Fatalf("second, admitted just now: %+v", tk)
	}
}

func TestAdmissionControllerSurvivesTheLossOfItsNode(t *testing.T) {
	e := newRoomEnv(t, waitingroom.SystemClock{})
	ctx := context.Background()
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 100})
	for i := 0; i < 2000; i++ {
		if _, _, err := e.svc.Join(ctx, "ev", fmt.Sprintf("fan-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	const ttl = 600 * time.Millisecond
	a, b := e.controller(1, ttl), e.controller(2, ttl)
	// Each node runs its controller; killing a node stops its loop without a word.
	type node struct {
		c    *waitingroom.Controller
		kill chan struct{}
		done chan struct{}
	}
	start := func(c *waitingroom.Controller) *node {
		n := &node{c: c, kill: make(chan struct{}), done: make(chan struct{})}
		go func() {
			defer close(n.done)
			for {
				select {
				case <-n.kill:
					return
				case <-time.After(50 * time.Millisecond):
				}
				_ = c.Step(ctx)
			}
		}()
		return n
	}
	na, nb := start(a), start(b)
	watermark := func() int64 {
		q, err := e.store.QueueState(ctx, "ev", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return q.Watermark
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		if w := watermark(); w < 20 {
			return fmt.Errorf("watermark %d", w)
		}
		return nil
	})
	lead, other := na, nb
	if b.Leading() {
		lead, other = nb, na
	}
	close(lead.kill)
	<-lead.done
	killedAt, before := time.Now(), watermark()
	testenv.Eventually(t, 5*time.Second, func() error {
		if w := watermark(); w < before+20 {
			return fmt.Errorf("watermark %d, %d when the leader died", w, before)
		}
		return nil
	})
	t.Logf("admission resumed %v after the leader died", time.Since(killedAt).Round(10*time.Millisecond))
	if !other.c.Leading() {
		t.Fatal("the surviving controller does not lead")
	}
	// The dead node comes back (it was only paused): its writes are fenced, and it
	// notices it lost the lease.
	if _, err := e.store.Admit(ctx, "ev", waitingroom.Fence{Lease: waitingroom.ControllerLease, Owner: "someone-else"}, 5, time.Now(),
		waitingroom.Status{}); !errors.Is(err, waitingroom.ErrNotLeader) {
		t.Fatalf("an admission without the lease: %v, want ErrNotLeader", err)
	}
	if err := lead.c.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if lead.c.Leading() {
		t.Fatal("the returning controller still thinks it leads")
	}
	close(other.kill)
	<-other.done
}

func TestWaitingRoomSignalsRoundTrip(t *testing.T) {
	e := newRoomEnv(t, waitingroom.SystemClock{})
	ctx := context.Background()
	at := time.UnixMilli(time.Now().UnixMilli()).UTC()
	in := []waitingroom.Signal{
		{EventID: "ev", Node: "n1", At: at, Sections: 2, DecisionsPerS: 812.5, MaxDepth: 3, Batches: 40, CommitMs: 2.5, DecisionsPerBatch: 5.08,
			Backlog: 12, SchedMs: 4.5},
		{EventID: "other", Node: "n1", At: at, Sections: 1},
	}
	if err := e.store.PublishSignals(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := e.store.PublishSignals(ctx, []waitingroom.Signal{{EventID: "ev", Node: "n2", At: at, MaxDepth: 7}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.Signals(ctx, "ev")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Node < got[j].Node })
	if len(got) != 2 || got[0] != in[0] || got[1].Node != "n2" || got[1].MaxDepth != 7 {
		t.Fatalf("signals %+v", got)
	}
}

func TestWaitingRoomJoinNeedsAnEnabledRoom(t *testing.T) {
	e := newRoomEnv(t, waitingroom.SystemClock{})
	ctx := context.Background()
	if _, _, err := e.svc.Join(ctx, "ev", "alice"); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("no room: %v", err)
	}
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO})
	tk, _, err := e.svc.Join(ctx, "ev", "alice")
	if err != nil {
		t.Fatal(err)
	}
	e.open(waitingroom.Settings{EventID: "ev", Enabled: false, Order: waitingroom.OrderFIFO})
	if _, _, err := e.svc.Join(ctx, "ev", "bob"); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("disabled room: %v", err)
	}
	again, created, err := e.svc.Join(ctx, "ev", "alice")
	if err != nil || created || again.ID != tk.ID {
		t.Fatalf("a fan with a ticket in a disabled room: %+v, %v, %v; want the ticket", again, created, err)
	}
	room, err := e.svc.Room(ctx, "ev")
	if err != nil || room.Enabled || room.AdmittingPerS != 0 || room.Waiting != 1 || !room.Configured {
		t.Fatalf("disabled room %+v, %v", room, err)
	}
	if _, err := e.svc.Ticket(ctx, "q_missing"); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("missing ticket: %v", err)
	}
}

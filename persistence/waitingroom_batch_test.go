package persistence

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// scriptCounter counts the script calls a client sends.
type scriptCounter struct{ n atomic.Int64 }

func (h *scriptCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *scriptCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := strings.ToLower(cmd.Name()); name == "evalsha" || name == "eval" {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *scriptCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// Concurrent joins into two rooms, a closed one and a fan joining twice share script
// calls: each room's positions are 1..n without gaps, the fan twice gets one ticket, the
// closed room answers NOT_FOUND to its own fans only, and far fewer scripts ran than
// there were joins.
func TestWaitingRoomConcurrentJoinsShareScripts(t *testing.T) {
	e := newRoomEnv(t, waitingroom.SystemClock{})
	counter := &scriptCounter{}
	e.store.rdb.AddHook(counter)
	for _, id := range []string{"ev1", "ev2"} {
		e.open(waitingroom.Settings{EventID: id, Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 1})
	}
	e.open(waitingroom.Settings{EventID: "shut", Enabled: false, Order: waitingroom.OrderFIFO})
	ctx := context.Background()
	const fans = 600
	var mu sync.Mutex
	positions := map[string][]int64{}
	twice := map[string]int{}
	var wg sync.WaitGroup
	before := counter.n.Load()
	for i := range fans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev, user := []string{"ev1", "ev2", "shut"}[i%3], fmt.Sprintf("fan-%d", i)
			if i%50 == 0 {
				user = "twice" // one fan in several requests of ev1 or ev2 (or the closed room)
			}
			tk, _, err := e.svc.Join(ctx, ev, user)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case ev == "shut":
				if !errors.Is(err, actors.ErrNotFound) {
					t.Errorf("%s joining a closed room: %v", user, err)
				}
			case err != nil:
				t.Errorf("%s joining %s: %v", user, ev, err)
			case user == "twice":
				twice[ev+"/"+tk.ID]++
			default:
				positions[ev] = append(positions[ev], tk.Position)
			}
		}()
	}
	wg.Wait()
	scripts := counter.n.Load() - before
	if len(twice) != 2 {
		t.Errorf("the fan joining twice holds %v; want one ticket per room", twice)
	}
	for ev, ps := range positions {
		// The fan joining twice took one position of the room too.
		ps = append(ps, 0)
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		seen := map[int64]bool{}
		for _, p := range ps[1:] {
			if p < 1 || p > int64(len(ps)) || seen[p] {
				t.Fatalf("%s: position %d among %d fans is out of range or given twice", ev, p, len(ps))
			}
			seen[p] = true
		}
	}
	if scripts >= fans/2 {
		t.Errorf("%d script calls for %d concurrent joins; want them batched", scripts, fans)
	}
	t.Logf("%d concurrent joins took %d script calls", fans, scripts)
}

// ticketReadGate counts the HMGETs of tickets a client sends and holds the first one
// until released.
type ticketReadGate struct {
	n       atomic.Int64
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *ticketReadGate) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *ticketReadGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if strings.ToLower(cmd.Name()) == "hmget" && strings.HasSuffix(fmt.Sprint(cmd.Args()[1]), "wr:tickets") {
			h.n.Add(1)
			h.once.Do(func() {
				close(h.started)
				<-h.release
			})
		}
		return next(ctx, cmd)
	}
}

func (h *ticketReadGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// Concurrent reads of tickets, as a rush's websocket opens make them, share HMGETs;
// unknown tickets are NOT_FOUND among known ones; and a ticket that joined while a
// batch was in flight is found by a read made after it.
func TestWaitingRoomConcurrentTicketReadsShareRoundTrips(t *testing.T) {
	const fans = 400
	e := newRoomEnv(t, waitingroom.SystemClock{})
	e.open(waitingroom.Settings{EventID: "ev1", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 1})
	ids := joinOneByOne(t, e, "ev1", fans)
	ctx := context.Background()
	gate := &ticketReadGate{started: make(chan struct{}), release: make(chan struct{})}
	e.store.rdb.AddHook(gate)

	// The first read's batch is held in flight while the others queue up behind it,
	// and a fan joins meanwhile.
	var wg sync.WaitGroup
	read := func(id string, want int64) {
		defer wg.Done()
		rec, err := e.store.Ticket(ctx, id)
		switch {
		case want == 0 && !errors.Is(err, actors.ErrNotFound):
			t.Errorf("%s, unknown: %+v, %v; want NOT_FOUND", id, rec, err)
		case want != 0 && (err != nil || rec.Position != want):
			t.Errorf("%s: %+v, %v; want position %d", id, rec, err, want)
		}
	}
	wg.Add(1)
	go read(ids[0], 1)
	<-gate.started
	late, _, err := e.svc.Join(ctx, "ev1", "late")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < fans; i++ {
		wg.Add(1)
		go read(ids[i], int64(i+1))
		if i%10 == 0 {
			wg.Add(1)
			go read(fmt.Sprintf("%s_missing%d", waitingroom.TicketIDPrefix, i), 0)
		}
	}
	wg.Add(1)
	go read(late.ID, fans+1)
	close(gate.release)
	wg.Wait()
	if n := gate.n.Load(); n >= fans/4 {
		t.Errorf("%d HMGETs for %d concurrent ticket reads; want them batched", n, fans+fans/10+1)
	} else {
		t.Logf("%d concurrent ticket reads took %d HMGETs", fans+fans/10+1, n)
	}
}

// joinOneByOne joins n fans into eventID, one after the other, and returns their
// tickets' ids in position order.
func joinOneByOne(t *testing.T, e *roomEnv, eventID string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		tk, _, err := e.svc.Join(context.Background(), eventID, fmt.Sprintf("fan-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = tk.ID
	}
	return ids
}

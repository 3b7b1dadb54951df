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

package persistence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// chargedRoomEnv is a room whose joins are charged to a limiter of rate, and a second
// limiter over the same state, as another node's would be.
func chargedRoomEnv(t *testing.T, rate string) (*roomEnv, *RateLimiter) {
	t.Helper()
	e := newRoomEnv(t, waitingroom.SystemClock{})
	own, err := NewRateLimiter(e.store.rdb, e.store.prefix, rate)
	if err != nil {
		t.Fatal(err)
	}
	e.store.ChargeJoinsTo(own)
	other, err := NewRateLimiter(e.store.rdb, e.store.prefix, rate)
	if err != nil {
		t.Fatal(err)
	}
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 1})
	return e, other
}

func TestChargedJoinsSpendTheUsersAllowance(t *testing.T) {
	e, other := chargedRoomEnv(t, "3/min")
	ctx := context.Background()
	first, created, err := e.svc.Join(ctx, "ev", "alice")
	if err != nil || !created {
		t.Fatalf("first join: created %v, %v", created, err)
	}
	again, created, err := e.svc.Join(ctx, "ev", "alice")
	if err != nil || created || again.ID != first.ID || again.Position != first.Position {
		t.Fatalf("second join: %+v created %v, %v; want the first ticket %+v", again, created, err, first)
	}
	// The third request of the minute is another route's, on another node: same state.
	if ok, _, err := other.Allow(ctx, "user:alice"); err != nil || !ok {
		t.Fatalf("third request: allowed %v, %v", ok, err)
	}
	_, _, err = e.svc.Join(ctx, "ev", "alice")
	var limited *RateLimitedError
	if !errors.As(err, &limited) || !errors.Is(err, actors.ErrRateLimited) || limited.RetryAfter() <= 0 {
		t.Fatalf("fourth request: %v, want RATE_LIMITED with a retry after", err)
	}
	if ae, ok := actors.AsError(err); !ok || ae.Code != actors.CodeRateLimited {
		t.Fatalf("fourth request's domain error %v", ae)
	}
	// Others are not charged for alice.
	if _, created, err := e.svc.Join(ctx, "ev", "bob"); err != nil || !created {
		t.Fatalf("bob's join: created %v, %v", created, err)
	}
}

func TestRefusedChargedJoinIssuesNoTicket(t *testing.T) {
	e, other := chargedRoomEnv(t, "2/min")
	ctx := context.Background()
	for i := range 2 {
		if ok, _, err := other.Allow(ctx, "user:carol"); err != nil || !ok {
			t.Fatalf("request %d: allowed %v, %v", i, ok, err)
		}
	}
	if _, _, err := e.svc.Join(ctx, "ev", "carol"); !errors.Is(err, actors.ErrRateLimited) {
		t.Fatalf("join over the limit: %v, want RATE_LIMITED", err)
	}
	room, err := e.svc.Room(ctx, "ev")
	if err != nil || room.Waiting != 0 {
		t.Fatalf("room after a refused join: %+v, %v; want nobody waiting", room, err)
	}
	tk, created, err := e.svc.Join(ctx, "ev", "dave")
	if err != nil || !created || tk.Position != 1 {
		t.Fatalf("dave's join: %+v created %v, %v; want position 1", tk, created, err)
	}
}

func TestChargedJoinsInOneBatchChargeEachRequest(t *testing.T) {
	// 20 concurrent joins of one user against an allowance of 5: exactly 5 pass, all
	// with the same ticket, however the batches split them.
	e, _ := chargedRoomEnv(t, "5/min")
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]int{}
	limited := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, _, err := e.svc.Join(ctx, "ev", "erin")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, actors.ErrRateLimited):
				limited++
			case err != nil:
				t.Error(err)
			default:
				ids[tk.ID]++
			}
		}()
	}
	wg.Wait()
	if limited != 15 || len(ids) != 1 {
		t.Fatalf("%d refused, tickets %v; want 15 refused and one ticket five times", limited, ids)
	}
	for id, n := range ids {
		if n != 5 {
			t.Fatalf("ticket %s answered %d times, want 5", id, n)
		}
	}
}

func TestUnchargedJoinsIgnoreTheLimit(t *testing.T) {
	e := newRoomEnv(t, waitingroom.SystemClock{})
	e.open(waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 1})
	for i := range 5 {
		if _, _, err := e.svc.Join(context.Background(), "ev", "frank"); err != nil {
			t.Fatal(fmt.Errorf("join %d: %w", i, err))
		}
	}
}

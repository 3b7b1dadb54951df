package persistence

import (
	"context"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// Pass uses round-trip through Redis: each pass counts once whichever node records it
// and however often, only while it is valid, and per event.
func TestWaitingRoomPassUsesRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := newRoomEnv(t, &roomClock{now: time.Now()})
	now := time.Now().Truncate(time.Second)
	soon, later := now.Add(10*time.Second), now.Add(waitingroom.PassTTL)
	if err := e.store.UsePasses(ctx, []waitingroom.PassUse{
		{EventID: "ev1", TicketID: "q_a", Expires: soon},
		{EventID: "ev1", TicketID: "q_b", Expires: later},
		{EventID: "ev1", TicketID: "q_a", Expires: soon},
		{EventID: "ev2", TicketID: "q_c", Expires: later},
	}); err != nil {
		t.Fatal(err)
	}
	// Another node records q_b again.
	if err := e.store.UsePasses(ctx, []waitingroom.PassUse{{EventID: "ev1", TicketID: "q_b", Expires: later}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		event string
		at    time.Time
		want  int64
	}{
		{"ev1", now, 2},
		{"ev2", now, 1},
		{"ev3", now, 0},
		{"ev1", soon.Add(-time.Millisecond), 2},
		{"ev1", soon, 1}, // q_a's pass ran out
		{"ev1", later, 0},
	} {
		n, err := e.store.UsedPasses(ctx, c.event, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("%s at +%v: %d passes used, want %d", c.event, c.at.Sub(now), n, c.want)
		}
	}
	ttl, err := e.store.rdb.TTL(ctx, e.store.usedPassesKey("ev2")).Result()
	if err != nil || ttl <= 0 || ttl > waitingroom.PassTTL+2*time.Minute {
		t.Errorf("the used passes' key lives %v (%v), want until its last pass expired", ttl, err)
	}
}

package persistence

import (
	"context"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// Pass uses round-trip through Redis: each pass counts once whichever node records it
// and however often, only while it is valid, and per event; the holds that took seats
// and their seats are tallied once a pass, valid or not, from its first record with
// seats (a hold that failed and was asked again with its pass took them at last).
func TestWaitingRoomPassUsesRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := newRoomEnv(t, &roomClock{now: time.Now()})
	now := time.Now().Truncate(time.Second)
	soon, later := now.Add(10*time.Second), now.Add(waitingroom.PassTTL)
	if err := e.store.UsePasses(ctx, []waitingroom.PassUse{
		{EventID: "ev1", TicketID: "q_a", Expires: soon, Seats: 3},
		{EventID: "ev1", TicketID: "q_b", Expires: later, Seats: 2},
		{EventID: "ev1", TicketID: "q_a", Expires: soon, Seats: 3},
		{EventID: "ev2", TicketID: "q_c", Expires: later},
		{EventID: "ev2", TicketID: "q_d", Expires: later},
	}); err != nil {
		t.Fatal(err)
	}
	// Another node records q_b again, and q_d's hold asked again took a seat.
	if err := e.store.UsePasses(ctx, []waitingroom.PassUse{{EventID: "ev1", TicketID: "q_b", Expires: later, Seats: 4},
		{EventID: "ev2", TicketID: "q_d", Expires: later, Seats: 1}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		event string
		at    time.Time
		want  waitingroom.PassUsage
	}{
		{"ev1", now, waitingroom.PassUsage{Used: 2, Holds: 2, Seats: 5}},
		{"ev2", now, waitingroom.PassUsage{Used: 2, Holds: 1, Seats: 1}},
		{"ev3", now, waitingroom.PassUsage{}},
		{"ev1", soon.Add(-time.Millisecond), waitingroom.PassUsage{Used: 2, Holds: 2, Seats: 5}},
		{"ev1", soon, waitingroom.PassUsage{Used: 1, Holds: 2, Seats: 5}}, // q_a's pass ran out
		{"ev1", later, waitingroom.PassUsage{Used: 0, Holds: 2, Seats: 5}},
	} {
		u, err := e.store.UsedPasses(ctx, c.event, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if u != c.want {
			t.Errorf("%s at +%v: %+v, want %+v", c.event, c.at.Sub(now), u, c.want)
		}
	}
	for _, key := range []string{e.store.usedPassesKey("ev2"), e.store.heldSeatsKey("ev2")} {
		ttl, err := e.store.rdb.TTL(ctx, key).Result()
		if err != nil || ttl <= 0 || ttl > waitingroom.PassTTL+2*time.Minute {
			t.Errorf("%s lives %v (%v), want until its last pass expired", key, ttl, err)
		}
	}
}

package persistence

import (
	"context"
	"reflect"
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
	// q_a was admitted nearly ten minutes ago, its pass expiring soon; the others now.
	admittedA, admittedB := soon.Add(300*time.Millisecond-waitingroom.PassTTL), now.Add(250*time.Millisecond)
	use := func(event, ticket string, admitted time.Time, seats int, after time.Duration) waitingroom.PassUse {
		return waitingroom.PassUse{EventID: event, TicketID: ticket, Admitted: admitted, Expires: admitted.Add(waitingroom.PassTTL).Truncate(time.Second),
			Seats: seats, HeldAfter: after}
	}
	if err := e.store.UsePasses(ctx, []waitingroom.PassUse{
		use("ev1", "q_a", admittedA, 3, 150*time.Millisecond),
		use("ev1", "q_b", admittedB, 2, 0),
		use("ev1", "q_a", admittedA, 3, 5*time.Second),
		use("ev2", "q_c", admittedB, 0, 30*time.Second),
		use("ev2", "q_d", admittedB, 0, 120*time.Millisecond),
	}); err != nil {
		t.Fatal(err)
	}
	// Another node records q_b again, and q_d's hold asked again took a seat.
	if err := e.store.UsePasses(ctx, []waitingroom.PassUse{use("ev1", "q_b", admittedB, 4, time.Second),
		use("ev2", "q_d", admittedB, 1, 3*time.Second)}); err != nil {
		t.Fatal(err)
	}
	// Each pass's time to its hold counts once, from its first record that knew it.
	var ev1After, ev2After [waitingroom.UseBuckets]int64
	ev1After[waitingroom.UseBucket(150*time.Millisecond)] = 1
	ev1After[waitingroom.UseBucket(time.Second)] = 0 // q_b's first record did not know it
	ev2After[waitingroom.UseBucket(30*time.Second)] = 1
	ev2After[waitingroom.UseBucket(120*time.Millisecond)] = 1
	for _, c := range []struct {
		event string
		at    time.Time
		since []time.Time
		want  waitingroom.PassUsage
	}{
		{"ev1", now, []time.Time{admittedA, admittedA.Add(time.Millisecond), admittedB, admittedB.Add(time.Millisecond)},
			waitingroom.PassUsage{Used: 2, Since: []int64{2, 1, 1, 0}, Holds: 2, Seats: 5, HeldAfter: ev1After}},
		{"ev2", now, []time.Time{admittedB}, waitingroom.PassUsage{Used: 2, Since: []int64{2}, Holds: 1, Seats: 1, HeldAfter: ev2After}},
		{"ev3", now, nil, waitingroom.PassUsage{Since: []int64{}}},
		{"ev1", soon.Add(-time.Millisecond), []time.Time{admittedA}, waitingroom.PassUsage{Used: 2, Since: []int64{2}, Holds: 2, Seats: 5, HeldAfter: ev1After}},
		{"ev1", soon, []time.Time{admittedA}, waitingroom.PassUsage{Used: 1, Since: []int64{1}, Holds: 2, Seats: 5, HeldAfter: ev1After}}, // q_a's pass ran out
		{"ev1", later, []time.Time{admittedA}, waitingroom.PassUsage{Used: 0, Since: []int64{0}, Holds: 2, Seats: 5, HeldAfter: ev1After}},
	} {
		u, err := e.store.UsedPasses(ctx, c.event, c.at, c.since...)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(u, c.want) {
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

package persistence

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// The tests here run batches of joins as given, through runJoins, so that a batch's
// composition (two events, a fan twice, a refusal among them) is the test's, not the
// scheduler's.

var joinT0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// batchRooms is a store on the test's Redis whose keys are removed afterwards.
func batchRooms(t *testing.T) (*WaitingRooms, *redis.Client, string) {
	t.Helper()
	rdb, prefix := testRedis(t)
	removeKeysAfter(t, rdb, prefix)
	return NewWaitingRooms(rdb, prefix), rdb, prefix
}

// removeKeysAfter removes every key under prefix when the test ends.
func removeKeysAfter(tb testing.TB, rdb *redis.Client, prefix string) {
	tb.Cleanup(func() { _ = testenv.DeleteRedisKeys(context.Background(), rdb, prefix) })
}

func saveRoom(t *testing.T, w *WaitingRooms, s waitingroom.Settings) {
	t.Helper()
	if err := w.SaveSettings(context.Background(), s, joinT0); err != nil {
		t.Fatal(err)
	}
}

// join is one join of a batch: user joins ev at t0 plus at.
func join(ev, user, id string, at time.Duration) joinRequest {
	return joinRequest{eventID: ev, userID: user, newID: id, now: joinT0.Add(at)}
}

func runBatch(t *testing.T, w *WaitingRooms, reqs ...joinRequest) []joinAnswer {
	t.Helper()
	out, err := w.runJoins(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(reqs) {
		t.Fatalf("%d answers to %d joins", len(out), len(reqs))
	}
	return out
}

// wantTicket checks an answer: a ticket id, created or not, at a position.
func wantTicket(t *testing.T, a joinAnswer, id string, created bool, pos int64) {
	t.Helper()
	if a.err != nil || a.rec.ID != id || a.created != created || a.rec.Position != pos {
		t.Fatalf("answer %+v created %v, %v; want %s created %v at %d", a.rec, a.created, a.err, id, created, pos)
	}
}

func TestJoinBatchSpanningTwoEvents(t *testing.T) {
	w, rdb, _ := batchRooms(t)
	saveRoom(t, w, waitingroom.Settings{EventID: "a", Enabled: true, Order: waitingroom.OrderFIFO})
	saveRoom(t, w, waitingroom.Settings{EventID: "b:1", Enabled: true, Order: waitingroom.OrderFIFO, AdmitPerS: 7})
	ctx := context.Background()
	runBatch(t, w, join("a", "u0", "q_a0", 0))
	out := runBatch(t, w,
		join("b:1", "u1", "q_b1", 0), join("a", "u1", "q_a1", 0), join("a", "u2", "q_a2", time.Second),
		join("none", "u1", "q_n1", 0), join("b:1", "u2", "q_b2", 0))
	wantTicket(t, out[0], "q_b1", true, 1)
	wantTicket(t, out[1], "q_a1", true, 2)
	wantTicket(t, out[2], "q_a2", true, 3)
	if !errors.Is(out[3].err, actors.ErrNotFound) {
		t.Fatalf("a join of an event without a room: %v", out[3].err)
	}
	wantTicket(t, out[4], "q_b2", true, 2)
	// Each answer carries its own event's queue, as it stands after the batch.
	for i, want := range []struct {
		ev             string
		joined, admit  int64
		configuredRoom bool
	}{{"b:1", 2, 7, true}, {"a", 3, 0, true}, {"a", 3, 0, true}, {}, {"b:1", 2, 7, true}} {
		q := out[i].q
		if want.ev == "" {
			continue
		}
		if q.Settings.EventID != want.ev || q.Joined != want.joined || q.Assigned != want.joined ||
			int64(q.Settings.AdmitPerS) != want.admit || q.Configured != want.configuredRoom {
			t.Fatalf("answer %d's queue %+v; want %s's with %d joined", i, q, want.ev, want.joined)
		}
	}
	if rec := out[2].rec; rec.EventID != "a" || rec.UserID != "u2" || !rec.JoinedAt.Equal(joinT0.Add(time.Second)) {
		t.Fatalf("the record answered %+v", rec)
	}
	// What is stored reads back as answered.
	for _, a := range []joinAnswer{out[1], out[2], out[4]} {
		stored, err := w.Ticket(ctx, a.rec.ID)
		if err != nil || stored != a.rec {
			t.Fatalf("stored %+v, %v; answered %+v", stored, err, a.rec)
		}
	}
	users, err := rdb.HGetAll(ctx, w.eventKey("a", "users")).Result()
	if err != nil || len(users) != 3 || users["u1"] != "q_a1" || users["u2"] != "q_a2" {
		t.Fatalf("event a's users %v, %v", users, err)
	}
	if n, _ := rdb.Exists(ctx, w.eventKey("none", "users"), w.eventKey("none", "q")).Result(); n != 0 {
		t.Fatalf("the event without a room got %d keys", n)
	}
}

func TestJoinBatchWithAUserTwice(t *testing.T) {
	w, _, _ := batchRooms(t)
	saveRoom(t, w, waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO})
	out := runBatch(t, w, join("ev", "ann", "q_1", 0), join("ev", "bo", "q_2", 0), join("ev", "ann", "q_3", 0))
	wantTicket(t, out[0], "q_1", true, 1)
	wantTicket(t, out[1], "q_2", true, 2)
	wantTicket(t, out[2], "q_1", false, 1)
	if out[2].rec != out[0].rec {
		t.Fatalf("the second answer %+v, the first %+v", out[2].rec, out[0].rec)
	}
	if q := out[2].q; q.Joined != 2 || q.Assigned != 2 {
		t.Fatalf("queue %+v; want 2 joined", q)
	}
	// In the next batch too.
	out = runBatch(t, w, join("ev", "ann", "q_4", 0), join("ev", "cy", "q_5", 0))
	wantTicket(t, out[0], "q_1", false, 1)
	wantTicket(t, out[1], "q_5", true, 3)
}

func TestJoinBatchReissuesAnExpiredTicket(t *testing.T) {
	w, rdb, prefix := batchRooms(t)
	ctx := context.Background()
	saveRoom(t, w, waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO})
	runBatch(t, w, join("ev", "old", "q_old", 0), join("ev", "next", "q_next", 0))
	fence := waitingroom.Fence{Lease: "room", Owner: "me"}
	if err := rdb.Set(ctx, leaseKey(prefix, fence.Lease), fence.Owner, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Admit(ctx, "ev", fence, 1, joinT0, waitingroom.Status{}); err != nil {
		t.Fatal(err)
	}
	// While the pass is valid, joining answers the admitted ticket.
	out := runBatch(t, w, join("ev", "old", "q_x", waitingroom.PassTTL-time.Second))
	wantTicket(t, out[0], "q_old", false, 1)
	// Once it ran out, a new ticket at the back, once, however often the fan joins.
	late := waitingroom.PassTTL + time.Second
	out = runBatch(t, w, join("ev", "old", "q_new", late), join("ev", "new", "q_n", late), join("ev", "old", "q_again", late))
	wantTicket(t, out[0], "q_new", true, 3)
	wantTicket(t, out[1], "q_n", true, 4)
	wantTicket(t, out[2], "q_new", false, 3)
	if q := out[0].q; q.Joined != 4 || q.Assigned != 4 || q.Watermark != 1 {
		t.Fatalf("queue %+v; want 4 joined, 4 assigned, 1 admitted", q)
	}
	if id, err := rdb.HGet(ctx, w.eventKey("ev", "users"), "old").Result(); err != nil || id != "q_new" {
		t.Fatalf("the fan's ticket is %q, %v", id, err)
	}
	if rec, err := w.Ticket(ctx, "q_old"); err != nil || rec.Position != 1 {
		t.Fatalf("the expired ticket %+v, %v; want it kept", rec, err)
	}
}

func TestJoinBatchClosesTheEntryWindow(t *testing.T) {
	w, rdb, _ := batchRooms(t)
	ctx := context.Background()
	opens := joinT0.Add(time.Hour)
	saveRoom(t, w, waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderRandom, OpensAt: opens})
	runBatch(t, w, join("ev", "p0", "q_p0", 0))
	// Before the opening fans pend; the first join at the opening closes the window
	// behind them, and later fans queue after the pending ones, whatever their clock.
	out := runBatch(t, w,
		join("ev", "p1", "q_p1", time.Minute), join("ev", "p2", "q_p2", time.Minute),
		join("ev", "o1", "q_o1", time.Hour), join("ev", "o2", "q_o2", time.Minute), join("ev", "p1", "q_dup", time.Hour))
	wantTicket(t, out[0], "q_p1", true, 0)
	wantTicket(t, out[1], "q_p2", true, 0)
	wantTicket(t, out[2], "q_o1", true, 4)
	wantTicket(t, out[3], "q_o2", true, 5)
	wantTicket(t, out[4], "q_p1", false, 0)
	q := out[0].q
	if !q.Closed || q.ShuffleBase != 0 || q.Pending != 3 || q.Assigned != 5 || q.Joined != 5 {
		t.Fatalf("queue after the batch %+v; want closed at base 0 with 3 pending, 5 assigned", q)
	}
	pending, err := w.PendingTickets(ctx, "ev")
	if err != nil || fmt.Sprint(pending) != "[q_p0 q_p1 q_p2]" {
		t.Fatalf("pending %v, %v; want the three early tickets in joining order", pending, err)
	}
	if closed, _ := rdb.HGet(ctx, w.eventKey("ev", "q"), "closed").Result(); closed != "1" {
		t.Fatalf("closed = %q", closed)
	}
}

func TestJoinBatchRefusalChangesNothingElse(t *testing.T) {
	w, rdb, _ := batchRooms(t)
	ctx := context.Background()
	limiter, err := NewRateLimiter(rdb, w.prefix, "2/min")
	if err != nil {
		t.Fatal(err)
	}
	w.ChargeJoinsTo(limiter)
	saveRoom(t, w, waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO})
	charged := func(r joinRequest) joinRequest {
		r.rateKey = limiter.redisKey(actors.UserRateKey(r.userID))
		return r
	}
	// A refused fan without a ticket gets none, and takes no position.
	out := runBatch(t, w, charged(join("ev", "gus", "q_g1", 0)), charged(join("ev", "gus", "q_g2", 0)),
		charged(join("ev", "hal", "q_h1", 0)), charged(join("ev", "hal", "q_h2", 0)), charged(join("ev", "hal", "q_h3", 0)),
		charged(join("ev", "ida", "q_i1", 0)), join("ev", "hal", "q_h4", 0))
	wantTicket(t, out[0], "q_g1", true, 1)
	wantTicket(t, out[1], "q_g1", false, 1)
	wantTicket(t, out[2], "q_h1", true, 2)
	wantTicket(t, out[3], "q_h1", false, 2)
	var limited *RateLimitedError
	if !errors.As(out[4].err, &limited) || limited.RetryAfter() <= 0 {
		t.Fatalf("the third charged join of a 2/min limit: %+v, %v", out[4].rec, out[4].err)
	}
	wantTicket(t, out[5], "q_i1", true, 3)
	wantTicket(t, out[6], "q_h1", false, 2) // uncharged
	if q := out[5].q; q.Joined != 3 || q.Assigned != 3 {
		t.Fatalf("queue %+v; want 3 joined", q)
	}
	// A batch whose every join is refused writes nothing of the room.
	before, _ := rdb.HGetAll(ctx, w.eventKey("ev", "q")).Result()
	out = runBatch(t, w, charged(join("ev", "gus", "q_g3", 0)), charged(join("ev", "hal", "q_h5", 0)))
	for i, a := range out {
		if !errors.As(a.err, &limited) {
			t.Fatalf("join %d over the limit: %+v, %v", i, a.rec, a.err)
		}
	}
	after, _ := rdb.HGetAll(ctx, w.eventKey("ev", "q")).Result()
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("the queue went from %v to %v", before, after)
	}
	if n, _ := rdb.HLen(ctx, w.ticketsKey()).Result(); n != 3 {
		t.Fatalf("%d tickets stored, want 3", n)
	}
}

func TestJoinBatchStoresAnyUserID(t *testing.T) {
	w, _, _ := batchRooms(t)
	ctx := context.Background()
	odd := []string{`plain-id_1.2`, `quote"d`, `back\slash`, "tab\tnew\nline\x00nul\x7f", "ünï/cødé ✓", `{"e":"x","p":9}`, ""}
	ev := `ev "odd"\`
	saveRoom(t, w, waitingroom.Settings{EventID: ev, Enabled: true, Order: waitingroom.OrderFIFO})
	var reqs []joinRequest
	for i, u := range odd {
		reqs = append(reqs, join(ev, u, fmt.Sprintf("q_%d", i), 0))
	}
	out := runBatch(t, w, reqs...)
	for i, u := range odd {
		wantTicket(t, out[i], fmt.Sprintf("q_%d", i), true, int64(i+1))
		rec, err := w.Ticket(ctx, out[i].rec.ID)
		if err != nil || rec.UserID != u || rec.EventID != ev || rec != out[i].rec {
			t.Fatalf("user %q: stored %+v, %v; answered %+v", u, rec, err, out[i].rec)
		}
	}
	again := runBatch(t, w, reqs...)
	for i := range odd {
		wantTicket(t, again[i], fmt.Sprintf("q_%d", i), false, int64(i+1))
	}
}

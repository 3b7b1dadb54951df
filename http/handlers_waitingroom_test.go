package http

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// fakeWaitingRooms keeps rooms and tickets in memory; a pass is valid when it reads
// "pass-<user>-<event>".
type fakeWaitingRooms struct {
	mu      sync.Mutex
	rooms   map[string]waitingroom.Room
	tickets map[string]waitingroom.Ticket
	byUser  map[string]string
	checked []string // the passes CheckPass was given
	done    []string // the passes HoldDone was given
	seats   []int    // and the seats their holds took
}

func newFakeWaitingRooms() *fakeWaitingRooms {
	return &fakeWaitingRooms{rooms: map[string]waitingroom.Room{}, tickets: map[string]waitingroom.Ticket{}, byUser: map[string]string{}}
}

func (f *fakeWaitingRooms) SetRoom(_ context.Context, s waitingroom.Settings) (waitingroom.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := waitingroom.Room{Settings: s, Configured: true, AdmittingPerS: float64(s.AdmitPerS)}
	if s.AdmitPerS == 0 && s.Enabled {
		r.AdmittingPerS = 12.345
	}
	f.rooms[s.EventID] = r
	return r, nil
}

func (f *fakeWaitingRooms) Room(_ context.Context, eventID string) (waitingroom.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rooms[eventID]
	if !ok {
		return waitingroom.Room{Settings: waitingroom.Settings{EventID: eventID, Order: waitingroom.OrderFIFO}}, nil
	}
	return r, nil
}

func (f *fakeWaitingRooms) Join(_ context.Context, eventID, userID string) (waitingroom.Ticket, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.rooms[eventID].Enabled {
		return waitingroom.Ticket{}, false, &actors.Error{Code: actors.CodeNotFound, Message: "this event has no open waiting room"}
	}
	if id, ok := f.byUser[eventID+"/"+userID]; ok {
		return f.tickets[id], false, nil
	}
	id := "q_" + userID
	t := waitingroom.Ticket{
		TicketRecord: waitingroom.TicketRecord{ID: id, EventID: eventID, UserID: userID, Position: int64(len(f.tickets) + 1), JoinedAt: testNow},
		Ahead:        int64(len(f.tickets)), ETASeconds: 3, Status: waitingroom.TicketWaiting,
		FollowAfter: 1500 * time.Millisecond,
	}
	f.tickets[id] = t
	f.byUser[eventID+"/"+userID] = id
	return t, true, nil
}

func (f *fakeWaitingRooms) Ticket(_ context.Context, id string) (waitingroom.Ticket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tickets[id]
	if !ok {
		return t, &actors.Error{Code: actors.CodeNotFound, Message: "ticket not found"}
	}
	return t, nil
}

func (f *fakeWaitingRooms) CheckPass(eventID, userID, pass string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checked = append(f.checked, pass)
	if !f.rooms[eventID].Enabled || pass == "pass-"+userID+"-"+eventID {
		return nil
	}
	return actors.ErrQueueRequired
}

func (f *fakeWaitingRooms) HoldDone(_, _, pass string, seats int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = append(f.done, pass)
	f.seats = append(f.seats, seats)
}

func withWaitingRooms(w WaitingRooms) func(*Config) {
	return func(c *Config) { c.WaitingRooms = w }
}

func TestWaitingRoomRoutes(t *testing.T) {
	rooms := newFakeWaitingRooms()
	e := newEnv(t, withWaitingRooms(rooms))
	admin, alice, bob := bearer(t, "root", "admin"), bearer(t, "alice", ""), bearer(t, "bob", "")
	const path = "/api/v1/events/e1/waiting-room"

	// Reading a room never set: the defaults; an unknown event: 404.
	r := e.do(t, "GET", path, "", nil)
	r.expectStatus(t, 200)
	want := map[string]any{"event_id": "e1", "enabled": false, "order": "fifo", "opens_at": nil, "admit_per_s": nil,
		"admitting_per_s": 0.0, "waiting": 0.0, "admitted": 0.0}
	if !reflect.DeepEqual(r.body, want) {
		t.Fatalf("default room %v, want %v", r.body, want)
	}
	e.do(t, "GET", "/api/v1/events/nope/waiting-room", "", nil).expectError(t, 404, "NOT_FOUND")

	// Setting it: admins only, the body checked field by field, the event must exist.
	e.do(t, "PUT", path, `{"enabled":true}`, alice).expectError(t, 403, "FORBIDDEN")
	d := e.do(t, "PUT", path, `{"order":"lifo","opens_at":"soon","admit_per_s":0}`, admin).expectError(t, 400, "VALIDATION_FAILED")
	if keys(d)[0] != "admit_per_s" || len(d) != 4 {
		t.Fatalf("details %v: want admit_per_s, enabled, opens_at and order", d)
	}
	d = e.do(t, "PUT", path, `{"enabled":true,"order":"random"}`, admin).expectError(t, 400, "VALIDATION_FAILED")
	if _, ok := d["opens_at"]; !ok {
		t.Fatalf("random without opens_at: details %v", d)
	}
	e.do(t, "PUT", "/api/v1/events/nope/waiting-room", `{"enabled":true}`, admin).expectError(t, 404, "NOT_FOUND")
	r = e.do(t, "PUT", path, `{"enabled":true,"order":"random","opens_at":"2026-12-31T19:00:00+01:00","admit_per_s":5}`, admin)
	r.expectStatus(t, 200)
	want = map[string]any{"event_id": "e1", "enabled": true, "order": "random", "opens_at": "2026-12-31T18:00:00Z",
		"admit_per_s": 5.0, "admitting_per_s": 5.0, "waiting": 0.0, "admitted": 0.0}
	if !reflect.DeepEqual(r.body, want) {
		t.Fatalf("room %v, want %v", r.body, want)
	}
	r = e.do(t, "PUT", path, `{"enabled":true,"admit_per_s":null}`, admin)
	r.expectStatus(t, 200)
	if r.body["order"] != "fifo" || r.body["admit_per_s"] != nil || r.body["admitting_per_s"] != 12.35 || r.body["opens_at"] != nil {
		t.Fatalf("headroom room %v", r.body)
	}

	// Joining: 201, then the same ticket with 200.
	e.do(t, "POST", "/api/v1/events/e1/queue", "", nil).expectError(t, 401, "UNAUTHENTICATED")
	r = e.do(t, "POST", "/api/v1/events/e1/queue", "", alice)
	r.expectStatus(t, 201)
	want = map[string]any{"id": "q_alice", "event_id": "e1", "user_id": "alice", "position": 1.0, "ahead": 0.0,
		"eta_seconds": 3.0, "status": "waiting", "pass": nil, "pass_expires_at": nil, "joined_at": "2026-06-01T12:00:00Z",
		"follow_after_ms": 1500.0}
	if !reflect.DeepEqual(r.body, want) {
		t.Fatalf("ticket %v, want %v", r.body, want)
	}
	e.do(t, "POST", "/api/v1/events/e1/queue", "", alice).expectStatus(t, 200)
	e.do(t, "POST", "/api/v1/events/e2/queue", "", alice).expectError(t, 404, "NOT_FOUND")

	// Reading a ticket: its owner or an admin.
	e.do(t, "GET", "/api/v1/queue/q_alice", "", alice).expectStatus(t, 200)
	e.do(t, "GET", "/api/v1/queue/q_alice", "", admin).expectStatus(t, 200)
	e.do(t, "GET", "/api/v1/queue/q_alice", "", bob).expectError(t, 403, "FORBIDDEN")
	e.do(t, "GET", "/api/v1/queue/q_nobody", "", bob).expectError(t, 404, "NOT_FOUND")
	e.do(t, "GET", "/api/v1/queue/h_notaticket", "", bob).expectError(t, 404, "NOT_FOUND")

	// An admitted ticket carries its pass.
	rooms.mu.Lock()
	tk := rooms.tickets["q_alice"]
	tk.Status, tk.Pass, tk.PassExpiresAt, tk.Ahead, tk.ETASeconds = waitingroom.TicketAdmitted, "pass-alice-e1", testNow.Add(10*time.Minute), 0, 0
	rooms.tickets["q_alice"] = tk
	rooms.mu.Unlock()
	r = e.do(t, "GET", "/api/v1/queue/q_alice", "", alice)
	if r.body["status"] != "admitted" || r.body["pass"] != "pass-alice-e1" || r.body["pass_expires_at"] != "2026-06-01T12:10:00Z" {
		t.Fatalf("admitted ticket %v", r.body)
	}
}

func TestHoldsNeedAPassWhileTheRoomIsEnabled(t *testing.T) {
	rooms := newFakeWaitingRooms()
	e := newEnv(t, withWaitingRooms(rooms))
	alice := bearer(t, "alice", "")
	hold := func(headers map[string]string) response {
		return e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","quantity":2}`, headers)
	}
	hold(alice).expectStatus(t, 201) // no room: no pass needed
	if _, err := rooms.SetRoom(context.Background(), waitingroom.Settings{EventID: "e1", Enabled: true, Order: waitingroom.OrderFIFO}); err != nil {
		t.Fatal(err)
	}
	before := len(e.res.holds)
	d := hold(alice).expectError(t, 403, "QUEUE_REQUIRED")
	if len(d) != 0 {
		t.Fatalf("details %v, want {}", d)
	}
	withPass := func(pass string) map[string]string {
		return map[string]string{"Authorization": alice["Authorization"], "X-Queue-Pass": pass}
	}
	hold(withPass("pass-bob-e1")).expectError(t, 403, "QUEUE_REQUIRED")
	hold(withPass("pass-alice-e2")).expectError(t, 403, "QUEUE_REQUIRED")
	if len(e.res.holds) != before {
		t.Fatal("a hold without a valid pass reached the reservations")
	}
	hold(withPass("pass-alice-e1")).expectStatus(t, 201)
	if got := rooms.checked[len(rooms.checked)-1]; got != "pass-alice-e1" {
		t.Fatalf("the pass checked was %q", got)
	}
	// Only the holds let through mark their passes used, with the seats they took:
	// none for a hold refused.
	e.res.mu.Lock()
	e.res.err = actors.ErrSoldOut
	e.res.mu.Unlock()
	hold(withPass("pass-alice-e1")).expectError(t, 409, "SOLD_OUT")
	rooms.mu.Lock()
	done, seats := append([]string(nil), rooms.done...), append([]int(nil), rooms.seats...)
	rooms.mu.Unlock()
	if len(done) != 2 || done[0] != "pass-alice-e1" || done[1] != "pass-alice-e1" {
		t.Fatalf("passes marked used: %q, want only the valid one's, twice", done)
	}
	if len(seats) != 2 || seats[0] != 2 || seats[1] != 0 {
		t.Fatalf("seats of the holds made with passes: %v, want [2 0]", seats)
	}
}

func TestWaitingRoomRoutesWithoutWaitingRooms(t *testing.T) {
	e := newEnv(t)
	admin := bearer(t, "root", "admin")
	e.do(t, "GET", "/api/v1/events/e1/waiting-room", "", nil).expectError(t, 404, "NOT_FOUND")
	e.do(t, "PUT", "/api/v1/events/e1/waiting-room", `{"enabled":true}`, admin).expectError(t, 404, "NOT_FOUND")
	e.do(t, "POST", "/api/v1/events/e1/queue", "", admin).expectError(t, 404, "NOT_FOUND")
	e.do(t, "GET", "/api/v1/queue/q_1", "", admin).expectError(t, 404, "NOT_FOUND")
	e.do(t, "GET", "/ws/queue/q_1", "", nil).expectError(t, 404, "NOT_FOUND")
	e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","quantity":2}`, admin).expectStatus(t, 201)
}

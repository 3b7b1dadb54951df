package http

import (
	"context"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// joinLimitedError is a join refused by the limit charged in its own step, as
// persistence.RateLimitedError is.
type joinLimitedError struct{ after time.Duration }

func (e *joinLimitedError) Error() string             { return actors.ErrRateLimited.Error() }
func (e *joinLimitedError) Unwrap() error             { return actors.ErrRateLimited }
func (e *joinLimitedError) RetryAfter() time.Duration { return e.after }

// chargingRooms are waiting rooms that charge each join to an allowance of their own.
type chargingRooms struct {
	*fakeWaitingRooms
	left int
}

func (c *chargingRooms) Join(ctx context.Context, eventID, userID string) (waitingroom.Ticket, bool, error) {
	c.mu.Lock()
	c.left--
	refused := c.left < 0
	c.mu.Unlock()
	if refused {
		return waitingroom.Ticket{}, false, &joinLimitedError{after: 2500 * time.Millisecond}
	}
	return c.fakeWaitingRooms.Join(ctx, eventID, userID)
}

func TestJoinRouteLeavesTheLimitToRoomsThatChargeIt(t *testing.T) {
	rooms := &chargingRooms{fakeWaitingRooms: newFakeWaitingRooms(), left: 1}
	e := newEnv(t, withWaitingRooms(rooms), func(c *Config) { c.JoinsRateLimited = true })
	rooms.SetRoom(context.Background(), waitingroom.Settings{EventID: "e1", Enabled: true, Order: waitingroom.OrderFIFO})
	alice := bearer(t, "alice", "")

	e.do(t, "POST", "/api/v1/events/e1/queue", "", alice).expectStatus(t, 201)
	if len(e.limiter.keys) != 0 {
		t.Fatalf("the route checked the limit itself: keys %v", e.limiter.keys)
	}
	r := e.do(t, "POST", "/api/v1/events/e1/queue", "", alice)
	d := r.expectError(t, 429, "RATE_LIMITED")
	if r.header.Get("Retry-After") != "3" || d["retry_after_seconds"] != 3.0 {
		t.Fatalf("refused join: Retry-After %q, details %v; want 3 s", r.header.Get("Retry-After"), d)
	}

	// A join the handler refuses before joining is checked here, in the same order as
	// on every route: over the limit is 429 before the id is read.
	e.limiter.set(false, time.Second, nil)
	e.do(t, "POST", "/api/v1/events/no%20such/queue", "", alice).expectError(t, 429, "RATE_LIMITED")
	e.limiter.set(true, 0, nil)
	e.do(t, "POST", "/api/v1/events/no%20such/queue", "", alice).expectError(t, 404, "NOT_FOUND")
	if len(e.limiter.keys) != 2 || e.limiter.keys[0] != "user:alice" {
		t.Fatalf("limiter keys %v, want user:alice twice", e.limiter.keys)
	}
}

func TestJoinRouteChecksTheLimitForRoomsThatDoNot(t *testing.T) {
	rooms := newFakeWaitingRooms()
	e := newEnv(t, withWaitingRooms(rooms))
	rooms.SetRoom(context.Background(), waitingroom.Settings{EventID: "e1", Enabled: true, Order: waitingroom.OrderFIFO})
	e.limiter.set(false, time.Second, nil)
	e.do(t, "POST", "/api/v1/events/e1/queue", "", bearer(t, "alice", "")).expectError(t, 429, "RATE_LIMITED")
	if len(rooms.byUser) != 0 || len(e.limiter.keys) != 1 {
		t.Fatalf("tickets %v, limiter keys %v: want the join refused by the route", rooms.byUser, e.limiter.keys)
	}
}

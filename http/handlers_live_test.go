package http

import (
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestLiveRoutes: the websocket handlers run behind the error table, so their refusals
// are ordinary JSON errors; a node without them answers 404.
func TestLiveRoutes(t *testing.T) {
	var eventID string
	e := newEnv(t, func(c *Config) {
		c.Live = LiveHandlers{
			Events: func(c *fiber.Ctx) error {
				eventID = c.Params("event_id")
				return actors.Invalid("upgrade", "this endpoint needs a websocket upgrade")
			},
			Visualizer: func(*fiber.Ctx) error { return actors.Unavailable("too many websocket connections") },
		}
	})
	if d := e.do(t, http.MethodGet, "/ws/events/e1", "", nil).expectError(t, http.StatusBadRequest, "VALIDATION_FAILED"); d["upgrade"] == nil {
		t.Errorf("details %v do not name the upgrade", d)
	}
	if eventID != "e1" {
		t.Errorf("the events handler saw event %q, want e1", eventID)
	}
	r := e.do(t, http.MethodGet, "/ws/visualizer", "", nil)
	r.expectError(t, http.StatusServiceUnavailable, "UNAVAILABLE")
	if r.header.Get("Retry-After") == "" || r.header.Get("X-Request-ID") == "" {
		t.Errorf("refusal headers %v lack Retry-After or X-Request-ID", r.header)
	}

	none := newEnv(t)
	none.offContract = true // every node of the binary serves both websockets
	none.do(t, http.MethodGet, "/ws/events/e1", "", nil).expectError(t, http.StatusNotFound, "NOT_FOUND")
	none.do(t, http.MethodGet, "/ws/visualizer", "", nil).expectError(t, http.StatusNotFound, "NOT_FOUND")
}

// TestInFlightLeavesUpgradesOut: the backlog the waiting room reads counts the
// requests being answered but not the websocket upgrades, thousands of which follow a
// rush's joins.
func TestInFlightLeavesUpgradesOut(t *testing.T) {
	var e *env
	var seen []int64
	e = newEnv(t, func(c *Config) {
		c.Live = LiveHandlers{Queue: func(*fiber.Ctx) error {
			seen = append(seen, e.srv.InFlight())
			return actors.Invalid("upgrade", "this endpoint needs a websocket upgrade")
		}}
	})
	e.offContract = true // the fake refuses the upgrade it was asked for
	e.do(t, http.MethodGet, "/ws/queue/q_1", "", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket"})
	e.do(t, http.MethodGet, "/ws/queue/q_1", "", nil)
	if len(seen) != 2 || seen[0] != 0 || seen[1] != 1 {
		t.Fatalf("in flight during an upgrade, then a plain request: %v; want [0 1]", seen)
	}
}

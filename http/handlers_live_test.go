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

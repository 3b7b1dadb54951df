package http

import (
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// queueUpgradeServer is a server whose queue websocket route tells reached when a
// request gets to it.
func queueUpgradeServer(t *testing.T, reached chan<- time.Time) *Server {
	t.Helper()
	srv, err := New(Config{
		Reservations: &decidedReservations{},
		Catalog:      newFakeCatalog(),
		RateLimiter:  allowAll{},
		JWTSecret:    testSecret,
		Registry:     prometheus.NewRegistry(),
		Logger:       zap.NewNop(),
		Clock:        func() time.Time { return testNow },
		Live: LiveHandlers{Queue: func(c *fiber.Ctx) error {
			reached <- time.Now()
			return c.SendStatus(fiber.StatusNoContent)
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// upgradeRequest sends GET /ws/queue/q_1 asking for a websocket to srv's handler.
func upgradeRequest(srv *Server) {
	var rc fasthttp.RequestCtx
	rc.Request.Header.SetMethod(fasthttp.MethodGet)
	rc.Request.SetRequestURI("/ws/queue/q_1")
	rc.Request.Header.Set(fasthttp.HeaderUpgrade, "websocket")
	rc.Request.Header.Set(fasthttp.HeaderConnection, "Upgrade")
	srv.App().Handler()(&rc)
}

// A queue websocket's upgrade waits while the node answers more than upgradeBacklog
// requests, and goes on as soon as a request's end brings the backlog down to it, not
// only once upgradeWaitMax has passed. Before, the upgrade went on at once whatever the
// backlog.
func TestQueueUpgradeYieldsToTheBacklog(t *testing.T) {
	reached := make(chan time.Time, 1)
	srv := queueUpgradeServer(t, reached)
	srv.inFlight.Add(upgradeBacklog + 50)
	start := time.Now()
	go upgradeRequest(srv)
	select {
	case <-reached:
		t.Fatalf("the upgrade went on with %d requests in flight", srv.InFlight())
	case <-time.After(300 * time.Millisecond):
	}
	srv.inFlight.Add(-50)
	srv.requestDone() // one request ends: the backlog is below the bound
	select {
	case at := <-reached:
		if waited := at.Sub(start); waited >= upgradeWaitMax-200*time.Millisecond {
			t.Errorf("the upgrade waited %s: until its bound, not until the backlog fell", waited)
		}
	case <-time.After(upgradeWaitMax + 5*time.Second):
		t.Fatal("the upgrade never went on")
	}
}

// An upgrade with the backlog at its bound goes on at once; one whose backlog never
// falls goes on after upgradeWaitMax.
func TestQueueUpgradeWaitsAtMostItsBound(t *testing.T) {
	reached := make(chan time.Time, 1)
	srv := queueUpgradeServer(t, reached)
	srv.inFlight.Add(upgradeBacklog)
	start := time.Now()
	upgradeRequest(srv)
	if waited := (<-reached).Sub(start); waited > 200*time.Millisecond {
		t.Errorf("with the backlog at its bound the upgrade waited %s", waited)
	}
	srv.inFlight.Add(1)
	start = time.Now()
	go upgradeRequest(srv)
	select {
	case at := <-reached:
		if waited := at.Sub(start); waited < upgradeWaitMax-10*time.Millisecond {
			t.Errorf("the upgrade went on after %s with the backlog above its bound", waited)
		}
	case <-time.After(upgradeWaitMax + 5*time.Second):
		t.Fatal("the upgrade never went on")
	}
}

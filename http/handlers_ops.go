package http

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ticketblitz/ticketblitz/actors"
)

// readyCheckTimeout bounds each readiness check (and the request timeout bounds them
// all), so that one hung dependency cannot hang /readyz.
const readyCheckTimeout = 2 * time.Second

// healthz answers GET /healthz: the process is alive.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(statusJSON{Status: "ok"})
}

// readyz answers GET /readyz: 200 when every required check passes, otherwise 503
// UNAVAILABLE whose details.checks names each check's result. A failing degradable check
// reads "degraded: <error>" and leaves the node ready.
func (s *Server) readyz(c *fiber.Ctx) error {
	checks := make(map[string]func(context.Context) error, len(s.cfg.Ready)+len(s.cfg.Degradable))
	for name, check := range s.cfg.Ready {
		checks[name] = check
	}
	for name, check := range s.cfg.Degradable {
		checks[name] = check
	}
	results := runChecks(c.UserContext(), checks)
	var failing []string
	for name, result := range results {
		if result == "ok" {
			continue
		}
		if _, degradable := s.cfg.Degradable[name]; degradable {
			results[name] = "degraded: " + result
			continue
		}
		failing = append(failing, name)
	}
	if len(failing) == 0 {
		return c.JSON(readyJSON{Status: "ready", Checks: results})
	}
	sort.Strings(failing)
	return &notReadyError{failing: failing, checks: results}
}

// runChecks runs the checks concurrently and returns "ok" or the error text of each.
func runChecks(ctx context.Context, checks map[string]func(context.Context) error) map[string]string {
	results := make(map[string]string, len(checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, readyCheckTimeout)
			defer cancel()
			result := "ok"
			if err := check(cctx); err != nil {
				result = err.Error()
			}
			mu.Lock()
			results[name] = result
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results
}

// notReadyError is the 503 of a failed readiness check.
type notReadyError struct {
	failing []string
	checks  map[string]string
}

func (e *notReadyError) Error() string { return fmt.Sprintf("not ready: %v", e.failing) }

// metricsHandler serves the registry on GET /metrics.
func (s *Server) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))
}

// clusterStatus answers GET /api/v1/cluster (admin).
func (s *Server) clusterStatus(c *fiber.Ctx) error {
	if s.cfg.Cluster == nil {
		return actors.Unavailable("this node runs without a cluster")
	}
	st, err := s.cfg.Cluster.Status(c.UserContext())
	if err != nil {
		return fmt.Errorf("cluster status: %w", err)
	}
	return c.JSON(toClusterJSON(st))
}

// clusterDrain answers POST /api/v1/cluster/drain (admin): 202 as soon as the drain is
// under way (readyz turns 503; the node hands its sections over and exits shortly).
func (s *Server) clusterDrain(c *fiber.Ctx) error {
	if s.cfg.Cluster == nil {
		return actors.Unavailable("this node runs without a cluster")
	}
	if err := s.cfg.Cluster.Drain(c.UserContext()); err != nil {
		return fmt.Errorf("cluster drain: %w", err)
	}
	return c.Status(fiber.StatusAccepted).JSON(statusJSON{Status: "draining"})
}

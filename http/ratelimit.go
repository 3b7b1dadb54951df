package http

import (
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// rateLimit applies the per-user limit; it runs after authenticate. When the limiter
// itself fails (Redis down) requests pass: the limit protects the service, and refusing
// every fan because the limiter is down would be the bigger outage. The failure is
// logged once per outage, not once per request.
func (s *Server) rateLimit(c *fiber.Ctx) error {
	if err := s.chargeRate(c); err != nil {
		return err
	}
	return c.Next()
}

// chargeRate charges the request to its user's rate limit, and refuses it when the
// limit is spent. A failing limiter lets it through. It is not inlined: the handler
// runs beneath rateLimit's frame, on a connection goroutine's stack (see
// Server.identify).
//
//go:noinline
func (s *Server) chargeRate(c *fiber.Ctx) error {
	if s.cfg.RateLimiter == nil {
		return nil
	}
	p := principalOf(c)
	allowed, retryAfter, err := s.cfg.RateLimiter.Allow(c.UserContext(), actors.UserRateKey(p.UserID))
	if err != nil {
		s.metrics.limiterErrors.Inc()
		if s.limiterDown.CompareAndSwap(false, true) {
			s.log.Warn("rate limiter failing; letting requests through",
				zap.String("request_id", s.requestIDOf(c)), zap.Error(err))
		}
		return nil
	}
	if s.limiterDown.CompareAndSwap(true, false) {
		s.log.Info("rate limiter recovered")
	}
	if !allowed {
		return rateLimited(retryAfter)
	}
	return nil
}

// rateLimitJoin is rateLimit for the join route, except that a join the waiting rooms
// will charge themselves (Config.JoinsRateLimited: a join of a well-formed event id)
// is left to them, which saves the join a round trip. A request the handler refuses
// before joining is checked here, as on every route, so it is refused in the same
// order as before.
func (s *Server) rateLimitJoin(c *fiber.Ctx) error {
	if !s.cfg.JoinsRateLimited || s.cfg.RateLimiter == nil || s.cfg.WaitingRooms == nil ||
		!actors.ValidLookupID(c.Params("event_id")) {
		return s.rateLimit(c)
	}
	return c.Next()
}

package http

import (
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

// rateLimit applies the per-user limit; it runs after authenticate. When the limiter
// itself fails (Redis down) requests pass: the limit protects the service, and refusing
// every fan because the limiter is down would be the bigger outage. The failure is
// logged once per outage, not once per request.
func (s *Server) rateLimit(c *fiber.Ctx) error {
	if s.cfg.RateLimiter == nil {
		return c.Next()
	}
	p := principalOf(c)
	allowed, retryAfter, err := s.cfg.RateLimiter.Allow(c.UserContext(), "user:"+p.UserID)
	if err != nil {
		s.metrics.limiterErrors.Inc()
		if s.limiterDown.CompareAndSwap(false, true) {
			s.log.Warn("rate limiter failing; letting requests through",
				zap.String("request_id", s.requestIDOf(c)), zap.Error(err))
		}
		return c.Next()
	}
	if s.limiterDown.CompareAndSwap(true, false) {
		s.log.Info("rate limiter recovered")
	}
	if !allowed {
		return rateLimited(retryAfter)
	}
	return c.Next()
}

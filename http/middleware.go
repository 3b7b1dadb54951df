package http

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// requestIDKey is the Fiber local that carries the request id.
type requestIDKey struct{}

// maxRequestIDLen bounds an incoming X-Request-ID that is passed on.
const maxRequestIDLen = 128

// observe wraps every request: it assigns the request id, bounds the handler's context
// (a context shared with the requests that started within milliseconds of it),
// turns panics and returned errors into the JSON error answer, and records metrics with
// the final status.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	id := s.acceptRequestID(c.Get(fiber.HeaderXRequestID))
	c.Locals(requestIDKey{}, id)
	c.Set(fiber.HeaderXRequestID, id)

	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()
	if !isUpgrade(c) {
		s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
	}

	c.SetUserContext(s.deadlines.context(start))

	err := nextRecovering(c)
	route := routeLabel(c, err)
	if err != nil {
		if werr := s.handleError(c, err); werr != nil {
			return werr
		}
	}
	s.metrics.observe(route, methodLabel(c.Method()), c.Response().StatusCode(), time.Since(start))
	return nil
}

// isUpgrade reports whether c asks for a websocket: a connection opening, answered
// from the ticket's record alone, which is not in InFlight's backlog.
func isUpgrade(c *fiber.Ctx) bool {
	return strings.EqualFold(c.Get(fiber.HeaderUpgrade), "websocket")
}

// nextRecovering runs the rest of the chain and turns a panic into an error, so that
// the client gets an answer and the panic is logged once with its request id.
func nextRecovering(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return c.Next()
}

// acceptRequestID keeps an incoming request id when it is short and harmless in logs
// and headers, and makes a new one otherwise. The result never aliases Fiber's buffers.
func (s *Server) acceptRequestID(incoming string) string {
	if incoming == "" || len(incoming) > maxRequestIDLen {
		return s.ids.newID()
	}
	for i := 0; i < len(incoming); i++ {
		b := incoming[i]
		ok := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			b == '-' || b == '_' || b == '.' || b == ':'
		if !ok {
			return s.ids.newID()
		}
	}
	return strings.Clone(incoming)
}

// requestIDOf returns the request id observe assigned, making one when observe did not
// run (errors fasthttp raises before routing).
func (s *Server) requestIDOf(c *fiber.Ctx) string {
	if id, ok := c.Locals(requestIDKey{}).(string); ok {
		return id
	}
	id := s.ids.newID()
	c.Locals(requestIDKey{}, id)
	c.Set(fiber.HeaderXRequestID, id)
	return id
}

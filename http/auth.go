package http

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The roles a token may carry.
const (
	RoleFan   = "fan"
	RoleAdmin = "admin"
)

// principal is the authenticated caller.
type principal struct {
	UserID string
	Admin  bool
}

// principalKey is the Fiber local that carries the principal.
type principalKey struct{}

// principalOf returns the caller authenticated authenticate stored. Handlers behind
// authenticate always find one.
func principalOf(c *fiber.Ctx) principal {
	p, _ := c.Locals(principalKey{}).(principal)
	return p
}

// authenticate requires a valid bearer token and stores its principal.
func (s *Server) authenticate(c *fiber.Ctx) error {
	if err := s.identify(c); err != nil {
		return err
	}
	return c.Next()
}

// identify checks the request's bearer token and stores its principal. It is not
// inlined: the handlers after authenticate run beneath its frame, on a connection
// goroutine's stack, and the token's check needs none of it then.
//
//go:noinline
func (s *Server) identify(c *fiber.Ctx) error {
	raw, ok := bearerToken(c.Get(fiber.HeaderAuthorization))
	if !ok {
		return unauthenticated("missing bearer token")
	}
	now := s.cfg.Clock()
	p, ok := s.tokens.lookup(raw, now)
	if !ok {
		v, err := verifyTokenWith(s.macs, s.cfg.JWTSecret, raw, func() time.Time { return now })
		if err != nil {
			return err
		}
		s.tokens.store(raw, v)
		p = v.p
	}
	c.Locals(principalKey{}, p)
	return nil
}

// adminOnly lets only admins through; it runs after authenticate.
func (s *Server) adminOnly(c *fiber.Ctx) error {
	if !principalOf(c).Admin {
		return &actors.Error{Code: actors.CodeForbidden, Message: "admin only"}
	}
	return c.Next()
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func unauthenticated(why string) error {
	return &actors.Error{Code: actors.CodeUnauthenticated, Message: why}
}

// owns reports whether the caller may see something that belongs to owner.
func (p principal) owns(owner string) bool {
	return p.Admin || (p.UserID != "" && p.UserID == owner)
}

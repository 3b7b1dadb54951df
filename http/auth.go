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
		var err error
		if p, err = s.verify(raw, now); err != nil {
			return err
		}
	}
	c.Locals(principalKey{}, p)
	return nil
}

// verify checks a token the cache does not hold, and stores it. It is not inlined, and
// its frame is small: the token's HMAC, beneath it, is a connection goroutine's deepest
// point in a rush (every fan's first request checks its token), so that what it checks
// after the signature is done in accept, and a token it does not accept is left to
// verifyTokenWith, which names the problem.
//
//go:noinline
func (s *Server) verify(raw string, now time.Time) (principal, error) {
	st := s.macs.get()
	defer s.macs.pool.Put(st)
	if !st.signed(raw) {
		return s.verifySlow(raw, now)
	}
	return s.accept(st, raw, now)
}

// accept finishes verify for a token st found signed: its claims, and the cache.
//
//go:noinline
func (s *Server) accept(st *macState, raw string, now time.Time) (principal, error) {
	st.token = tokenClaims{}
	if !st.claimsOf(now, &st.token) {
		return s.verifySlow(raw, now)
	}
	v, err := verifiedOf(&st.token)
	if err != nil {
		return principal{}, err
	}
	s.tokens.store(raw, v)
	return v.p, nil
}

// verifySlow is verify for a token the fast check does not accept, whose problem the
// jwt parser names; the rare token it accepts is stored.
//
//go:noinline
func (s *Server) verifySlow(raw string, now time.Time) (principal, error) {
	v, err := verifyTokenWith(nil, s.cfg.JWTSecret, raw, now)
	if err != nil {
		return principal{}, err
	}
	s.tokens.store(raw, v)
	return v.p, nil
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

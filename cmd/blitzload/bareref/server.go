package bareref

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
)

// Path is the route the fans call: POST with a JSON body and a bearer token.
const Path = "/bare/queue"

// request is the body the fans send.
type request struct {
	SectionID string `json:"section_id"`
	Quantity  int    `json:"quantity"`
}

// ticket is the answer: the caller's place, given once and then read from the map.
type ticket struct {
	UserID    string `json:"user_id"`
	SectionID string `json:"section_id"`
	Quantity  int    `json:"quantity"`
	Position  int    `json:"position"`
}

// Server answers Path from a map of users to tickets.
type Server struct {
	app    *fiber.App
	secret []byte

	mu      sync.Mutex
	tickets map[string]ticket
}

// New returns a server checking tokens signed with secret.
func New(secret []byte) (*Server, error) {
	if len(secret) == 0 {
		return nil, errors.New("bare reference: empty secret")
	}
	s := &Server{secret: secret, tickets: make(map[string]ticket)}
	s.app = fiber.New(fiber.Config{DisableStartupMessage: true})
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	s.app.Post(Path, s.answer)
	return s, nil
}

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops the server.
func (s *Server) Shutdown() error { return s.app.Shutdown() }

// answer checks the token, decodes the body and answers from the map.
func (s *Server) answer(c *fiber.Ctx) error {
	user, err := s.user(c.Get(fiber.HeaderAuthorization))
	if err != nil {
		return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": fiber.Map{"code": "UNAUTHENTICATED", "message": err.Error()}})
	}
	var req request
	if err := c.BodyParser(&req); err != nil || req.SectionID == "" || req.Quantity < 1 {
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": fiber.Map{"code": "VALIDATION_FAILED", "message": "want section_id and quantity"}})
	}
	s.mu.Lock()
	t, ok := s.tickets[user]
	if !ok {
		t = ticket{UserID: user, SectionID: strings.Clone(req.SectionID), Quantity: req.Quantity, Position: len(s.tickets) + 1}
		s.tickets[user] = t
	}
	s.mu.Unlock()
	status := fiber.StatusOK
	if !ok {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(t)
}

// user returns the subject of a valid HS256 bearer token.
func (s *Server) user(header string) (string, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return "", errors.New("no bearer token")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	sub, err := claims.GetSubject()
	if err != nil || sub == "" {
		return "", errors.New("token without sub")
	}
	return sub, nil
}

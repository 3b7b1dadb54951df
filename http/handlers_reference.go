package http

import "github.com/gofiber/fiber/v2"

// openAPIDocument answers GET /api/v1/openapi.json: the OpenAPI document the server was
// given, byte for byte, or 404 NOT_FOUND when it was given none.
func (s *Server) openAPIDocument(c *fiber.Ctx) error {
	if s.cfg.OpenAPI == nil {
		return notFound("this node serves no OpenAPI document")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(s.cfg.OpenAPI)
}

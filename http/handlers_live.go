package http

import "github.com/gofiber/fiber/v2"

// liveOrNotFound is a websocket route's handler: h, or, when the node serves no such
// websocket, a 404 NOT_FOUND.
func liveOrNotFound(h fiber.Handler) fiber.Handler {
	if h != nil {
		return h
	}
	return func(*fiber.Ctx) error { return notFound("this node serves no such websocket") }
}

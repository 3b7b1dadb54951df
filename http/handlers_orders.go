package http

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// getOrder answers GET /api/v1/orders/{order_id}: the owner's (or an admin's) view.
func (s *Server) getOrder(c *fiber.Ctx) error {
	p := principalOf(c)
	id, err := pathID(c.Params("order_id"), actors.ValidLookupID, "order")
	if err != nil {
		return err
	}
	o, err := s.cfg.Catalog.GetOrder(c.UserContext(), id)
	if err != nil {
		return fmt.Errorf("get order %s: %w", id, err)
	}
	if !p.owns(o.UserID) {
		return &actors.Error{Code: actors.CodeForbidden, Message: "not your order"}
	}
	return c.JSON(toOrderJSON(o))
}

// myOrders answers GET /api/v1/me/orders.
func (s *Server) myOrders(c *fiber.Ctx) error {
	p := principalOf(c)
	orders, err := s.cfg.Catalog.ListOrders(c.UserContext(), p.UserID)
	if err != nil {
		return fmt.Errorf("orders of %s: %w", p.UserID, err)
	}
	out := ordersJSON{Orders: make([]orderJSON, 0, len(orders))}
	for _, o := range orders {
		out.Orders = append(out.Orders, toOrderJSON(o))
	}
	return c.JSON(out)
}

// cancelOrder answers POST /api/v1/orders/{order_id}/cancel.
func (s *Server) cancelOrder(c *fiber.Ctx) error {
	p := principalOf(c)
	id, err := pathID(c.Params("order_id"), actors.ValidLookupID, "order")
	if err != nil {
		return err
	}
	o, err := s.cfg.Reservations.Cancel(c.UserContext(), id, p.UserID, p.Admin)
	if err != nil {
		return fmt.Errorf("cancel order %s: %w", id, err)
	}
	return c.JSON(toOrderJSON(o))
}

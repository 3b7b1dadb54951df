package http

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// listEvents answers GET /api/v1/events.
func (s *Server) listEvents(c *fiber.Ctx) error {
	evs, err := s.cfg.Catalog.ListEvents(c.UserContext())
	if err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	out := eventsJSON{Events: make([]eventJSON, 0, len(evs))}
	for _, ev := range evs {
		out.Events = append(out.Events, toEventJSON(ev))
	}
	return c.JSON(out)
}

// getEvent answers GET /api/v1/events/{event_id}.
func (s *Server) getEvent(c *fiber.Ctx) error {
	id, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	ev, err := s.cfg.Catalog.GetEvent(c.UserContext(), id)
	if err != nil {
		return fmt.Errorf("get event %s: %w", id, err)
	}
	return c.JSON(toEventJSON(ev))
}

// createEvent answers POST /api/v1/events (admin). The catalog assigns the id.
func (s *Server) createEvent(c *fiber.Ctx) error {
	body, err := requestBody(c)
	if err != nil {
		return err
	}
	ev, err := s.decode.decodeCreateEvent(body)
	if err != nil {
		return err
	}
	created, err := s.cfg.Catalog.CreateEvent(c.UserContext(), ev)
	if err != nil {
		return fmt.Errorf("create event: %w", err)
	}
	return c.Status(fiber.StatusCreated).JSON(toEventJSON(created))
}

// seatMap answers GET /api/v1/events/{event_id}/sections/{section_id}/seats.
func (s *Server) seatMap(c *fiber.Ctx) error {
	eventID, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	sectionID, err := pathID(c.Params("section_id"), actors.ValidSectionID, "section")
	if err != nil {
		return err
	}
	m, err := s.cfg.Catalog.SeatMap(c.UserContext(), eventID, sectionID)
	if err != nil {
		return fmt.Errorf("seat map of %s/%s: %w", eventID, sectionID, err)
	}
	return c.JSON(toSeatMapJSON(m))
}

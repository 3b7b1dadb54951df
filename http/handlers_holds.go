package http

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// headerQueuePass carries the queue pass a hold needs while the event's waiting room
// is enabled.
const headerQueuePass = "X-Queue-Pass"

// createHold answers POST /api/v1/events/{event_id}/holds. While the event's waiting
// room is enabled it needs the caller's pass (checked in memory, before anything else
// of the request is read).
func (s *Server) createHold(c *fiber.Ctx) error {
	p := principalOf(c)
	eventID, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	var pass string
	if s.cfg.WaitingRooms != nil {
		if pass, err = s.checkQueuePass(c, eventID, p.UserID); err != nil {
			return err
		}
	}
	// Whatever the hold answers, the fan had its turn: the pass is used (holdDone),
	// and the room learns the seats a pass's hold takes. The calls run within the
	// handler, so pass may alias the request.
	req, err := s.holdRequestOf(c, eventID, p.UserID)
	if err != nil {
		s.holdDone(eventID, p.UserID, pass, 0)
		return err
	}
	h, err := s.cfg.Reservations.Hold(c.UserContext(), req)
	if err != nil {
		s.holdDone(eventID, p.UserID, pass, 0)
		return &holdError{eventID: eventID, sectionID: req.SectionID, err: err}
	}
	s.holdDone(eventID, p.UserID, pass, h.Quantity)
	return holdCreated(c, h)
}

// holdDone tells the waiting rooms that the hold made with pass (if any) was answered,
// taking seats.
//
//go:noinline
func (s *Server) holdDone(eventID, userID, pass string, seats int) {
	if pass != "" {
		s.cfg.WaitingRooms.HoldDone(eventID, userID, pass, seats)
	}
}

// This handler's frame stays on its connection goroutine's stack for the whole of
// Reservations.Hold, the deepest call of a request: reading the request and writing the
// answer are done in the functions below, so that their temporaries are not part of
// that frame (the collector halves an idle connection's stack, and a request that
// outgrows it copies the stack to one twice the size).

// checkQueuePass checks the caller's queue pass for eventID, and returns it.
//
//go:noinline
func (s *Server) checkQueuePass(c *fiber.Ctx, eventID, userID string) (string, error) {
	pass := c.Get(headerQueuePass)
	if err := s.cfg.WaitingRooms.CheckPass(eventID, userID, pass); err != nil {
		return "", fmt.Errorf("hold in %s: %w", eventID, err)
	}
	return pass, nil
}

// holdRequestOf reads the hold request of c, for userID in eventID: its idempotency key
// and its body, with every bad field reported at once.
//
//go:noinline
func (s *Server) holdRequestOf(c *fiber.Ctx, eventID, userID string) (actors.HoldRequest, error) {
	key, keyErr := idempotencyKey(c.Get(headerIdempotencyKey))
	body, err := requestBody(c)
	if err != nil {
		return actors.HoldRequest{}, err
	}
	req, err := s.decode.decodeHoldRequest(body, eventID, userID)
	if err := joinValidation(keyErr, err); err != nil {
		return actors.HoldRequest{}, err
	}
	req.IdempotencyKey = key
	return req, nil
}

// holdCreated answers 201 with the hold h, written straight into the response's own
// (pooled) body buffer when it is plain (appendHoldBody), with encoding/json otherwise.
//
//go:noinline
func holdCreated(c *fiber.Ctx, h actors.Hold) error {
	res := c.Status(fiber.StatusCreated).Response()
	body, ok := appendHoldBody(takeBody(res), &h)
	if putBody(res, body, ok) {
		return nil
	}
	return holdJSONAnswer(c, &h)
}

// holdJSONAnswer answers with the hold h encoded by encoding/json: a hold whose
// answer appendHoldBody does not write.
//
//go:noinline
func holdJSONAnswer(c *fiber.Ctx, h *actors.Hold) error {
	return c.JSON(toHoldJSON(*h))
}

// getHold answers GET /api/v1/holds/{hold_id}: the owner's (or an admin's) view.
func (s *Server) getHold(c *fiber.Ctx) error {
	p := principalOf(c)
	id, err := pathID(c.Params("hold_id"), actors.ValidLookupID, "hold")
	if err != nil {
		return err
	}
	h, err := s.cfg.Catalog.GetHold(c.UserContext(), id)
	if err != nil {
		return fmt.Errorf("get hold %s: %w", id, err)
	}
	if !p.owns(h.UserID) {
		return &actors.Error{Code: actors.CodeForbidden, Message: "not your hold"}
	}
	return c.JSON(toHoldJSON(h))
}

// myHolds answers GET /api/v1/me/holds: the caller's holds that are held now, of every
// event.
func (s *Server) myHolds(c *fiber.Ctx) error {
	p := principalOf(c)
	holds, err := s.cfg.Catalog.ListHolds(c.UserContext(), p.UserID)
	if err != nil {
		return fmt.Errorf("holds of %s: %w", p.UserID, err)
	}
	out := holdsJSON{Holds: make([]holdJSON, 0, len(holds))}
	for _, h := range holds {
		out.Holds = append(out.Holds, toHoldJSON(h))
	}
	return c.JSON(out)
}

// releaseHold answers DELETE /api/v1/holds/{hold_id}.
func (s *Server) releaseHold(c *fiber.Ctx) error {
	p := principalOf(c)
	id, err := pathID(c.Params("hold_id"), actors.ValidLookupID, "hold")
	if err != nil {
		return err
	}
	h, err := s.cfg.Reservations.Release(c.UserContext(), id, p.UserID)
	if err != nil {
		return fmt.Errorf("release hold %s: %w", id, err)
	}
	if h.ID != "" {
		id = h.ID
	}
	return c.JSON(releasedJSON{ID: id, Status: string(actors.HoldReleased)})
}

// extendHold answers POST /api/v1/holds/{hold_id}/extend.
func (s *Server) extendHold(c *fiber.Ctx) error {
	p := principalOf(c)
	id, err := pathID(c.Params("hold_id"), actors.ValidLookupID, "hold")
	if err != nil {
		return err
	}
	h, err := s.cfg.Reservations.Extend(c.UserContext(), id, p.UserID)
	if err != nil {
		return fmt.Errorf("extend hold %s: %w", id, err)
	}
	return c.JSON(toHoldJSON(h))
}

// confirmHold answers POST /api/v1/holds/{hold_id}/confirm.
func (s *Server) confirmHold(c *fiber.Ctx) error {
	p := principalOf(c)
	id, err := pathID(c.Params("hold_id"), actors.ValidLookupID, "hold")
	if err != nil {
		return err
	}
	key, keyErr := idempotencyKey(c.Get(headerIdempotencyKey))
	body, err := requestBody(c)
	if err != nil {
		return err
	}
	b, err := s.decode.decodeConfirm(body)
	if err := joinValidation(keyErr, err); err != nil {
		return err
	}
	o, err := s.cfg.Reservations.Confirm(c.UserContext(), actors.ConfirmRequest{
		HoldID:         id,
		UserID:         p.UserID,
		PaymentToken:   b.PaymentToken,
		IdempotencyKey: key,
	})
	if err != nil {
		return fmt.Errorf("confirm hold %s: %w", id, err)
	}
	return c.Status(fiber.StatusCreated).JSON(toOrderJSON(o))
}

// holdError is a hold's refusal, named by its section: what fmt.Errorf("hold in %s/%s:
// %w") says, with its text built only when read. Most of a rush's answers are
// refusals, and most refusals are answered without their text.
type holdError struct {
	eventID, sectionID string
	err                error
}

func (e *holdError) Error() string {
	return "hold in " + e.eventID + "/" + e.sectionID + ": " + e.err.Error()
}

func (e *holdError) Unwrap() error { return e.err }

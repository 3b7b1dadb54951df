package http

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// waitingRoomBody is the body of PUT /api/v1/events/{event_id}/waiting-room. Pointers
// tell a missing or null value from a zero one.
type waitingRoomBody struct {
	Enabled   *bool   `json:"enabled"`
	Order     string  `json:"order"`
	OpensAt   *string `json:"opens_at"`
	AdmitPerS *int    `json:"admit_per_s"`
}

// waitingRoomJSON is the room both waiting-room routes answer.
type waitingRoomJSON struct {
	EventID       string     `json:"event_id"`
	Enabled       bool       `json:"enabled"`
	Order         string     `json:"order"`
	OpensAt       *time.Time `json:"opens_at"`
	AdmitPerS     *int       `json:"admit_per_s"`
	AdmittingPerS float64    `json:"admitting_per_s"`
	Waiting       int64      `json:"waiting"`
	Admitted      int64      `json:"admitted"`
}

// queueTicketJSON is a ticket as the queue routes answer it.
type queueTicketJSON struct {
	ID            string     `json:"id"`
	EventID       string     `json:"event_id"`
	UserID        string     `json:"user_id"`
	Position      *int64     `json:"position"`
	Ahead         int64      `json:"ahead"`
	ETASeconds    int64      `json:"eta_seconds"`
	Status        string     `json:"status"`
	Pass          *string    `json:"pass"`
	PassExpiresAt *time.Time `json:"pass_expires_at"`
	JoinedAt      time.Time  `json:"joined_at"`
	// FollowAfterMS is how long the client should wait, from receiving the ticket,
	// before it opens /ws/queue/{id} or reads the ticket again.
	FollowAfterMS int64 `json:"follow_after_ms"`
}

func toWaitingRoomJSON(r waitingroom.Room) waitingRoomJSON {
	out := waitingRoomJSON{
		EventID:       r.EventID,
		Enabled:       r.Enabled,
		Order:         string(r.Order),
		AdmittingPerS: math.Round(r.AdmittingPerS*100) / 100,
		Waiting:       r.Waiting,
		Admitted:      r.Admitted,
	}
	if !r.OpensAt.IsZero() {
		t := r.OpensAt.UTC()
		out.OpensAt = &t
	}
	if r.AdmitPerS > 0 {
		n := r.AdmitPerS
		out.AdmitPerS = &n
	}
	return out
}

func toQueueTicketJSON(t waitingroom.Ticket) queueTicketJSON {
	out := queueTicketJSON{
		ID:            t.ID,
		EventID:       t.EventID,
		UserID:        t.UserID,
		Ahead:         t.Ahead,
		ETASeconds:    t.ETASeconds,
		Status:        string(t.Status),
		JoinedAt:      t.JoinedAt.UTC(),
		FollowAfterMS: t.FollowAfter.Milliseconds(),
	}
	if t.Position > 0 {
		p := t.Position
		out.Position = &p
	}
	if t.Pass != "" {
		pass := t.Pass
		out.Pass = &pass
	}
	if !t.PassExpiresAt.IsZero() {
		at := t.PassExpiresAt.UTC()
		out.PassExpiresAt = &at
	}
	return out
}

// decodeWaitingRoom decodes the body of PUT …/waiting-room into the settings of
// eventID: enabled is required, order defaults to fifo, opens_at and admit_per_s may be
// left out or null.
func decodeWaitingRoom(body []byte, eventID string) (waitingroom.Settings, error) {
	var b waitingRoomBody
	if err := decodeJSON(body, &b); err != nil {
		return waitingroom.Settings{}, err
	}
	problems := map[string]string{}
	s := waitingroom.Settings{EventID: eventID, Order: waitingroom.Order(b.Order)}
	if b.Enabled == nil {
		problems["enabled"] = "is required"
	} else {
		s.Enabled = *b.Enabled
	}
	if b.Order == "" {
		s.Order = waitingroom.OrderFIFO
	}
	if b.OpensAt != nil {
		t, err := time.Parse(time.RFC3339, *b.OpensAt)
		if err != nil {
			problems["opens_at"] = "must be an RFC 3339 time like 2026-12-31T19:00:00Z"
		}
		s.OpensAt = t
	}
	if b.AdmitPerS != nil {
		// Zero would mean "follow the headroom" to the domain; a client that sends it
		// meant zero.
		if s.AdmitPerS = *b.AdmitPerS; s.AdmitPerS == 0 {
			problems["admit_per_s"] = fmt.Sprintf("must be between 1 and %d", waitingroom.MaxAdmitPerS)
		}
	}
	if err := mergeProblems(problems, s.Validate()); err != nil {
		return waitingroom.Settings{}, err
	}
	return s, nil
}

// errNoWaitingRooms answers the waiting-room routes of a node without Config.WaitingRooms.
func errNoWaitingRooms() error { return notFound("waiting rooms are not enabled on this node") }

// putWaitingRoom answers PUT /api/v1/events/{event_id}/waiting-room (admin).
func (s *Server) putWaitingRoom(c *fiber.Ctx) error {
	if s.cfg.WaitingRooms == nil {
		return errNoWaitingRooms()
	}
	eventID, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	body, err := requestBody(c)
	if err != nil {
		return err
	}
	set, err := decodeWaitingRoom(body, eventID)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Catalog.GetEvent(c.UserContext(), eventID); err != nil {
		return fmt.Errorf("waiting room of %s: %w", eventID, err)
	}
	room, err := s.cfg.WaitingRooms.SetRoom(c.UserContext(), set)
	if err != nil {
		return fmt.Errorf("set the waiting room of %s: %w", eventID, err)
	}
	return c.JSON(toWaitingRoomJSON(room))
}

// getWaitingRoom answers GET /api/v1/events/{event_id}/waiting-room: the room, or the
// defaults (disabled, fifo) for an event whose room was never set.
func (s *Server) getWaitingRoom(c *fiber.Ctx) error {
	if s.cfg.WaitingRooms == nil {
		return errNoWaitingRooms()
	}
	eventID, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	room, err := s.cfg.WaitingRooms.Room(c.UserContext(), eventID)
	if err != nil {
		return fmt.Errorf("waiting room of %s: %w", eventID, err)
	}
	if !room.Configured {
		if _, err := s.cfg.Catalog.GetEvent(c.UserContext(), eventID); err != nil {
			return fmt.Errorf("waiting room of %s: %w", eventID, err)
		}
	}
	return c.JSON(toWaitingRoomJSON(room))
}

// joinQueue answers POST /api/v1/events/{event_id}/queue: 201 with a new ticket, 200
// with the one the caller holds already.
func (s *Server) joinQueue(c *fiber.Ctx) error {
	if s.cfg.WaitingRooms == nil {
		return errNoWaitingRooms()
	}
	p := principalOf(c)
	eventID, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	t, created, err := s.cfg.WaitingRooms.Join(c.UserContext(), eventID, p.UserID)
	if err != nil {
		return fmt.Errorf("join the queue of %s: %w", eventID, err)
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(toQueueTicketJSON(t))
}

// getQueueTicket answers GET /api/v1/queue/{ticket_id}: the owner's (or an admin's) view.
func (s *Server) getQueueTicket(c *fiber.Ctx) error {
	if s.cfg.WaitingRooms == nil {
		return errNoWaitingRooms()
	}
	p := principalOf(c)
	id, err := pathID(c.Params("ticket_id"), validTicketID, "ticket")
	if err != nil {
		return err
	}
	wait, err := queueWait(c.Query("wait_ms"))
	if err != nil {
		return err
	}
	t, err := s.cfg.WaitingRooms.Ticket(c.UserContext(), id)
	if err != nil {
		return fmt.Errorf("queue ticket %s: %w", id, err)
	}
	if !p.owns(t.UserID) {
		return &actors.Error{Code: actors.CodeForbidden, Message: "not your ticket"}
	}
	if wait > 0 && t.Status == waitingroom.TicketWaiting && s.cfg.QueueWaits != nil {
		t = s.awaitTicket(t, wait)
	}
	return c.JSON(toQueueTicketJSON(t))
}

// maxQueueWait bounds GET /api/v1/queue/{ticket_id}?wait_ms=.
const maxQueueWait = 30 * time.Second

// queueWait parses wait_ms: how long a read of a waiting ticket may wait for its change
// (zero when absent).
func queueWait(raw string) (time.Duration, error) {
	if raw == "" {
		return 0, nil
	}
	ms, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || ms < 0 || ms > maxQueueWait.Milliseconds() {
		return 0, actors.InvalidFields(map[string]string{
			"wait_ms": fmt.Sprintf("must be a whole number of milliseconds from 0 to %d", maxQueueWait.Milliseconds())})
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// awaitTicket waits up to wait for the waiting ticket t to change its status or
// position (or for the server to shut down), and returns it as it then stands, as the
// feed computes it from its last read of the queue. While it waits the request is out
// of the node's backlog (InFlight): it costs a subscription, not work, and the room's
// controller must not hold its admissions back for thousands of fans waiting that way.
func (s *Server) awaitTicket(t waitingroom.Ticket, wait time.Duration) waitingroom.Ticket {
	changed, stop := s.cfg.QueueWaits.Await(t)
	timer := time.NewTimer(wait)
	s.inFlight.Add(-1)
	defer s.inFlight.Add(1)
	defer timer.Stop()
	select {
	case <-changed: // the feed's last read found the change; stop computes from it
	case <-timer.C:
	case <-s.closing:
	}
	return stop()
}

// validTicketID reports whether id could name a ticket: a lookup id starting with q_.
func validTicketID(id string) bool {
	return strings.HasPrefix(id, waitingroom.TicketIDPrefix) && actors.ValidLookupID(id)
}

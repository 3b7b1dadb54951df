package http

import (
	"fmt"
	"slices"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// chaosBody is the body of POST /api/v1/admin/chaos.
type chaosBody struct {
	Action  string `json:"action"`
	Node    string `json:"node"`
	DelayMS *int   `json:"delay_ms"`
}

// chaosEnabled answers 404 NOT_FOUND, before anything else, on a node without the
// classroom controls or without a development cluster's supervisor.
func (s *Server) chaosEnabled(c *fiber.Ctx) error {
	if !s.cfg.Classroom || s.cfg.Chaos == nil {
		return notFound("the fault controls exist only in classroom mode on a ticketblitz dev cluster")
	}
	return c.Next()
}

// chaosState answers GET /api/v1/admin/chaos (admin, classroom).
func (s *Server) chaosState(c *fiber.Ctx) error {
	st, err := s.cfg.Chaos.State(c.UserContext())
	if err != nil {
		return fmt.Errorf("chaos state: %w", err)
	}
	return c.JSON(st)
}

// chaosApply answers POST /api/v1/admin/chaos (admin, classroom): it injects one fault
// (or undoes it), logs it at WARN with who asked once it is done, and answers the state
// after it.
func (s *Server) chaosApply(c *fiber.Ctx) error {
	body, err := requestBody(c)
	if err != nil {
		return err
	}
	a, err := decodeChaos(body)
	if err != nil {
		return err
	}
	a.By = principalOf(c).UserID
	a.Authorization = c.Get(fiber.HeaderAuthorization)
	st, err := s.cfg.Chaos.Apply(c.UserContext(), a)
	if err != nil {
		return fmt.Errorf("chaos %s %s: %w", a.Action, a.Node, err)
	}
	s.log.Warn("fault injected from the classroom controls", zap.String("by", a.By), zap.String("action", a.Action),
		zap.String("node", a.Node), zap.Int("delay_ms", a.DelayMS))
	return c.JSON(st)
}

// decodeChaos decodes and validates a chaos action.
func decodeChaos(body []byte) (ChaosAction, error) {
	var b chaosBody
	if err := decodeJSON(body, &b); err != nil {
		return ChaosAction{}, err
	}
	fields := fieldProblems{}
	if !slices.Contains(ChaosActions, b.Action) {
		fields.add("action", fmt.Sprintf("must be one of %v", ChaosActions))
	}
	a := ChaosAction{Action: b.Action, Node: b.Node}
	switch b.Action {
	case ChaosKill, ChaosPause, ChaosResume, ChaosDrain:
		if b.Node == "" {
			fields.add("node", "is required")
		}
	case ChaosSlowPayments, ChaosSlowDatabase:
		if b.DelayMS == nil {
			fields.add("delay_ms", "is required")
		} else if *b.DelayMS < 0 || *b.DelayMS > MaxChaosDelayMS {
			fields.add("delay_ms", fmt.Sprintf("must be between 0 and %d", MaxChaosDelayMS))
		} else {
			a.DelayMS = *b.DelayMS
		}
	}
	if b.Node != "" && !actors.ValidLookupID(b.Node) {
		fields.add("node", actors.LookupIDRule)
	}
	if err := fields.err(); err != nil {
		return ChaosAction{}, err
	}
	return a, nil
}

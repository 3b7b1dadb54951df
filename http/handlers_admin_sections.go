package http

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// sectionInspectionJSON is a section actor's live state, as every admin sections route
// answers it (docs/api.md, "The section inspector and the classroom's pause").
type sectionInspectionJSON struct {
	Node           string         `json:"node"`
	Activation     activationJSON `json:"activation"`
	Paused         bool           `json:"paused"`
	Mailbox        mailboxJSON    `json:"mailbox"`
	Batch          batchJSON      `json:"batch"`
	HoldsActive    int            `json:"holds_active"`
	DecisionsTotal int64          `json:"decisions_total"`
	// Classroom says whether this server offers pause, resume and step, so a page can
	// show their buttons without trying them.
	Classroom bool `json:"classroom"`
}

type activationJSON struct {
	Epoch   int64     `json:"epoch"`
	Version int64     `json:"version"`
	Since   time.Time `json:"since"`
}

type mailboxJSON struct {
	Depth    int          `json:"depth"`
	Messages []queuedJSON `json:"messages"`
}

type queuedJSON struct {
	Type   string `json:"type"`
	UserID string `json:"user_id"`
	AgeMs  int64  `json:"age_ms"`
}

type batchJSON struct {
	Writing int `json:"writing"`
	Next    int `json:"next"`
}

func toSectionInspectionJSON(in actors.SectionInspection, classroom bool) sectionInspectionJSON {
	out := sectionInspectionJSON{
		Node:        in.Node,
		Activation:  activationJSON{Epoch: in.Epoch, Version: in.Version, Since: in.Since},
		Paused:      in.Paused,
		Mailbox:     mailboxJSON{Depth: in.MailboxDepth, Messages: make([]queuedJSON, 0, len(in.Messages))},
		Batch:       batchJSON{Writing: in.BatchWriting, Next: in.BatchNext},
		HoldsActive: in.HoldsActive, DecisionsTotal: in.DecisionsTotal, Classroom: classroom,
	}
	for _, m := range in.Messages {
		out.Mailbox.Messages = append(out.Mailbox.Messages, queuedJSON{Type: m.Type, UserID: m.UserID, AgeMs: m.Age.Milliseconds()})
	}
	return out
}

// errNoSections answers the section routes on a server whose strategy has no section
// actors (lock, pg): there is no mailbox to show.
func errNoSections() error {
	return &actors.Error{Code: actors.CodeNotRecorded, Message: "this server runs no section actors (its strategy is lock or pg): there is no mailbox to inspect"}
}

// classroomOnly answers 404 unless the classroom is on: pause, resume and step do not
// exist outside it.
func (s *Server) classroomOnly(c *fiber.Ctx) error {
	if !s.cfg.Classroom {
		return notFound("the classroom is off on this server (TICKETBLITZ_CLASSROOM)")
	}
	return c.Next()
}

// sectionOp is one of the sections port's calls.
type sectionOp func(ctx context.Context, key actors.SectionKey, by string) (actors.SectionInspection, error)

// onSection reads the section from the path and answers what op returns for it.
func (s *Server) onSection(c *fiber.Ctx, op func(Sections) sectionOp) error {
	eventID, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	sectionID, err := pathID(c.Params("section_id"), actors.ValidSectionID, "section")
	if err != nil {
		return err
	}
	if s.cfg.Sections == nil {
		return errNoSections()
	}
	key := actors.SectionKey{EventID: eventID, SectionID: sectionID}
	in, err := op(s.cfg.Sections)(c.UserContext(), key, principalOf(c).UserID)
	if err != nil {
		return fmt.Errorf("section %s: %w", key.Identity(), err)
	}
	return c.JSON(toSectionInspectionJSON(in, s.cfg.Classroom))
}

// inspectSection answers GET /api/v1/admin/sections/{event_id}/{section_id}.
func (s *Server) inspectSection(c *fiber.Ctx) error {
	return s.onSection(c, func(p Sections) sectionOp {
		return func(ctx context.Context, key actors.SectionKey, _ string) (actors.SectionInspection, error) {
			return p.Inspect(ctx, key)
		}
	})
}

// pauseSection answers POST …/pause.
func (s *Server) pauseSection(c *fiber.Ctx) error {
	return s.onSection(c, func(p Sections) sectionOp { return p.Pause })
}

// resumeSection answers POST …/resume.
func (s *Server) resumeSection(c *fiber.Ctx) error {
	return s.onSection(c, func(p Sections) sectionOp { return p.Resume })
}

// stepSection answers POST …/step.
func (s *Server) stepSection(c *fiber.Ctx) error {
	return s.onSection(c, func(p Sections) sectionOp { return p.Step })
}

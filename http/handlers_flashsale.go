package http

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/http/flashsale"
)

// flashSaleBody is the body of POST /api/v1/admin/flash-sale.
type flashSaleBody struct {
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
	Fans      *int   `json:"fans"`
	Seconds   *int   `json:"seconds"`
}

// flashSaleJSON is a flash sale as both flash-sale routes answer it.
type flashSaleJSON struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
	Fans      int    `json:"fans"`
	Seconds   int    `json:"seconds"`
	Status    string `json:"status"`
	Attempts  int64  `json:"attempts"`
	Holds     int64  `json:"holds"`
	Orders    int64  `json:"orders"`
	Refusals  int64  `json:"refusals"`
}

func toFlashSaleJSON(st flashsale.Status) flashSaleJSON {
	return flashSaleJSON(st)
}

// decodeFlashSale decodes and validates the body, applying flashsale's defaults and
// limits.
func decodeFlashSale(body []byte) (flashsale.Request, error) {
	var b flashSaleBody
	if err := decodeJSON(body, &b); err != nil {
		return flashsale.Request{}, err
	}
	fields := fieldProblems{}
	switch {
	case b.EventID == "":
		fields.add("event_id", "is required")
	case !actors.ValidLookupID(b.EventID):
		fields.add("event_id", actors.LookupIDRule)
	}
	switch {
	case b.SectionID == "":
		fields.add("section_id", "is required")
	case !actors.ValidSectionID(b.SectionID):
		fields.add("section_id", "must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -")
	}
	r := flashsale.Request{EventID: b.EventID, SectionID: b.SectionID, Fans: flashsale.DefaultFans, Seconds: flashsale.DefaultSeconds}
	if b.Fans != nil {
		r.Fans = *b.Fans
		if r.Fans < flashsale.MinFans || r.Fans > flashsale.MaxFans {
			fields.add("fans", fmt.Sprintf("must be between %d and %d", flashsale.MinFans, flashsale.MaxFans))
		}
	}
	if b.Seconds != nil {
		r.Seconds = *b.Seconds
		if r.Seconds < flashsale.MinSeconds || r.Seconds > flashsale.MaxSeconds {
			fields.add("seconds", fmt.Sprintf("must be between %d and %d", flashsale.MinSeconds, flashsale.MaxSeconds))
		}
	}
	if err := fields.err(); err != nil {
		return flashsale.Request{}, err
	}
	return r, nil
}

// errNoFlashSales answers the flash-sale routes of a node without Config.FlashSales.
func errNoFlashSales() error { return notFound("flash sales are not enabled on this node") }

// startFlashSale answers POST /api/v1/admin/flash-sale (admin): 202 with the running
// sale. A section that already has one answers 400 VALIDATION_FAILED naming section_id.
func (s *Server) startFlashSale(c *fiber.Ctx) error {
	if s.cfg.FlashSales == nil {
		return errNoFlashSales()
	}
	body, err := requestBody(c)
	if err != nil {
		return err
	}
	r, err := decodeFlashSale(body)
	if err != nil {
		return err
	}
	st, err := s.cfg.FlashSales.Start(c.UserContext(), r)
	var running *flashsale.RunningError
	if errors.As(err, &running) {
		// The one error table pairs VALIDATION_FAILED with 400; the details say why.
		return actors.Invalid("section_id", "a flash sale is already running")
	}
	if err != nil {
		return fmt.Errorf("start flash sale on %s/%s: %w", r.EventID, r.SectionID, err)
	}
	return c.Status(fiber.StatusAccepted).JSON(toFlashSaleJSON(st))
}

// flashSaleStatus answers GET /api/v1/admin/flash-sale/{id} (admin).
func (s *Server) flashSaleStatus(c *fiber.Ctx) error {
	if s.cfg.FlashSales == nil {
		return errNoFlashSales()
	}
	id, err := pathID(c.Params("id"), actors.ValidLookupID, "flash sale")
	if err != nil {
		return err
	}
	st, err := s.cfg.FlashSales.Status(id)
	if err != nil {
		return fmt.Errorf("flash sale %s: %w", id, err)
	}
	return c.JSON(toFlashSaleJSON(st))
}

package http

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
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

func toFlashSaleJSON(st FlashSaleStatus) flashSaleJSON {
	return flashSaleJSON(st)
}

// decodeFlashSale decodes and validates the body, applying the defaults.
func decodeFlashSale(body []byte) (FlashSaleRequest, error) {
	var b flashSaleBody
	if err := decodeJSON(body, &b); err != nil {
		return FlashSaleRequest{}, err
	}
	fields := fieldProblems{}
	switch {
	case b.EventID == "":
		fields.add("event_id", "is required")
	case !pathIDPattern.MatchString(b.EventID):
		fields.add("event_id", "must be 1 to 128 characters of A-Z, a-z, 0-9, _, ., :, @ and -")
	}
	switch {
	case b.SectionID == "":
		fields.add("section_id", "is required")
	case !actors.ValidSectionID(b.SectionID):
		fields.add("section_id", "must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -")
	}
	r := FlashSaleRequest{EventID: b.EventID, SectionID: b.SectionID, Fans: DefaultFlashFans, Seconds: DefaultFlashSeconds}
	if b.Fans != nil {
		r.Fans = *b.Fans
		if r.Fans < MinFlashFans || r.Fans > MaxFlashFans {
			fields.add("fans", fmt.Sprintf("must be between %d and %d", MinFlashFans, MaxFlashFans))
		}
	}
	if b.Seconds != nil {
		r.Seconds = *b.Seconds
		if r.Seconds < MinFlashSeconds || r.Seconds > MaxFlashSeconds {
			fields.add("seconds", fmt.Sprintf("must be between %d and %d", MinFlashSeconds, MaxFlashSeconds))
		}
	}
	if err := fields.err(); err != nil {
		return FlashSaleRequest{}, err
	}
	return r, nil
}

// startFlashSale answers POST /api/v1/admin/flash-sale (admin): 202 with the running
// sale. A section that already has one answers 409 VALIDATION_FAILED naming section_id.
func (s *Server) startFlashSale(fs *FlashSales) fiber.Handler {
	return func(c *fiber.Ctx) error {
		body, err := requestBody(c)
		if err != nil {
			return err
		}
		r, err := decodeFlashSale(body)
		if err != nil {
			return err
		}
		st, err := fs.Start(c.UserContext(), r)
		var running *FlashSaleRunningError
		if errors.As(err, &running) {
			// The one error table pairs VALIDATION_FAILED with 400; the details say why.
			return actors.Invalid("section_id", "a flash sale is already running")
		}
		if err != nil {
			return fmt.Errorf("start flash sale on %s/%s: %w", r.EventID, r.SectionID, err)
		}
		return c.Status(fiber.StatusAccepted).JSON(toFlashSaleJSON(st))
	}
}

// flashSaleStatus answers GET /api/v1/admin/flash-sale/{id} (admin).
func (s *Server) flashSaleStatus(fs *FlashSales) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c.Params("id"), pathIDPattern.MatchString, "flash sale")
		if err != nil {
			return err
		}
		st, err := fs.Status(id)
		if err != nil {
			return err
		}
		return c.JSON(toFlashSaleJSON(st))
	}
}

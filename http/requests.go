package http

import (
	"fmt"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The request bodies of docs/api.md. Pointers tell a missing number from a zero one. The
// rules a value must follow live in actors (HoldRequest.Validate, NormalizeEvent);
// decoding here only turns JSON into those values and says which fields were missing.

type holdBody struct {
	SectionID  string   `json:"section_id"`
	Seats      []string `json:"seats"`
	Quantity   *int     `json:"quantity"`
	Accessible bool     `json:"accessible"`
}

type confirmBody struct {
	PaymentToken string `json:"payment_token" validate:"required,max=256,printascii"`
}

type tokenBody struct {
	UserID string `json:"user_id" validate:"required,user_id"`
}

type createEventBody struct {
	Name              string        `json:"name"`
	Venue             string        `json:"venue"`
	StartsAt          string        `json:"starts_at"`
	Currency          string        `json:"currency"`
	MaxTicketsPerUser *int          `json:"max_tickets_per_user"`
	Sections          []sectionBody `json:"sections"`
}

type sectionBody struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	PriceCents *int64    `json:"price_cents"`
	Capacity   *int      `json:"capacity"`
	Rows       []rowBody `json:"rows"`
	Accessible []string  `json:"accessible"`
}

type rowBody struct {
	Label string `json:"label"`
	Seats int    `json:"seats"`
}

// decodeHoldRequest decodes the body of POST …/holds into the hold request of userID
// in eventID, and validates it: exactly one of seats or quantity must be given, and
// the request must pass actors.HoldRequest.Validate.
func (d *decoder) decodeHoldRequest(body []byte, eventID, userID string) (actors.HoldRequest, error) {
	b, err := decodeHoldBody(body)
	if err != nil {
		return actors.HoldRequest{}, err
	}
	// problems is made only for a request with one: most have none.
	var problems map[string]string
	if b.Seats == nil && b.Quantity == nil {
		problems = map[string]string{
			"seats":    "give seats or quantity",
			"quantity": "give seats or quantity",
		}
	}
	r := actors.HoldRequest{
		EventID:    eventID,
		SectionID:  b.SectionID,
		UserID:     userID,
		Seats:      b.Seats,
		Accessible: b.Accessible,
	}
	if b.Quantity != nil {
		r.Quantity = *b.Quantity
		if r.Quantity == 0 && b.Seats != nil {
			// Zero means "not given" to the domain; here it was given.
			problems = map[string]string{
				"seats":    "give seats or quantity, not both",
				"quantity": "give seats or quantity, not both",
			}
		}
	}
	verr := r.Validate()
	if problems == nil && verr == nil {
		return r, nil
	}
	if problems == nil {
		problems = map[string]string{}
	}
	if err := mergeProblems(problems, verr); err != nil {
		return actors.HoldRequest{}, err
	}
	return r, nil
}

// decodeConfirm decodes and validates the body of POST /holds/{id}/confirm.
func (d *decoder) decodeConfirm(body []byte) (confirmBody, error) {
	var b confirmBody
	if err := decodeJSON(body, &b); err != nil {
		return confirmBody{}, err
	}
	if err := d.structFields(b).err(); err != nil {
		return confirmBody{}, err
	}
	return b, nil
}

// decodeToken decodes and validates the body of POST /auth/token.
func (d *decoder) decodeToken(body []byte) (tokenBody, error) {
	var b tokenBody
	if err := decodeJSON(body, &b); err != nil {
		return tokenBody{}, err
	}
	if err := d.structFields(b).err(); err != nil {
		return tokenBody{}, err
	}
	return b, nil
}

// decodeCreateEvent decodes the body of POST /events and returns the event to create
// (no id yet), normalized and checked by actors.NormalizeEvent. Only what JSON alone can
// tell is checked here: that starts_at is a time and that numbers which must be given
// (a price, a ticket limit that is sent) are.
func (d *decoder) decodeCreateEvent(body []byte) (actors.Event, error) {
	var b createEventBody
	if err := decodeJSON(body, &b); err != nil {
		return actors.Event{}, err
	}
	problems := map[string]string{}
	ev := actors.Event{
		Name:     b.Name,
		Venue:    b.Venue,
		Currency: b.Currency,
		Sections: make([]actors.Section, 0, len(b.Sections)),
	}
	if b.StartsAt != "" {
		t, err := time.Parse(time.RFC3339, b.StartsAt)
		if err != nil {
			problems["starts_at"] = "must be an RFC 3339 time like 2026-12-31T20:00:00Z"
		}
		ev.StartsAt = t
	}
	if b.MaxTicketsPerUser != nil {
		// Zero would mean "the default" to the domain; a client that sends it meant zero.
		if ev.MaxTicketsPerUser = *b.MaxTicketsPerUser; ev.MaxTicketsPerUser == 0 {
			problems["max_tickets_per_user"] = actors.TicketLimitRule
		}
	}
	for i, s := range b.Sections {
		sec := actors.Section{ID: s.ID, Name: s.Name, Kind: actors.SectionKind(s.Kind), Accessible: s.Accessible}
		if s.PriceCents == nil {
			problems[fmt.Sprintf("sections[%d].price_cents", i)] = "is required"
		} else {
			sec.PriceCents = *s.PriceCents
		}
		if s.Capacity != nil {
			sec.Capacity = *s.Capacity
		}
		for _, r := range s.Rows {
			sec.Rows = append(sec.Rows, actors.RowSpec{Label: r.Label, Seats: r.Seats})
		}
		ev.Sections = append(ev.Sections, sec)
	}
	ev, err := actors.NormalizeEvent(ev)
	if err := mergeProblems(problems, err); err != nil {
		return actors.Event{}, err
	}
	return ev, nil
}

// mergeProblems adds the fields of a domain VALIDATION_FAILED error to the problems the
// decoder found itself (which win) and returns the whole as one error, or nil when there
// is none. Any other error is returned as it is.
func mergeProblems(problems map[string]string, err error) error {
	if err != nil {
		e, ok := actors.AsError(err)
		if !ok || e.Code != actors.CodeValidation {
			return err
		}
		for field, problem := range e.Fields {
			if _, ok := problems[field]; !ok {
				problems[field] = problem
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return actors.InvalidFields(problems)
}

package http

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The request bodies of API.md. Pointers tell a missing number from a zero one.

type holdBody struct {
	SectionID  string   `json:"section_id" validate:"required,section_id"`
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
	Name              string        `json:"name" validate:"required,max=200,plain_text"`
	Venue             string        `json:"venue" validate:"required,max=200,plain_text"`
	StartsAt          string        `json:"starts_at" validate:"required,rfc3339"`
	Currency          string        `json:"currency" validate:"required,currency_code"`
	MaxTicketsPerUser *int          `json:"max_tickets_per_user" validate:"omitempty,min=1,max=100"`
	Sections          []sectionBody `json:"sections" validate:"required,min=1,max=50,dive"`
}

type sectionBody struct {
	ID         string    `json:"id" validate:"required,section_id"`
	Name       string    `json:"name" validate:"omitempty,max=100,plain_text"`
	Kind       string    `json:"kind" validate:"required,oneof=reserved general_admission"`
	PriceCents *int64    `json:"price_cents" validate:"required,min=0"`
	Capacity   *int      `json:"capacity" validate:"omitempty,min=1,max=100000"`
	Rows       []rowBody `json:"rows" validate:"omitempty,max=200,dive"`
	Accessible []string  `json:"accessible"`
}

type rowBody struct {
	Label string `json:"label" validate:"required,row_label"`
	Seats int    `json:"seats" validate:"min=1,max=500"`
}

// decodeHoldRequest decodes and validates the body of POST …/holds: a section and
// exactly one of seats (1..20 distinct seat ids) or quantity (1..20).
func (d *decoder) decodeHoldRequest(body []byte) (holdBody, error) {
	var b holdBody
	if err := decodeJSON(body, &b); err != nil {
		return holdBody{}, err
	}
	fields := d.structFields(b)
	switch {
	case b.Seats != nil && b.Quantity != nil:
		fields.add("seats", "give seats or quantity, not both")
		fields.add("quantity", "give seats or quantity, not both")
	case b.Seats == nil && b.Quantity == nil:
		fields.add("seats", "give seats or quantity")
		fields.add("quantity", "give seats or quantity")
	case b.Seats != nil:
		checkSeatList(fields, b.Seats)
		if b.Accessible {
			fields.add("accessible", "applies only to quantity requests")
		}
	default:
		if q := *b.Quantity; q < 1 || q > actors.MaxSeatsPerHold {
			fields.add("quantity", fmt.Sprintf("must be between 1 and %d", actors.MaxSeatsPerHold))
		}
	}
	if err := fields.err(); err != nil {
		return holdBody{}, err
	}
	return b, nil
}

func checkSeatList(fields fieldProblems, seats []string) {
	if len(seats) < 1 || len(seats) > actors.MaxSeatsPerHold {
		fields.add("seats", fmt.Sprintf("must list 1 to %d seats", actors.MaxSeatsPerHold))
		return
	}
	seen := make(map[string]bool, len(seats))
	for i, id := range seats {
		field := fmt.Sprintf("seats[%d]", i)
		switch {
		case !seatIDPattern.MatchString(id):
			fields.add(field, "must be a seat id like A-12")
		case seen[id]:
			fields.add(field, "duplicate seat "+id)
		}
		seen[id] = true
	}
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

// decodeCreateEvent decodes and validates the body of POST /events and returns the
// event to create (no id yet, status on_sale, counts all available).
func (d *decoder) decodeCreateEvent(body []byte) (actors.Event, error) {
	var b createEventBody
	if err := decodeJSON(body, &b); err != nil {
		return actors.Event{}, err
	}
	fields := d.structFields(b)
	ids := make(map[string]bool, len(b.Sections))
	for i, s := range b.Sections {
		prefix := fmt.Sprintf("sections[%d]", i)
		if ids[s.ID] {
			fields.add(prefix+".id", "duplicate section id "+s.ID)
		}
		ids[s.ID] = true
		switch actors.SectionKind(s.Kind) {
		case actors.KindReserved:
			checkReservedSection(fields, prefix, s)
		case actors.KindGeneralAdmission:
			if s.Capacity == nil {
				fields.add(prefix+".capacity", "is required for general_admission sections")
			}
			if len(s.Rows) > 0 {
				fields.add(prefix+".rows", "only reserved sections have rows")
			}
			if len(s.Accessible) > 0 {
				fields.add(prefix+".accessible", "only reserved sections have accessible seats")
			}
		}
	}
	if err := fields.err(); err != nil {
		return actors.Event{}, err
	}
	return b.event(), nil
}

func checkReservedSection(fields fieldProblems, prefix string, s sectionBody) {
	if len(s.Rows) == 0 {
		fields.add(prefix+".rows", "is required for reserved sections")
		return
	}
	seatsIn := make(map[string]int, len(s.Rows))
	total := 0
	for j, r := range s.Rows {
		if _, dup := seatsIn[r.Label]; dup {
			fields.add(fmt.Sprintf("%s.rows[%d].label", prefix, j), "duplicate row label "+r.Label)
		}
		seatsIn[r.Label] = r.Seats
		total += r.Seats
	}
	if s.Capacity != nil && *s.Capacity != total {
		fields.add(prefix+".capacity", fmt.Sprintf("must equal the number of seats (%d) or be left out", total))
	}
	seen := make(map[string]bool, len(s.Accessible))
	for k, id := range s.Accessible {
		field := fmt.Sprintf("%s.accessible[%d]", prefix, k)
		switch {
		case !seatExists(seatsIn, id):
			fields.add(field, "no seat "+strconv.Quote(id)+" in this section")
		case seen[id]:
			fields.add(field, "duplicate seat "+id)
		}
		seen[id] = true
	}
}

// seatExists reports whether id names a seat "<row>-<number>" of the rows given.
func seatExists(seatsIn map[string]int, id string) bool {
	if !seatIDPattern.MatchString(id) {
		return false
	}
	label, num, _ := strings.Cut(id, "-")
	n, err := strconv.Atoi(num)
	if err != nil {
		return false
	}
	seats, ok := seatsIn[label]
	return ok && n >= 1 && n <= seats
}

// event converts a validated body.
func (b createEventBody) event() actors.Event {
	startsAt, _ := time.Parse(time.RFC3339, b.StartsAt) // validated
	limit := actors.DefaultMaxTicketsPerUser
	if b.MaxTicketsPerUser != nil {
		limit = *b.MaxTicketsPerUser
	}
	ev := actors.Event{
		Name:              strings.TrimSpace(b.Name),
		Venue:             strings.TrimSpace(b.Venue),
		StartsAt:          startsAt.UTC(),
		Currency:          b.Currency,
		Status:            "on_sale",
		MaxTicketsPerUser: limit,
		Sections:          make([]actors.Section, 0, len(b.Sections)),
	}
	for _, s := range b.Sections {
		sec := actors.Section{
			ID:         s.ID,
			Name:       strings.TrimSpace(s.Name),
			Kind:       actors.SectionKind(s.Kind),
			PriceCents: *s.PriceCents,
		}
		if sec.Name == "" {
			sec.Name = s.ID
		}
		if sec.Kind == actors.KindGeneralAdmission {
			sec.Capacity = *s.Capacity
		} else {
			for _, r := range s.Rows {
				sec.Rows = append(sec.Rows, actors.RowSpec{Label: r.Label, Seats: r.Seats})
				sec.Capacity += r.Seats
			}
			sec.Accessible = append([]string(nil), s.Accessible...)
		}
		sec.Available = sec.Capacity
		ev.Sections = append(ev.Sections, sec)
	}
	return ev
}

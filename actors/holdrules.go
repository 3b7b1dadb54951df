package actors

import (
	"slices"
	"strconv"
	"strings"
)

// Validate checks the shape of a hold request, the same way for every strategy: a user
// and a valid section id, then either explicit seats (1 to MaxSeatsPerHold distinct,
// well-formed seat ids; Accessible applies only to quantities) or a quantity of 1 to
// MaxSeatsPerHold. Seats that is not nil with no quantity means seats were asked for,
// even when it is empty.
// The error is VALIDATION_FAILED naming every bad field ("seats[2]" for one seat).
// Whether the seats exist in the section is the section's to say (UnknownSeats).
func (r HoldRequest) Validate() error {
	var bad problemSet
	if r.UserID == "" {
		bad.set("user_id", "is required")
	}
	switch {
	case r.SectionID == "":
		bad.set("section_id", "is required")
	case !ValidSectionID(r.SectionID):
		bad.set("section_id", SectionIDRule)
	}
	switch {
	case len(r.Seats) > 0 && r.Quantity != 0:
		bad.set("seats", "give seats or quantity, not both")
		bad.set("quantity", "give seats or quantity, not both")
	case len(r.Seats) > 0 || r.Seats != nil && r.Quantity == 0:
		checkSeatList(&bad, r.Seats)
		if r.Accessible {
			bad.set("accessible", "applies only to quantity requests")
		}
	case r.Quantity < 1 || r.Quantity > MaxSeatsPerHold:
		bad.set("quantity", "must be between 1 and "+strconv.Itoa(MaxSeatsPerHold))
	}
	if len(bad) > 0 {
		return InvalidFields(bad)
	}
	return nil
}

// problemSet is the problems found so far, by field; it is made with the first, so a
// request without any costs no map.
type problemSet map[string]string

func (p *problemSet) set(field, problem string) {
	if *p == nil {
		*p = map[string]string{}
	}
	(*p)[field] = problem
}

// checkSeatList notes into bad what is wrong with an explicit seat list.
func checkSeatList(bad *problemSet, seats []string) {
	if len(seats) < 1 || len(seats) > MaxSeatsPerHold {
		bad.set("seats", "must list 1 to "+strconv.Itoa(MaxSeatsPerHold)+" seats")
		return
	}
	for i, id := range seats {
		if _, _, err := ParseSeatID(id); err != nil {
			bad.set("seats["+strconv.Itoa(i)+"]", "must be a seat id like A-12")
		} else if slices.Contains(seats[:i], id) { // at most MaxSeatsPerHold: no map needed
			bad.set("seats["+strconv.Itoa(i)+"]", "duplicate seat "+id)
		}
	}
}

// UnknownSeats is the refusal of a hold naming seats the section does not have.
func UnknownSeats(ids ...string) *Error {
	return Invalid("seats", "unknown seat "+strings.Join(ids, ", "))
}

// ErrSeatsInGeneralAdmission refuses explicit seats in a general-admission section.
var ErrSeatsInGeneralAdmission = Invalid("seats", "a general-admission section takes a quantity, not seats")

package actors

import (
	"fmt"
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
	bad := map[string]string{}
	if r.UserID == "" {
		bad["user_id"] = "is required"
	}
	switch {
	case r.SectionID == "":
		bad["section_id"] = "is required"
	case !ValidSectionID(r.SectionID):
		bad["section_id"] = SectionIDRule
	}
	switch {
	case len(r.Seats) > 0 && r.Quantity != 0:
		bad["seats"] = "give seats or quantity, not both"
		bad["quantity"] = "give seats or quantity, not both"
	case len(r.Seats) > 0 || r.Seats != nil && r.Quantity == 0:
		checkSeatList(bad, r.Seats)
		if r.Accessible {
			bad["accessible"] = "applies only to quantity requests"
		}
	case r.Quantity < 1 || r.Quantity > MaxSeatsPerHold:
		bad["quantity"] = fmt.Sprintf("must be between 1 and %d", MaxSeatsPerHold)
	}
	if len(bad) > 0 {
		return InvalidFields(bad)
	}
	return nil
}

// checkSeatList notes into bad what is wrong with an explicit seat list.
func checkSeatList(bad map[string]string, seats []string) {
	if len(seats) < 1 || len(seats) > MaxSeatsPerHold {
		bad["seats"] = fmt.Sprintf("must list 1 to %d seats", MaxSeatsPerHold)
		return
	}
	seen := make(map[string]bool, len(seats))
	for i, id := range seats {
		field := fmt.Sprintf("seats[%d]", i)
		if _, _, err := ParseSeatID(id); err != nil {
			bad[field] = "must be a seat id like A-12"
		} else if seen[id] {
			bad[field] = "duplicate seat " + id
		}
		seen[id] = true
	}
}

// UnknownSeats is the refusal of a hold naming seats the section does not have.
func UnknownSeats(ids ...string) *Error {
	return Invalid("seats", "unknown seat "+strings.Join(ids, ", "))
}

// ErrSeatsInGeneralAdmission refuses explicit seats in a general-admission section.
var ErrSeatsInGeneralAdmission = Invalid("seats", "a general-admission section takes a quantity, not seats")

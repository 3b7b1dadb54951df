package actors

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// EventOnSale is the status of an event that sells: every event the engine creates.
const EventOnSale = "on_sale"

// The limits on what an event may describe.
const (
	MaxEventIDLen       = 64
	MaxSectionIDLen     = 32
	MaxEventNameLen     = 200
	MaxSectionNameLen   = 100
	MaxSectionsPerEvent = 50
	MaxRowsPerSection   = 200
	MaxSeatsPerRow      = 500
	MaxCapacity         = 100_000
	MaxTicketLimit      = 100
	// MaxEventRowLabelLen is the longest row label an event may create: up to three
	// capital letters (A … ZZZ). Seat ids in general allow MaxRowLabelLen.
	MaxEventRowLabelLen = 3
)

// What a valid id looks like, in the words every refusal uses.
const (
	EventIDRule   = "must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -"
	SectionIDRule = "must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -"
)

// TicketLimitRule says what a per-user ticket limit must be.
var TicketLimitRule = fmt.Sprintf("must be between 1 and %d", MaxTicketLimit)

// ValidSectionID reports whether s can name a section: 1 to MaxSectionIDLen characters
// of A-Z, a-z, 0-9, _ and -.
func ValidSectionID(s string) bool { return validID(s, MaxSectionIDLen) }

// ValidEventID reports whether s can name an event the engine creates: 1 to
// MaxEventIDLen characters of A-Z, a-z, 0-9, _ and -.
func ValidEventID(s string) bool { return validID(s, MaxEventIDLen) }

func validID(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// PlainText reports whether s is text a person typed: valid UTF-8, not blank, no
// control characters.
func PlainText(s string) bool {
	if !utf8.ValidString(s) || strings.TrimSpace(s) == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// validEventRowLabel reports whether s is a row label an event may create.
func validEventRowLabel(s string) bool {
	if s == "" || len(s) > MaxEventRowLabelLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// NormalizeEvent fills in an event's defaults and checks every rule an event must
// follow, naming each invalid field by its JSON path ("sections[0].rows[2].label") in one
// VALIDATION_FAILED error. Defaults: status EventOnSale, names and venue trimmed,
// StartsAt in UTC, a zero MaxTicketsPerUser is DefaultMaxTicketsPerUser, a section
// without a name is named by its id, a reserved section's capacity is its number of
// seats (a capacity given must equal it), and every count is all available. The id
// may be empty (the store assigns one).
func NormalizeEvent(ev Event) (Event, error) {
	bad := map[string]string{}
	if ev.ID != "" && !ValidEventID(ev.ID) {
		bad["id"] = EventIDRule
	}
	ev.Name = checkText(bad, "name", ev.Name, MaxEventNameLen, true)
	ev.Venue = checkText(bad, "venue", ev.Venue, MaxEventNameLen, true)
	if ev.StartsAt.IsZero() {
		bad["starts_at"] = "is required"
	}
	ev.StartsAt = ev.StartsAt.UTC()
	if !validCurrency(ev.Currency) {
		bad["currency"] = "must be a 3-letter ISO 4217 code in capitals"
	}
	if ev.MaxTicketsPerUser == 0 {
		ev.MaxTicketsPerUser = DefaultMaxTicketsPerUser
	}
	if ev.MaxTicketsPerUser < 1 || ev.MaxTicketsPerUser > MaxTicketLimit {
		bad["max_tickets_per_user"] = TicketLimitRule
	}
	ev.Status = EventOnSale
	switch n := len(ev.Sections); {
	case n == 0:
		bad["sections"] = "must have at least 1 item"
	case n > MaxSectionsPerEvent:
		bad["sections"] = fmt.Sprintf("must have at most %d items", MaxSectionsPerEvent)
	}
	sections := make([]Section, len(ev.Sections))
	ids := make(map[string]bool, len(ev.Sections))
	for i, sec := range ev.Sections {
		field := fmt.Sprintf("sections[%d]", i)
		switch {
		case !ValidSectionID(sec.ID):
			bad[field+".id"] = SectionIDRule
		case ids[sec.ID]:
			bad[field+".id"] = "duplicate section id " + sec.ID
		}
		ids[sec.ID] = true
		sections[i] = normalizeSection(bad, field, sec)
	}
	ev.Sections = sections
	if len(bad) > 0 {
		return Event{}, InvalidFields(bad)
	}
	return ev, nil
}

// checkText trims s and notes into bad when it is missing (if required), too long or
// not plain text.
func checkText(bad map[string]string, field, s string, maxLen int, required bool) string {
	switch {
	case s == "" && !required:
	case s == "":
		bad[field] = "is required"
	case !PlainText(s):
		bad[field] = "must not be blank or hold control characters"
	case utf8.RuneCountInString(s) > maxLen:
		bad[field] = fmt.Sprintf("must be at most %d characters long", maxLen)
	}
	return strings.TrimSpace(s)
}

func validCurrency(s string) bool {
	return len(s) == 3 && validEventRowLabel(s)
}

// normalizeSection fills in one section's defaults and notes its problems into bad.
func normalizeSection(bad map[string]string, field string, sec Section) Section {
	sec.Name = checkText(bad, field+".name", sec.Name, MaxSectionNameLen, false)
	if sec.Name == "" {
		sec.Name = sec.ID
	}
	if sec.PriceCents < 0 {
		bad[field+".price_cents"] = "must be at least 0"
	}
	switch sec.Kind {
	case KindReserved:
		total := checkRows(bad, field, sec)
		if sec.Capacity != 0 && sec.Capacity != total {
			bad[field+".capacity"] = fmt.Sprintf("must equal the number of seats (%d) or be left out", total)
		}
		sec.Capacity = total
		sec.Rows = append([]RowSpec(nil), sec.Rows...)
		sec.Accessible = append([]string(nil), sec.Accessible...)
	case KindGeneralAdmission:
		if sec.Capacity < 1 || sec.Capacity > MaxCapacity {
			bad[field+".capacity"] = fmt.Sprintf("must be between 1 and %d", MaxCapacity)
		}
		if len(sec.Rows) > 0 {
			bad[field+".rows"] = "only reserved sections have rows"
		}
		if len(sec.Accessible) > 0 {
			bad[field+".accessible"] = "only reserved sections have accessible seats"
		}
	default:
		bad[field+".kind"] = "must be one of reserved, general_admission"
	}
	sec.Available, sec.Held, sec.Sold = sec.Capacity, 0, 0
	return sec
}

// checkRows notes a reserved section's row and accessible-seat problems into bad and
// returns its number of seats.
func checkRows(bad map[string]string, field string, sec Section) int {
	switch n := len(sec.Rows); {
	case n == 0:
		bad[field+".rows"] = "is required for reserved sections"
	case n > MaxRowsPerSection:
		bad[field+".rows"] = fmt.Sprintf("must have at most %d items", MaxRowsPerSection)
	}
	seatsIn := make(map[string]int, len(sec.Rows))
	total := 0
	for j, row := range sec.Rows {
		rf := fmt.Sprintf("%s.rows[%d]", field, j)
		_, dup := seatsIn[row.Label]
		switch {
		case !validEventRowLabel(row.Label):
			bad[rf+".label"] = "must be 1 to 3 capital letters"
		case dup:
			bad[rf+".label"] = "duplicate row label " + row.Label
		}
		if row.Seats < 1 || row.Seats > MaxSeatsPerRow {
			bad[rf+".seats"] = fmt.Sprintf("must be between 1 and %d", MaxSeatsPerRow)
		}
		if !dup {
			seatsIn[row.Label] = row.Seats
		}
		total += max(row.Seats, 0)
	}
	seen := make(map[string]bool, len(sec.Accessible))
	for k, id := range sec.Accessible {
		af := fmt.Sprintf("%s.accessible[%d]", field, k)
		row, n, err := ParseSeatID(id)
		switch {
		case err != nil || !validEventRowLabel(row) || n > seatsIn[row]:
			bad[af] = fmt.Sprintf("no seat %q in this section", id)
		case seen[id]:
			bad[af] = "duplicate seat " + id
		}
		seen[id] = true
	}
	return total
}

// LookupIDRule says what an id in a lookup (a path, a reference in a body) must look like.
const LookupIDRule = "must be 1 to 128 characters of A-Z, a-z, 0-9, _, ., :, @ and -"

// ValidLookupID reports whether s could be the id of something stored (an event, hold,
// order or flash sale): 1 to 128 characters of A-Z, a-z, 0-9, _, ., :, @ and -. It is
// looser than the rules for ids the engine creates, so that no real id is ever turned
// away; anything else cannot name anything and is NOT_FOUND without a lookup.
func ValidLookupID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.:@-", c) >= 0) {
			return false
		}
	}
	return true
}

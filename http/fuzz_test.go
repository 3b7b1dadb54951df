package http

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The decoders read outside input. Each fuzz target checks that a decoder never
// panics and either returns a request that satisfies every rule or a VALIDATION_FAILED
// error naming at least one field. Besides their own seeds, the targets start from
// every example request of docs/openapi.yaml for their route.

// The fuzz targets check what the decoders accept against these patterns, written out
// independently of the rules they test.
var (
	sectionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	rowLabelPattern  = regexp.MustCompile(`^[A-Z]{1,3}$`)
	seatIDPattern    = regexp.MustCompile(`^[A-Za-z0-9]{1,8}-[1-9][0-9]{0,4}$`)
	currencyPattern  = regexp.MustCompile(`^[A-Z]{3}$`)
)

// isPlainText accepts text a person typed: valid UTF-8, not blank, no control characters.
func isPlainText(s string) bool {
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

func fuzzDecoder(f *testing.F) *decoder {
	f.Helper()
	d, err := newDecoder()
	if err != nil {
		f.Fatal(err)
	}
	return d
}

func expectValidationError(t *testing.T, err error) {
	t.Helper()
	e, ok := actors.AsError(err)
	if !ok || e.Code != actors.CodeValidation || len(e.Fields) == 0 {
		t.Fatalf("error %v is not VALIDATION_FAILED with fields", err)
	}
	for field, problem := range e.Fields {
		if field == "" || problem == "" {
			t.Fatalf("empty field or problem in %v", e.Fields)
		}
	}
}

func FuzzDecodeHoldRequest(f *testing.F) {
	for _, seed := range []string{
		`{"section_id":"A","seats":["A-3","A-4"]}`,
		`{"section_id":"A","quantity":4}`,
		`{"section_id":"floor","quantity":2}`,
		`{"section_id":"A","quantity":2,"accessible":true}`,
		`{"section_id":"A","seats":["A-1","A-1"]}`,
		`{"section_id":"A","seats":["A-1"],"quantity":1}`,
		`{"section_id":"A","seats":[]}`,
		`{"section_id":"A","quantity":21}`,
		`{"section_id":"A/B","quantity":1}`,
		`{"section_id":"A","quantity":1e3}`,
		`{"section_id":"A","seats":[null]}`,
		`{"section_id":"A","quantity":1} x`,
		`[]`, `null`, ``, `{`, `{"seats":{}}`,
	} {
		f.Add([]byte(seed))
	}
	for _, seed := range documentRequests(f, "createHold") {
		f.Add(seed)
	}
	d := fuzzDecoder(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := d.decodeHoldRequest(body, "e1", "alice")
		if err != nil {
			expectValidationError(t, err)
			return
		}
		if !sectionIDPattern.MatchString(b.SectionID) || b.EventID != "e1" || b.UserID != "alice" {
			t.Fatalf("accepted section id %q (event %q, user %q)", b.SectionID, b.EventID, b.UserID)
		}
		if (b.Seats == nil) == (b.Quantity == 0) {
			t.Fatalf("accepted seats %v with quantity %v", b.Seats, b.Quantity)
		}
		if b.Seats == nil && (b.Quantity < 1 || b.Quantity > actors.MaxSeatsPerHold) {
			t.Fatalf("accepted quantity %d", b.Quantity)
		}
		if b.Seats != nil {
			if len(b.Seats) < 1 || len(b.Seats) > actors.MaxSeatsPerHold || b.Accessible {
				t.Fatalf("accepted %d seats (accessible %v)", len(b.Seats), b.Accessible)
			}
			seen := map[string]bool{}
			for _, s := range b.Seats {
				if seen[s] || !seatIDPattern.MatchString(s) {
					t.Fatalf("accepted seat %q in %v", s, b.Seats)
				}
				seen[s] = true
			}
		}
	})
}

func FuzzDecodeCreateEvent(f *testing.F) {
	for _, seed := range []string{
		validEventBody,
		`{"name":"N","venue":"V","starts_at":"2026-01-01T00:00:00Z","currency":"EUR","max_tickets_per_user":1,
		  "sections":[{"id":"g","kind":"general_admission","price_cents":0,"capacity":1}]}`,
		`{"name":"N","venue":"V","starts_at":"2026-01-01T00:00:00Z","currency":"EUR",
		  "sections":[{"id":"r","kind":"reserved","price_cents":5,"rows":[{"label":"A","seats":1},{"label":"A","seats":2}]}]}`,
		`{"name":"N","venue":"V","starts_at":"2026-01-01T00:00:00Z","currency":"EUR",
		  "sections":[{"id":"r","kind":"reserved","price_cents":5,"rows":[{"label":"A","seats":2}],"accessible":["A-3"]}]}`,
		`{"name":"N","venue":"V","starts_at":"yesterday","currency":"eur","sections":[]}`,
		`{"sections":[{"rows":[{"seats":"x"}]}]}`,
		`{"name":"\u0000","sections":null}`,
		`{}`, `[]`, `"`, ``,
	} {
		f.Add([]byte(seed))
	}
	for _, seed := range documentRequests(f, "createEvent") {
		f.Add(seed)
	}
	d := fuzzDecoder(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := d.decodeCreateEvent(body)
		if err != nil {
			expectValidationError(t, err)
			return
		}
		if !isPlainText(ev.Name) || !isPlainText(ev.Venue) || !currencyPattern.MatchString(ev.Currency) {
			t.Fatalf("accepted name %q venue %q currency %q", ev.Name, ev.Venue, ev.Currency)
		}
		if ev.StartsAt.Location() != time.UTC {
			t.Fatalf("starts_at %v", ev.StartsAt)
		}
		if ev.MaxTicketsPerUser < 1 || ev.MaxTicketsPerUser > 100 {
			t.Fatalf("max tickets %d", ev.MaxTicketsPerUser)
		}
		if len(ev.Sections) < 1 || len(ev.Sections) > 50 {
			t.Fatalf("%d sections", len(ev.Sections))
		}
		ids := map[string]bool{}
		for _, s := range ev.Sections {
			if ids[s.ID] || !sectionIDPattern.MatchString(s.ID) || s.PriceCents < 0 || s.Name == "" {
				t.Fatalf("accepted section %+v", s)
			}
			ids[s.ID] = true
			switch s.Kind {
			case actors.KindGeneralAdmission:
				if s.Capacity < 1 || s.Capacity > 100000 || len(s.Rows) > 0 || len(s.Accessible) > 0 {
					t.Fatalf("accepted GA section %+v", s)
				}
			case actors.KindReserved:
				if len(s.Rows) < 1 || len(s.Rows) > 200 {
					t.Fatalf("accepted %d rows", len(s.Rows))
				}
				seatsIn := map[string]int{}
				total := 0
				for _, r := range s.Rows {
					if _, dup := seatsIn[r.Label]; dup || !rowLabelPattern.MatchString(r.Label) || r.Seats < 1 || r.Seats > 500 {
						t.Fatalf("accepted row %+v", r)
					}
					seatsIn[r.Label] = r.Seats
					total += r.Seats
				}
				if s.Capacity != total {
					t.Fatalf("capacity %d for %d seats", s.Capacity, total)
				}
				for _, id := range s.Accessible {
					if !seatExists(seatsIn, id) {
						t.Fatalf("accepted accessible seat %q", id)
					}
				}
			default:
				t.Fatalf("accepted kind %q", s.Kind)
			}
		}
	})
}

func FuzzDecodeConfirm(f *testing.F) {
	for _, seed := range []string{
		`{"payment_token":"tok_ok"}`,
		`{"payment_token":"tok_decline"}`,
		`{"payment_token":""}`,
		`{"payment_token":"tok\u00e9"}`,
		`{"payment_token":7}`,
		`{"payment_token":"a"} {}`,
		`{}`, `null`, ``, `{"payment_token":"` + strings.Repeat("t", 300) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	for _, seed := range documentRequests(f, "confirmHold") {
		f.Add(seed)
	}
	d := fuzzDecoder(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := d.decodeConfirm(body)
		if err != nil {
			expectValidationError(t, err)
			return
		}
		if b.PaymentToken == "" || len(b.PaymentToken) > 256 {
			t.Fatalf("accepted token of %d bytes", len(b.PaymentToken))
		}
		for i := 0; i < len(b.PaymentToken); i++ {
			if c := b.PaymentToken[i]; c < 0x20 || c > 0x7e {
				t.Fatalf("accepted token %q", b.PaymentToken)
			}
		}
	})
}

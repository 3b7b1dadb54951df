package actors

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func validEvent() Event {
	return Event{
		Name: " Night Drop ", Venue: "Arena", Currency: "USD",
		StartsAt: time.Date(2026, 12, 31, 21, 0, 0, 0, time.FixedZone("CET", 3600)),
		Sections: []Section{
			{ID: "A", Kind: KindReserved, PriceCents: 100,
				Rows: []RowSpec{{Label: "A", Seats: 20}, {Label: "B", Seats: 22}}, Accessible: []string{"A-1", "B-22"}},
			{ID: "floor", Name: "Floor", Kind: KindGeneralAdmission, Capacity: 500},
		},
	}
}

func TestNormalizeEventFillsDefaults(t *testing.T) {
	ev, err := NormalizeEvent(validEvent())
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name != "Night Drop" || ev.Status != EventOnSale || ev.MaxTicketsPerUser != DefaultMaxTicketsPerUser ||
		ev.StartsAt.Location() != time.UTC || ev.StartsAt.Hour() != 20 {
		t.Errorf("event %+v", ev)
	}
	a, floor := ev.Sections[0], ev.Sections[1]
	if a.Name != "A" || a.Capacity != 42 || a.Available != 42 || floor.Available != 500 {
		t.Errorf("sections %+v", ev.Sections)
	}
}

func TestNormalizeEventNamesEveryBadField(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Event)
		want []string
	}{
		{"bad id", func(e *Event) { e.ID = "has space" }, []string{"id"}},
		{"long id", func(e *Event) { e.ID = strings.Repeat("a", MaxEventIDLen+1) }, []string{"id"}},
		{"no name", func(e *Event) { e.Name = "" }, []string{"name"}},
		{"blank venue", func(e *Event) { e.Venue = "  " }, []string{"venue"}},
		{"control character", func(e *Event) { e.Venue = "Are\x00na" }, []string{"venue"}},
		{"long name", func(e *Event) { e.Name = strings.Repeat("n", MaxEventNameLen+1) }, []string{"name"}},
		{"no start", func(e *Event) { e.StartsAt = time.Time{} }, []string{"starts_at"}},
		{"lower currency", func(e *Event) { e.Currency = "usd" }, []string{"currency"}},
		{"negative limit", func(e *Event) { e.MaxTicketsPerUser = -1 }, []string{"max_tickets_per_user"}},
		{"limit too high", func(e *Event) { e.MaxTicketsPerUser = MaxTicketLimit + 1 }, []string{"max_tickets_per_user"}},
		{"no sections", func(e *Event) { e.Sections = nil }, []string{"sections"}},
		{"bad section id", func(e *Event) { e.Sections[0].ID = "a/b" }, []string{"sections[0].id"}},
		{"duplicate section", func(e *Event) { e.Sections[1].ID = "A" }, []string{"sections[1].id"}},
		{"bad kind", func(e *Event) { e.Sections[1].Kind = "vip" }, []string{"sections[1].kind"}},
		{"negative price", func(e *Event) { e.Sections[1].PriceCents = -1 }, []string{"sections[1].price_cents"}},
		{"no rows", func(e *Event) { e.Sections[0].Rows = nil; e.Sections[0].Accessible = nil }, []string{"sections[0].rows"}},
		{"lower row label", func(e *Event) { e.Sections[0].Rows[1].Label = "b" }, []string{"sections[0].accessible[1]", "sections[0].rows[1].label"}},
		{"duplicate row", func(e *Event) { e.Sections[0].Rows[1].Label = "A" }, []string{"sections[0].accessible[1]", "sections[0].rows[1].label"}},
		{"empty row", func(e *Event) { e.Sections[0].Rows[0].Seats = 0 }, []string{"sections[0].accessible[0]", "sections[0].rows[0].seats"}},
		{"long row", func(e *Event) { e.Sections[0].Rows[0].Seats = MaxSeatsPerRow + 1 }, []string{"sections[0].rows[0].seats"}},
		{"unknown accessible", func(e *Event) { e.Sections[0].Accessible = []string{"A-21"} }, []string{"sections[0].accessible[0]"}},
		{"duplicate accessible", func(e *Event) { e.Sections[0].Accessible = []string{"A-1", "A-1"} }, []string{"sections[0].accessible[1]"}},
		{"capacity mismatch", func(e *Event) { e.Sections[0].Capacity = 41 }, []string{"sections[0].capacity"}},
		{"empty general admission", func(e *Event) { e.Sections[1].Capacity = 0 }, []string{"sections[1].capacity"}},
		{"huge general admission", func(e *Event) { e.Sections[1].Capacity = MaxCapacity + 1 }, []string{"sections[1].capacity"}},
		{"rows in general admission", func(e *Event) { e.Sections[1].Rows = []RowSpec{{Label: "A", Seats: 1}} }, []string{"sections[1].rows"}},
	}
	for _, tt := range tests {
		ev := validEvent()
		ev.Sections = append([]Section(nil), ev.Sections...)
		ev.Sections[0].Rows = append([]RowSpec(nil), ev.Sections[0].Rows...)
		tt.edit(&ev)
		_, err := NormalizeEvent(ev)
		if got := invalidFields(t, err); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: fields %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidSectionID(t *testing.T) {
	for id, want := range map[string]bool{"A": true, "floor_2-b": true, strings.Repeat("x", 32): true,
		"": false, strings.Repeat("x", 33): false, "a/b": false, "a b": false, "é": false} {
		if got := ValidSectionID(id); got != want {
			t.Errorf("ValidSectionID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestValidLookupID(t *testing.T) {
	for id, want := range map[string]bool{"demo": true, "h_abc": true, "ev_1:2@x.y-z": true, strings.Repeat("x", 128): true,
		"": false, strings.Repeat("x", 129): false, "a/b": false, "a b": false, "é": false} {
		if got := ValidLookupID(id); got != want {
			t.Errorf("ValidLookupID(%q) = %v, want %v", id, got, want)
		}
	}
}

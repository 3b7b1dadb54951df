package soak

import (
	"fmt"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// Rows of the reserved sections: rowSeats seats each, at most maxRows of them.
const (
	rowSeats = 50
	maxRows  = 200
)

// quietSections and quietSeats shape the sections no journey visits: just before the
// kill each gets quietHolds live holds, so that some section on the victim is activated
// again with few live holds.
const (
	quietSections = 4
	quietSeats    = 50
	quietHolds    = 2
)

// maxTicketsPerUser is the event's limit, the highest the API allows.
const maxTicketsPerUser = 100

// sectionID names the i-th (from 0) busy section; quietID the i-th quiet one.
func sectionID(i int) string { return fmt.Sprintf("S%d", i+1) }
func quietID(i int) string   { return fmt.Sprintf("Q%d", i+1) }

// eventSpec is the soak's event: cfg.Sections busy sections and the quiet ones.
func eventSpec(cfg Config) api.EventSpec {
	spec := api.EventSpec{Name: "Soak", Venue: "Soak Arena", StartsAt: time.Date(2030, 1, 1, 20, 0, 0, 0, time.UTC),
		Currency: "USD", MaxTicketsPerUser: maxTicketsPerUser}
	for i := range cfg.Sections {
		spec.Sections = append(spec.Sections, reserved(sectionID(i), cfg.SeatsPerSection))
	}
	for i := range quietSections {
		spec.Sections = append(spec.Sections, reserved(quietID(i), quietSeats))
	}
	return spec
}

func reserved(id string, seats int) api.SectionSpec {
	sec := api.SectionSpec{ID: id, Name: "Section " + id, Kind: audit.KindReserved, PriceCents: 5000}
	for row, left := 0, seats; left > 0; row++ {
		n := min(left, rowSeats)
		sec.Rows = append(sec.Rows, api.RowSpec{Label: rowLabel(row), Seats: n})
		left -= n
	}
	return sec
}

// rowLabel numbers rows A…Z, AA…AZ, BA… (bijective base 26).
func rowLabel(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

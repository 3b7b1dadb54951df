package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// rowSize is the number of seats per row of the reserved sections.
const rowSize = 25

// eventSpec is the sale's event: cfg.Sections reserved sections and one
// general-admission floor, with a ticket limit no fan reaches.
func eventSpec(cfg Config, name string) api.EventSpec {
	spec := api.EventSpec{Name: name, Venue: "Chaos Arena", StartsAt: time.Date(2030, 1, 1, 20, 0, 0, 0, time.UTC), Currency: "USD", MaxTicketsPerUser: 100}
	for i := 0; i < cfg.Sections; i++ {
		sec := api.SectionSpec{ID: fmt.Sprintf("S%d", i+1), Name: fmt.Sprintf("Section %d", i+1), Kind: audit.KindReserved, PriceCents: 5000}
		for left, row := cfg.SeatsPerSection, 0; left > 0; row++ {
			n := min(left, rowSize)
			sec.Rows = append(sec.Rows, api.RowSpec{Label: string(rune('A' + row%26)), Seats: n})
			left -= n
		}
		spec.Sections = append(spec.Sections, sec)
	}
	spec.Sections = append(spec.Sections, api.SectionSpec{ID: "floor", Name: "Floor", Kind: audit.KindGeneralAdmission, PriceCents: 3000, Capacity: cfg.GACapacity})
	return spec
}

// createEvent creates the event through the admin API, retrying while the cluster settles.
func (c *cluster) createEvent(ctx context.Context, spec api.EventSpec) (api.Event, error) {
	var last api.Result
	for attempt := 0; attempt < 20; attempt++ {
		ev, r := c.admin.CreateEvent(ctx, spec)
		if r.OK() && r.Err == nil {
			return ev, nil
		}
		last = r
		if !r.Retryable() {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	return api.Event{}, fmt.Errorf("create event: %w", last.Error())
}

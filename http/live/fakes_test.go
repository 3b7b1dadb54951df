package live

import (
	"context"
	"sync"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// fakeCatalog serves event e1 with a reserved section A (version 7) and a
// general-admission section floor (version 3); err, when set, is returned by every
// method.
type fakeCatalog struct {
	mu     sync.Mutex
	err    error
	events []actors.Event
	maps   map[string]actors.SeatMap // by "event/section"
}

func newFakeCatalog() *fakeCatalog {
	ev := actors.Event{
		ID: "e1", Name: "Night Drop", Venue: "Arena", StartsAt: time.Date(2026, 12, 31, 20, 0, 0, 0, time.FixedZone("X", 3600)),
		Currency: "USD", Status: "on_sale", MaxTicketsPerUser: 8,
		Sections: []actors.Section{
			{ID: "A", Name: "Section A", Kind: actors.KindReserved, PriceCents: 12000, Capacity: 42, Available: 40, Held: 1, Sold: 1},
			{ID: "floor", Name: "Floor", Kind: actors.KindGeneralAdmission, PriceCents: 8000, Capacity: 500, Available: 500},
		},
	}
	return &fakeCatalog{
		events: []actors.Event{ev},
		maps: map[string]actors.SeatMap{
			"e1/A": {SectionID: "A", Kind: actors.KindReserved, Version: 7, Seats: []actors.Seat{
				{ID: "A-1", Row: "A", Number: 1, Accessible: true, Status: actors.SeatSold, HoldID: "secret", OrderID: "secret"},
				{ID: "A-2", Row: "A", Number: 2, Status: actors.SeatAvailable},
			}},
			"e1/floor": {SectionID: "floor", Kind: actors.KindGeneralAdmission, Version: 3, Capacity: 500, Available: 490, Held: 6, Sold: 4},
		},
	}
}

func (f *fakeCatalog) GetEvent(ctx context.Context, id string) (actors.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return actors.Event{}, f.err
	}
	for _, ev := range f.events {
		if ev.ID == id {
			return ev, nil
		}
	}
	return actors.Event{}, actors.ErrNotFound
}

func (f *fakeCatalog) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return actors.SeatMap{}, f.err
	}
	m, ok := f.maps[eventID+"/"+sectionID]
	if !ok {
		return actors.SeatMap{}, actors.ErrNotFound
	}
	return m, nil
}

package main

import (
	"context"

	"github.com/ticketblitz/ticketblitz/actors"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// classicStrategy is what the server runs of a classic strategy (classic.Lock or
// classic.PG): its reservations, its background loops, and its seat maps.
type classicStrategy interface {
	tbhttp.Reservations
	// RunExpiry expires due holds until ctx ends.
	RunExpiry(ctx context.Context) error
	// RunSequencer numbers the strategy's staged section versions until ctx ends.
	RunSequencer(ctx context.Context) error
	// SeatMap returns a section's committed state with a version that matches it.
	SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error)
}

// sequencedCatalog is the read model of a server that runs a classic strategy: the
// store's, except seat maps, which the strategy reads after numbering the versions it
// has staged, so that a snapshot's version matches exactly the seats it shows (the live
// layer applies the deltas above it).
type sequencedCatalog struct {
	*persistence.Store
	seatMaps classicStrategy
}

// SeatMap returns the strategy's seat map of a section.
func (c sequencedCatalog) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	return c.seatMaps.SeatMap(ctx, eventID, sectionID)
}

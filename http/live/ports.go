package live

import (
	"context"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Catalog is the read model the event feed builds its snapshots from: committed state
// only. Lookups of missing things return an error matching actors.ErrNotFound.
type Catalog interface {
	// GetEvent returns one event with its sections.
	GetEvent(ctx context.Context, id string) (actors.Event, error)
	// SeatMap returns the committed state of one section.
	SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error)
}

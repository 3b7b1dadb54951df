package flashsale

import (
	"context"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Reservations is the part of the engine's decisions a simulated fan makes.
// Implementations return actors' domain errors, as for a real fan.
type Reservations interface {
	// Hold claims explicit seats or a quantity for a user.
	Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error)
	// Confirm pays for a hold and turns it into an order.
	Confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error)
	// Release gives a user's held seats back.
	Release(ctx context.Context, holdID, userID string) (actors.Hold, error)
}

// Catalog is the read model a sale looks at: committed state only. Lookups of missing
// things return an error matching actors.ErrNotFound.
type Catalog interface {
	// GetEvent returns one event with its sections.
	GetEvent(ctx context.Context, id string) (actors.Event, error)
	// SeatMap returns the committed state of one section.
	SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error)
}

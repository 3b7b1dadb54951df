package http

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/http/flashsale"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// Reservations makes every seat decision. Implementations return actors' domain errors
// (*actors.Error, possibly wrapped); anything else is answered as 503 UNAVAILABLE.
type Reservations interface {
	// Hold claims explicit seats or a quantity for a user.
	Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error)
	// Release gives a user's held seats back.
	Release(ctx context.Context, holdID, userID string) (actors.Hold, error)
	// Extend moves a user's hold expiry forward.
	Extend(ctx context.Context, holdID, userID string) (actors.Hold, error)
	// Confirm pays for a hold and turns it into an order.
	Confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error)
	// Cancel cancels an order; admin may cancel anybody's.
	Cancel(ctx context.Context, orderID, userID string, admin bool) (actors.Order, error)
}

// Catalog is the read model: committed state only. Lookups of missing things return an
// error matching actors.ErrNotFound.
type Catalog interface {
	// CreateEvent stores a new event with its sections and seats, assigning its id when
	// ev.ID is empty, and returns it as stored.
	CreateEvent(ctx context.Context, ev actors.Event) (actors.Event, error)
	// ListEvents returns every event with its section counts.
	ListEvents(ctx context.Context) ([]actors.Event, error)
	// GetEvent returns one event with its section counts.
	GetEvent(ctx context.Context, id string) (actors.Event, error)
	// SeatMap returns the committed state of one section.
	SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error)
	// GetHold returns one hold.
	GetHold(ctx context.Context, id string) (actors.Hold, error)
	// GetOrder returns one order.
	GetOrder(ctx context.Context, id string) (actors.Order, error)
	// ListOrders returns a user's orders, newest first.
	ListOrders(ctx context.Context, userID string) ([]actors.Order, error)
	// ListHolds returns a user's holds that are held now, of every event, newest first.
	ListHolds(ctx context.Context, userID string) ([]actors.Hold, error)
}

// AttemptLog reads the attempt log the section actors write.
type AttemptLog interface {
	// SeatHistory returns the latest limit attempts that named or touched a seat, in
	// decision order, and the attempts their refusals rest on, by number. It returns an
	// error matching actors.ErrNotFound when the section has no such seat.
	SeatHistory(ctx context.Context, key actors.SectionKey, seatID string, limit int) ([]actors.Attempt, map[int64]actors.Attempt, error)
	// SectionRecord returns up to limit attempts of a section numbered after after, in
	// decision order, with where their batches ended. It returns an error matching
	// actors.ErrNotFound when there is no such section.
	SectionRecord(ctx context.Context, key actors.SectionKey, after int64, limit int) (actors.RecordPage, error)
}

// RateLimiter is the per-user request limit shared by all nodes.
type RateLimiter interface {
	// Allow counts one request for key. When it is refused, retryAfter says when the
	// next one may pass.
	Allow(ctx context.Context, key string) (allowed bool, retryAfter time.Duration, err error)
}

// ClusterInfo serves /api/v1/cluster.
type ClusterInfo interface {
	// Status describes this node's view of the cluster.
	Status(ctx context.Context) (ClusterStatus, error)
	// Drain starts handing this node's sections over to the other members and leaving;
	// it returns once the drain is under way, not when it is done, and a repeated call
	// while it is under way succeeds too.
	Drain(ctx context.Context) error
}

// ClusterStatus is one node's view of the cluster.
type ClusterStatus struct {
	Node    string
	Members []ClusterMember
}

// ClusterMember is one member of the cluster as a node sees it.
type ClusterMember struct {
	Name    string
	Address string
	Status  string
	// Sections is how many sections are active on the member.
	Sections int
}

// FlashSales runs the simulated crowds of the admin flash-sale routes (http/flashsale's
// Sales). The request it is given is decoded and validated already.
type FlashSales interface {
	// Start starts a sale in the background and returns it running. It returns
	// NOT_FOUND for an unknown event or section and a *flashsale.RunningError when the
	// section has a sale running.
	Start(ctx context.Context, r flashsale.Request) (flashsale.Status, error)
	// Status returns a sale's progress, or NOT_FOUND.
	Status(id string) (flashsale.Status, error)
}

// LiveHandlers are the websocket endpoints of docs/api.md (http/live's EventFeed and
// TraceHub). They run behind the same request ids, metrics and error table as every
// route: a refusal before the upgrade is a domain error.
type LiveHandlers struct {
	// Events serves GET /ws/events/{event_id}; nil makes that route answer 404
	// NOT_FOUND, as on a node that serves no websockets.
	Events fiber.Handler
	// Visualizer serves GET /ws/visualizer; nil makes that route answer 404 NOT_FOUND.
	Visualizer fiber.Handler
	// Queue serves GET /ws/queue/{ticket_id}; nil makes that route answer 404 NOT_FOUND.
	Queue fiber.Handler
}

// WaitingRooms serves the waiting-room routes and guards holds (waitingroom's Service).
// Lookups of missing tickets, and joins of a room that is not enabled, return an error
// matching actors.ErrNotFound.
type WaitingRooms interface {
	// SetRoom stores an event's room settings (already validated by the caller for
	// the event's existence) and returns the room.
	SetRoom(ctx context.Context, s waitingroom.Settings) (waitingroom.Room, error)
	// Room returns an event's room; Configured is false for an event whose room was
	// never set.
	Room(ctx context.Context, eventID string) (waitingroom.Room, error)
	// Join gives a fan a ticket, or the one they hold (created false).
	Join(ctx context.Context, eventID, userID string) (t waitingroom.Ticket, created bool, err error)
	// Ticket returns a ticket as it stands now.
	Ticket(ctx context.Context, ticketID string) (waitingroom.Ticket, error)
	// CheckPass returns QUEUE_REQUIRED unless the event's room is not enabled or pass
	// is a valid pass of the user for the event. It must not make a round trip.
	CheckPass(eventID, userID, pass string) error
	// HoldDone tells that a hold CheckPass let through with pass was answered, and the
	// seats it took (0 when refused), so that the pass counts as used. It must not
	// block.
	HoldDone(eventID, userID, pass string, seats int)
}

// QueueWaits lets a reader of a waiting ticket wait for its change (http/live's
// QueueFeed): GET /api/v1/queue/{ticket_id}?wait_ms=.
type QueueWaits interface {
	// Await subscribes to t's changes: changed receives the ticket once its status or
	// position differs from t's; stop ends the subscription, must be called, and
	// returns the ticket as it stands (from the subscription's last read of the queue,
	// no older than the feed's poll).
	Await(t waitingroom.Ticket) (changed <-chan waitingroom.Ticket, stop func() waitingroom.Ticket)
}

// Sections serves the mailbox inspector and the classroom's pause, resume and step
// (actors.Client). Each returns the section's live state.
type Sections interface {
	// Inspect returns a section actor's live state.
	Inspect(ctx context.Context, key actors.SectionKey) (actors.SectionInspection, error)
	// Pause stops the section deciding; by names the admin.
	Pause(ctx context.Context, key actors.SectionKey, by string) (actors.SectionInspection, error)
	// Resume decides what the pause queued, in order.
	Resume(ctx context.Context, key actors.SectionKey, by string) (actors.SectionInspection, error)
	// Step decides and commits the oldest queued command of a paused section.
	Step(ctx context.Context, key actors.SectionKey, by string) (actors.SectionInspection, error)
}

package waitingroom

import (
	"context"
	"errors"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// QueueStore keeps every room's state where any node can reach it and none owns it
// (Redis, in persistence). Lookups of missing tickets return an error matching
// actors.ErrNotFound.
type QueueStore interface {
	// SaveSettings stores an event's room settings, disabled ones with now as their
	// DisabledAt. Settings that open a new entry window for a shuffle (OrderRandom,
	// OpensAt after now) reopen it once the previous shuffle is done.
	SaveSettings(ctx context.Context, s Settings, now time.Time) error
	// Rooms returns the state of every room ever configured, without admissions.
	Rooms(ctx context.Context) ([]QueueState, error)
	// QueueState returns an event's queue with at most maxAdmissions of its admissions
	// whose UpTo exceeds above (none for 0, all of them for a negative max).
	QueueState(ctx context.Context, eventID string, above int64, maxAdmissions int) (QueueState, error)
	// Join issues userID a ticket with id newID, in one atomic step, or returns the one
	// they hold (created false), unless that one has expired. A room that is not
	// enabled answers NOT_FOUND. The state returned carries no admissions.
	Join(ctx context.Context, eventID, userID, newID string, now time.Time) (rec TicketRecord, created bool, q QueueState, err error)
	// Ticket returns a ticket's record.
	Ticket(ctx context.Context, ticketID string) (TicketRecord, error)
	// Tickets returns the records of the tickets that exist among ids, in one round trip.
	Tickets(ctx context.Context, ids []string) ([]TicketRecord, error)
	// Admit raises the event's watermark by up to n positions (never past the
	// admittable ones) at now, closes a random room's entry window once it is due, and
	// records status, all only while fence holds the controller's lease. It returns the
	// new watermark and how many tickets wait for their shuffle.
	Admit(ctx context.Context, eventID string, fence Fence, n int64, now time.Time, status Status) (AdmitResult, error)
	// PendingTickets returns the ids of the tickets waiting for their shuffle, in the
	// order they joined.
	PendingTickets(ctx context.Context, eventID string) ([]string, error)
	// ApplyShuffle gives the pending tickets the reserved positions in the order of ids
	// (the pending tickets, shuffled), while fence holds the lease. It reports false
	// when there was nothing to apply (another controller applied it already).
	ApplyShuffle(ctx context.Context, eventID string, fence Fence, ids []string) (bool, error)
	// Forget forgets, while fence holds the lease, the tickets of the event's room whose
	// passes expired more than retention ago (a read of one then answers NOT_FOUND, and
	// its fan joins anew), a bounded part of the room a call.
	Forget(ctx context.Context, eventID string, fence Fence, now time.Time, retention time.Duration) (Forgotten, error)
	// ForgetRoom forgets, while fence holds the lease, every ticket of a room that has
	// been disabled (Settings.DisabledAt) for retention, a bounded part a call, and then
	// its queue: a room enabled again starts empty. It does nothing to a room that is
	// enabled, or disabled for less than retention.
	ForgetRoom(ctx context.Context, eventID string, fence Fence, now time.Time, retention time.Duration) (Forgotten, error)
}

// Forgotten is what one call of QueueStore.Forget or QueueStore.ForgetRoom did.
type Forgotten struct {
	// Tickets counts the tickets it forgot.
	Tickets int
	// Sweeping: the room's tickets are being gone through, and the next call goes on.
	Sweeping bool
}

// AdmitResult is what one admission step did.
type AdmitResult struct {
	// Watermark is the event's watermark after the step.
	Watermark int64
	// ShufflePending counts the tickets whose positions are reserved and wait for the
	// shuffle: the controller shuffles them next.
	ShufflePending int64
}

// Fence names the lease a controller's writes must hold: the store refuses them, with
// ErrNotLeader, once another controller holds it.
type Fence struct {
	Lease string
	Owner string
}

// ErrNotLeader is what a fenced write answers when its controller lost the lease.
var ErrNotLeader = errors.New("the admission controller lost its lease")

// HeadroomSource reads the section signals the nodes publish for an event.
type HeadroomSource interface {
	// Signals returns every node's latest signal for the event, stale ones included
	// (Aggregate drops them).
	Signals(ctx context.Context, eventID string) ([]Signal, error)
}

// Inventory tells how many seats of an event are left to hold (the read model).
type Inventory interface {
	// SeatsAvailable returns the event's seats neither held nor sold, as committed.
	SeatsAvailable(ctx context.Context, eventID string) (int, error)
}

// SignalSink receives a node's section signals.
type SignalSink interface {
	// PublishSignals records this node's signals, one per event.
	PublishSignals(ctx context.Context, signals []Signal) error
}

// LocalSections reads the section actors active on this node (actors.Metrics).
type LocalSections interface {
	SectionStats() []actors.SectionStats
}

// Leases are the short, renewable leases that choose the controller (persistence.Leases).
type Leases interface {
	// Acquire takes name for owner for ttl if nobody holds it; otherwise holder says who
	// has it.
	Acquire(ctx context.Context, name, owner string, ttl time.Duration) (acquired bool, holder actors.LeaseHolder, err error)
	// Renew extends name for ttl if owner still holds it.
	Renew(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// Release deletes name if owner still holds it.
	Release(ctx context.Context, name, owner string) error
}

// Clock tells time; tests inject a fake one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// PassUse is a pass a hold used: the ticket it was issued for, when it expires, and the
// seats the hold took (0 when it was refused).
type PassUse struct {
	EventID  string
	TicketID string
	Expires  time.Time
	Seats    int
	// Admitted is when the pass's ticket was admitted, to the millisecond (a pass that
	// does not say: its expiry less PassTTL, up to a second early).
	Admitted time.Time
	// HeldAfter is how long after its admission the pass's hold was answered (zero
	// when the pass does not say when it was admitted).
	HeldAfter time.Duration
}

// PassUsage is what the holds made with an event's passes did.
type PassUsage struct {
	// Used counts the passes used that are still valid.
	Used int64
	// Since counts, for each time UsedPasses was given, the passes used that were
	// admitted then or later (to the millisecond): those of the admissions since whose
	// holds came back.
	Since []int64
	// HeldAfter counts the passes used (each once, valid or not) by how long after
	// their admission their holds were answered, in UseBucket's buckets.
	HeldAfter [UseBuckets]int64
	// Holds counts the passes whose holds took seats (each pass once, valid or not)
	// and Seats the seats they took: the seats an admitted fan who holds takes,
	// Seats/Holds.
	Holds, Seats int64
}

// PassUses records the passes the nodes' holds used, so that the controller counts
// against the seats left only the passes issued and not used yet, and learns the seats
// a pass's hold takes.
type PassUses interface {
	// UsePasses records uses; a pass recorded before counts once, and its seats once,
	// from the first record with seats.
	UsePasses(ctx context.Context, uses []PassUse) error
	// UsedPasses tells the event's pass usage at now, counting apart the passes used
	// that were admitted at each since or later (PassUsage.Since).
	UsedPasses(ctx context.Context, eventID string, now time.Time, since ...time.Time) (PassUsage, error)
}

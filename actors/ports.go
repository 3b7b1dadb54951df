package actors

import (
	"context"
	"time"
)

// Store is the section actor's system of record. Implementations must make Commit
// atomic and fenced: it applies the whole batch or nothing, and only when the section's
// (epoch, version) in the store still equals the batch's.
type Store interface {
	// Activate bumps the section's epoch and loads what its decisions need now, in one
	// transaction: the seats, the live holds, the confirmed orders and the idempotency
	// records younger than keysWithin (see Snapshot). Its cost follows what is live, never
	// the section's history. It returns an error wrapping ErrNotFound when the section
	// does not exist.
	Activate(ctx context.Context, key SectionKey, keysWithin time.Duration) (*Snapshot, error)
	// Commit writes one batch. Its error says what happened to the batch: ErrFenced
	// (wrapped or not) when the section's epoch or version no longer match (another
	// activation took over, nothing was written); one wrapping ErrRolledBack when the
	// batch certainly did not commit; anything else, ErrCommitUnknown when the store
	// knows it, when the batch may have committed.
	Commit(ctx context.Context, b *Batch) error
	// OrderOfHold returns the id of the order the hold was confirmed with ("" when it
	// was not), as committed once every write of the section in flight has ended: it
	// settles a payment whose confirm batch ended with an unknown outcome.
	OrderOfHold(ctx context.Context, key SectionKey, holdID string) (string, error)
}

// Directory answers the few questions actors.Client must ask before it can route a
// request: which section a hold or order lives in, and what a user already has.
type Directory interface {
	// LocateHold returns the section and owner of a hold, or ErrNotFound.
	LocateHold(ctx context.Context, holdID string) (SectionKey, string, error)
	// LocateOrder returns the section and owner of an order, or ErrNotFound.
	LocateOrder(ctx context.Context, orderID string) (SectionKey, string, error)
	// TicketsElsewhere counts the user's held and bought tickets for the event in
	// sections other than the one named.
	TicketsElsewhere(ctx context.Context, eventID, sectionID, userID string) (int, error)
	// Idempotent returns the stored record of (user, key), or ok false.
	Idempotent(ctx context.Context, userID, key string) (rec IdempotencyRecord, ok bool, err error)
	// GetHold returns a hold as committed, or an error wrapping ErrNotFound: Client
	// answers from it a command about a hold its section no longer holds in memory.
	GetHold(ctx context.Context, id string) (Hold, error)
	// GetOrder returns an order as committed, or an error wrapping ErrNotFound.
	GetOrder(ctx context.Context, id string) (Order, error)
}

// Snapshot is a section's state as an activation loads it.
type Snapshot struct {
	Key               SectionKey
	Epoch             int64
	Version           int64
	Name              string
	Kind              SectionKind
	PriceCents        int64
	Capacity          int
	Currency          string
	MaxTicketsPerUser int
	Seats             []Seat // reserved sections, ordered by row then number
	Held              int    // general admission counters
	Sold              int
	// Holds are the live holds: status held, including those past their expiry that no
	// decision has expired yet. Finished holds stay in the store.
	Holds []Hold
	// Orders are the confirmed orders (at most one per sold seat or place): a cancel
	// decides on them, and they count against the per-user limit.
	Orders []Order
	// Idempotency holds the records younger than the activation's keysWithin, oldest
	// first: what a retry still in flight may need. Older ones are looked up in the store.
	Idempotency []IdempotencyRecord
	// DBNow is the database's clock at activation; expiry is computed on it.
	DBNow time.Time
}

// Batch is everything one group commit writes, in one transaction.
type Batch struct {
	Key     SectionKey
	Epoch   int64
	Version int64 // the version the batch was decided on; the store writes Version+1
	Seats   []SeatChange
	Held    int // general-admission counters after the batch
	Sold    int
	Holds   []Hold  // inserted or updated by id
	Orders  []Order // inserted or updated by id; the store keeps tickets in step
	Keys    []IdempotencyRecord
	Outbox  []OutboxMessage
}

// SeatChange is the new state of one seat.
type SeatChange struct {
	ID      string
	Status  SeatStatus
	HoldID  string
	OrderID string
}

// IdempotencyRecord is the first answer given to (user, key).
type IdempotencyRecord struct {
	UserID      string
	Key         string
	EventID     string
	SectionID   string
	RequestHash []byte
	Response    []byte // an encoded Reply
	// CreatedAt is when the record was written (database time); zero in a Batch, where
	// the store sets it.
	CreatedAt time.Time
}

// OutboxMessage is one Kafka record to publish after the batch commits.
type OutboxMessage struct {
	Topic   string
	Key     string
	Payload []byte
}

// Leases are short, renewable Redis leases. They make a second activation of a section
// back off; they are an efficiency measure, never the guarantee (the fence is).
type Leases interface {
	// Acquire takes name for owner for ttl if nobody holds it. When someone else holds
	// it, acquired is false and remaining is how long their lease has left to live (0 when
	// unknown); a section activation that takes over from an owner who did not hand over
	// estimates from it when that owner last renewed.
	Acquire(ctx context.Context, name, owner string, ttl time.Duration) (acquired bool, remaining time.Duration, err error)
	// Renew extends name for ttl if owner still holds it.
	Renew(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// Release deletes name if owner still holds it.
	Release(ctx context.Context, name, owner string) error
}

// Payments is the payment step of a confirm. The section actor calls it off its
// mailbox, on a goroutine of its own, so a slow provider delays only the confirm that
// waits for it.
type Payments interface {
	// Charge authorizes amount for token, by ctx's deadline. It returns ErrPaymentDeclined
	// when the card is declined.
	Charge(ctx context.Context, token string, amountCents int64, currency string) error
	// Refund gives back a charge Charge approved for the same token, amount and currency,
	// when the confirm it paid for did not happen (its batch failed, its hold changed).
	Refund(ctx context.Context, token string, amountCents int64, currency string) error
}

// Tracer receives the visualizer's traces. Trace must never block.
type Tracer interface {
	Trace(t Trace)
}

// Trace is one visualizer trace (API.md, /ws/visualizer).
type Trace struct {
	Type      string    `json:"type"`
	At        time.Time `json:"at"`
	Node      string    `json:"node"`
	Actor     string    `json:"actor,omitempty"`
	Depth     int       `json:"depth,omitempty"`
	Decisions int       `json:"decisions,omitempty"`
	Outcome   string    `json:"outcome,omitempty"`
	Millis    float64   `json:"ms,omitempty"`
	Action    string    `json:"action,omitempty"`
	Topic     string    `json:"topic,omitempty"`
	Key       string    `json:"key,omitempty"`
	Offset    int64     `json:"offset,omitempty"`
	Member    string    `json:"member,omitempty"`
	Epoch     int64     `json:"epoch,omitempty"`
	Version   int64     `json:"version,omitempty"`
	// The waiting room's fields (type queue): the event, its queue, the rate it admits
	// at and the headroom signal it follows (Depth is then the deepest mailbox, Millis
	// the mean batch write time).
	EventID       string  `json:"event_id,omitempty"`
	Waiting       int64   `json:"waiting,omitempty"`
	Admitted      int64   `json:"admitted,omitempty"`
	AdmittingPerS float64 `json:"admitting_per_s,omitempty"`
	DecisionsPerS float64 `json:"decisions_per_s,omitempty"`
}

// The trace types.
const (
	TraceActivation  = "activation"
	TracePassivation = "passivation"
	TraceMailbox     = "mailbox"
	TraceBatch       = "batch"
	TraceLease       = "lease"
	TraceKafka       = "kafka"
	TraceMember      = "member"
	// TraceQueue is a waiting room's state, traced by every node about once a second.
	TraceQueue = "queue"
)

// ActivationTakeover is the Action of an activation trace whose activation took its
// section over from an owner who did not hand it over (a crash, a kill, a partition):
// its Millis is then the failover time that ticketblitz_failover_seconds records, not the
// activation's own duration.
const ActivationTakeover = "takeover"

// Clock tells time and schedules callbacks; tests inject a fake one.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a scheduled callback that can be cancelled.
type Timer interface {
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// NopTracer discards traces.
type NopTracer struct{}

// Trace does nothing.
func (NopTracer) Trace(Trace) {}

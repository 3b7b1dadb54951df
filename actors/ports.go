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
	// The activation records owner (its lease owner, "<node>/<member id>/<activation
	// id>") as the section's owner, and the snapshot tells who owned it before and
	// whether that activation handed it over.
	Activate(ctx context.Context, key SectionKey, owner string, keysWithin time.Duration) (*Snapshot, error)
	// HandOver records durably that the section's activation of epoch stopped cleanly
	// (passivation, drain, shutdown): the next activation is then no takeover. It does
	// nothing when a later activation exists (it is fenced on epoch).
	HandOver(ctx context.Context, key SectionKey, epoch int64) error
	// Commit writes one batch. Its error says what happened to the batch: ErrFenced
	// (wrapped or not) when the section's epoch or version no longer match (another
	// activation took over, nothing was written); one wrapping a *LimitError when the
	// batch would take users past the event's per-user limit (nothing was written); one
	// wrapping ErrRolledBack when the batch certainly did not commit; anything else,
	// ErrCommitUnknown when the store knows it, when the batch may have committed.
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
	// EventSections is how many sections the event has. With more than one, a user's
	// tickets in the other sections count against the limit too, and every batch carries
	// its users' ticket changes so that the store can hold the limit across sections.
	EventSections int
	Seats         []Seat // reserved sections, ordered by row then number
	Held          int    // general admission counters
	Sold          int
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
	// AttemptSeq is the number of the section's last recorded attempt; AttemptDigest
	// the digest of its attempts up to it (see FoldAttempt) and Chain the link of its
	// version (see ChainLink); both empty for a section that has none.
	AttemptSeq    int64
	AttemptDigest []byte
	Chain         []byte
	// PrevOwner is the owner recorded by the section's previous activation ("" for the
	// first one, or one that recorded none).
	PrevOwner string
	// Orphaned reports that the previous activation stopped without handing the section
	// over (a crash, a kill -9, a partition): this activation takes it over. It is false
	// for the section's first activation.
	Orphaned bool
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
	// UserTickets are the net changes of users' held and bought tickets the batch makes,
	// one per user, sorted by user, none zero; only for events of several sections. The
	// store keeps each user's count for the whole event and refuses, with a *LimitError,
	// a batch that would take a count with a positive change past MaxTicketsPerUser: two
	// sections deciding at once on one user's holds cannot both take the user's last
	// tickets.
	UserTickets       []UserTicketChange
	MaxTicketsPerUser int
	// NextExpiry is the earliest expiry of the section's live holds after the batch (zero
	// when it has none). The store keeps it on the section, where the expiry reminder
	// finds sections whose holds are due while nobody runs them.
	NextExpiry time.Time
	// Attempts are the attempts the batch's decisions record, in decision order; LastSeq
	// is the number of the section's last attempt after the batch. RecordOnly marks a
	// batch of refusals: it writes the attempts alone, under the fence, and leaves the
	// section's version where it is; with no attempts it writes nothing and only
	// confirms the fence (the epoch and version are still the batch's), which the
	// section needs before it answers refusals.
	Attempts   []Attempt
	LastSeq    int64
	RecordOnly bool
	// Digest is the section's attempt digest after the batch; Chain the link of the
	// version it writes (unchanged by a batch of attempts alone). The store keeps both
	// on the section and each version's link beside it.
	Digest []byte
	Chain  []byte
}

// UserTicketChange is how many tickets a user gains (held or bought) or gives back in one
// batch.
type UserTicketChange struct {
	UserID string
	Delta  int
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

// ReminderStore is what the expiry reminder needs from the store: the cluster's one
// reminder lease, and the sections whose next hold expiry has passed.
type ReminderStore interface {
	// ClaimReminder takes the reminder lease for holder for ttl, or extends it when holder
	// has it; times are the store's. A lease another holder has is taken once it ran out,
	// or at once when that holder is takeFrom (compare-and-set; "" takes nothing over).
	// It returns whether holder has the lease now, and otherwise who has it.
	ClaimReminder(ctx context.Context, holder, takeFrom string, ttl time.Duration) (held bool, current string, err error)
	// ReleaseReminder gives the lease up if holder has it.
	ReleaseReminder(ctx context.Context, holder string) error
	// DueSections lists at most limit sections whose next hold expiry (Batch.NextExpiry
	// as last committed) is at least grace in the past, the earliest first.
	DueSections(ctx context.Context, grace time.Duration, limit int) ([]SectionKey, error)
}

// Membership tells whether a cluster member is alive in this node's view. Members are
// named by their member id, which is new for every process start: a node restarted under
// the same name is a new member, and the member it was is not alive.
type Membership interface {
	// MemberAlive reports whether the member is alive (or still serving while it leaves).
	// A member declared dead or gone, or one this node does not know, is not; a node that
	// cannot tell yet (it has not joined) says alive.
	MemberAlive(memberID string) bool
}

// Leases are short, renewable Redis leases. They make a second activation of a section
// back off; they are an efficiency measure, never the guarantee (the fence is). A section's
// lease is held by "<node name>/<member id>/<activation id>": the member id names the
// process incarnation (see Membership), so an activation can tell a lease of a process
// that is gone from one of a process that still runs, where the node name, reused by a
// restart, could not.
type Leases interface {
	// Acquire takes name for owner for ttl if nobody holds it. When someone else holds
	// it, acquired is false and holder says who and for how long yet; a section
	// activation that takes over from an owner who did not hand over estimates from it
	// when that owner last renewed.
	Acquire(ctx context.Context, name, owner string, ttl time.Duration) (acquired bool, holder LeaseHolder, err error)
	// TakeOver gives name to owner for ttl if it is still held by from, or free
	// (compare-and-set): the lease of an owner that is no longer alive is taken at once.
	TakeOver(ctx context.Context, name, from, owner string, ttl time.Duration) (bool, error)
	// Renew extends name for ttl if owner still holds it.
	Renew(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// Release deletes name if owner still holds it.
	Release(ctx context.Context, name, owner string) error
}

// LeaseHolder is who holds a lease that Acquire could not take.
type LeaseHolder struct {
	// Owner is the holder's owner string ("" when it vanished meanwhile).
	Owner string
	// Remaining is how long the lease has left to live (0 when unknown).
	Remaining time.Duration
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

// Trace is one visualizer trace (docs/api.md, /ws/visualizer).
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
	// the mean batch write time); SoldOut once the room told its waiting fans the sale
	// is sold out, and SoldOutAfter, the last position still waiting for a seat.
	EventID       string  `json:"event_id,omitempty"`
	Waiting       int64   `json:"waiting,omitempty"`
	Admitted      int64   `json:"admitted,omitempty"`
	AdmittingPerS float64 `json:"admitting_per_s,omitempty"`
	DecisionsPerS float64 `json:"decisions_per_s,omitempty"`
	SoldOut       bool    `json:"sold_out,omitempty"`
	SoldOutAfter  int64   `json:"sold_out_after,omitempty"`
	// The classroom's fields. Sections lists every section a node hosts (type sections).
	// The classic strategies' lock, tx and retry traces name the Seat, the User who owns
	// or asks for it, a lock's TTLMillis, a transaction's Statements, and the Reason of a
	// refusal, rollback or retry; Attempt counts a retried operation's tries from 1.
	Sections   []string `json:"sections,omitempty"`
	Seat       string   `json:"seat,omitempty"`
	User       string   `json:"user,omitempty"`
	TTLMillis  int64    `json:"ttl_ms,omitempty"`
	Statements []string `json:"statements,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	Attempt    int      `json:"attempt,omitempty"`
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
	// TraceSections is a node's list of the sections it hosts, shared with the other
	// nodes every few seconds so that any node's visualizer shows the whole cluster.
	TraceSections = "sections"
	// TraceLock is a classic strategy's per-seat Redis lock: Action take, refuse or
	// release.
	TraceLock = "lock"
	// TraceTx is one classic PostgreSQL transaction: its Statements, Outcome commit or
	// rollback, the Reason of a rollback and its duration in Millis.
	TraceTx = "tx"
	// TraceRetry is a classic operation tried again, with the Reason and the Attempt.
	TraceRetry = "retry"
	// TracePaused is a section paused in the classroom: User paused it, and it resumes
	// by itself after Millis at the latest.
	TracePaused = "paused"
	// TraceResumed is a paused section resumed: by User, or, with a Reason, by itself
	// at the pause limit; Depth commands were queued and Millis is how long it was paused.
	TraceResumed = "resumed"
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

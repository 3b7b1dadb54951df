package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

type harness struct {
	t      *testing.T
	sys    *actor.ActorSystem
	pid    *actor.PID
	store  *fakeStore
	clock  *fakeClock
	tracer *recordingTracer
}

// newHarness starts one section actor on store with a fake clock; opts adjust its config.
func newHarness(t *testing.T, store *fakeStore, opts ...func(*harness, *SectionConfig)) *harness {
	t.Helper()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	h := &harness{t: t, sys: sys, store: store, clock: newFakeClock(), tracer: &recordingTracer{}}
	cfg := SectionConfig{Store: store, Payments: SimulatedPayments{}, Logger: zap.NewNop(), Clock: h.clock,
		Tracer: h.tracer, HoldTTL: 10 * time.Minute, NodeName: "test",
		// Sections passivate with live holds; the tests that move the clock by minutes
		// are about something else.
		PassivateAfter: 24 * time.Hour}
	for _, opt := range opts {
		opt(h, &cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	c := cfg.withDefaults()
	reg := newMailboxRegistry(c.MailboxLimit, c.Metrics, c.Clock, c.takenWindow())
	props := actor.PropsFromProducer(func() actor.Actor {
		return inspectable{&sectionActor{cfg: &c, mailboxes: reg, log: c.Logger}}
	}, actor.WithMailbox(reg.producer()))
	h.pid = sys.Root.Spawn(props)
	sys.Root.Send(h.pid, &protocluster.ClusterInit{Identity: &protocluster.ClusterIdentity{Identity: "ev/S", Kind: SectionKindName}})
	t.Cleanup(func() { sys.Root.Stop(h.pid); sys.Shutdown() })
	return h
}

// inspectable lets a test look at the actor's state from its own goroutine.
type inspectable struct{ *sectionActor }

// inspectMsg runs f on the actor's goroutine.
type inspectMsg struct{ f func(*sectionActor) }

func (i inspectable) Receive(ctx actor.Context) {
	if m, ok := ctx.Message().(*inspectMsg); ok {
		m.f(i.sectionActor)
		ctx.Respond(true)
		return
	}
	i.sectionActor.Receive(ctx)
}

// inspect runs f on the actor's goroutine, between two messages.
func (h *harness) inspect(f func(*sectionActor)) {
	h.t.Helper()
	if _, err := h.sys.Root.RequestFuture(h.pid, &inspectMsg{f: f}, 5*time.Second).Result(); err != nil {
		h.t.Fatalf("inspect: %v", err)
	}
}

func (h *harness) future(msg any) *actor.Future {
	return h.sys.Root.RequestFuture(h.pid, msg, 5*time.Second)
}

// ask sends msg and returns the answer a Client would give: a section's "not in
// section" is answered from the store, as Client does.
func (h *harness) ask(msg any) *Reply {
	h.t.Helper()
	return h.resolve(msg, h.wait(h.future(msg)))
}

// askSection sends msg and returns the section's own answer.
func (h *harness) askSection(msg any) *Reply {
	h.t.Helper()
	return h.wait(h.future(msg))
}

// resolve answers r, the section's answer to msg, from the store when the section does
// not have the hold or order msg is about.
func (h *harness) resolve(msg any, r *Reply) *Reply {
	if !errors.Is(r.Err(), errNotInSection) {
		return r
	}
	ctx := context.Background()
	var err error
	switch m := msg.(type) {
	case *CancelCommand:
		var o Order
		if o, err = h.store.GetOrder(ctx, m.GetOrderId()); err == nil {
			err = finishedOrderErr(o, m.GetUserId(), m.GetAdmin())
		}
	case interface{ GetHoldId() string }:
		var hold Hold
		if hold, err = h.store.GetHold(ctx, m.GetHoldId()); err == nil {
			err = finishedHoldErr(hold, msg.(interface{ GetUserId() string }).GetUserId())
		}
	default:
		h.t.Fatalf("%T answered %v", msg, r.Err())
	}
	return ErrorReply(err)
}

func (h *harness) wait(f *actor.Future) *Reply {
	h.t.Helper()
	res, err := f.Result()
	if err != nil {
		h.t.Fatalf("no answer: %v", err)
	}
	r, ok := res.(*Reply)
	if !ok {
		h.t.Fatalf("answer %T", res)
	}
	return r
}

func (h *harness) hold(user string, seats ...string) *Reply {
	h.t.Helper()
	return h.ask(&HoldCommand{UserId: user, Seats: seats})
}

func wantCode(t *testing.T, r *Reply, want error) {
	t.Helper()
	err := r.Err()
	if want == nil {
		if err != nil {
			t.Fatalf("got error %v, want success", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

func reserved(rows, seats int) *fakeStore {
	var rs []RowSpec
	for r := 0; r < rows; r++ {
		rs = append(rs, RowSpec{Label: string(rune('A' + r)), Seats: seats})
	}
	return newFakeStore(KindReserved, 0, rs...)
}

func TestHoldExplicitSeatsAllOrNone(t *testing.T) {
	h := newHarness(t, reserved(2, 10))
	r := h.hold("alice", "A-1", "A-2")
	wantCode(t, r, nil)
	if got := r.GetHold().GetSeats(); len(got) != 2 || r.GetHold().GetStatus() != "held" {
		t.Fatalf("hold = %v", r.GetHold())
	}
	if s := h.store.seat("A-1"); s.Status != SeatHeld || s.HoldID != r.GetHold().GetId() {
		t.Fatalf("A-1 not persisted before the answer: %+v", s)
	}
	r = h.hold("bob", "A-2", "A-3")
	wantCode(t, r, ErrSeatUnavailable)
	if got := r.GetSeats(); len(got) != 1 || got[0] != "A-2" {
		t.Fatalf("unavailable seats = %v", got)
	}
	if s := h.store.seat("A-3"); s.Status != SeatAvailable {
		t.Fatalf("A-3 taken by a refused hold: %+v", s)
	}
	wantCode(t, h.hold("bob", "Z-1"), ErrValidation)
	wantCode(t, h.hold("bob", "A-4", "A-4"), ErrValidation)
	var many []string
	for i := 1; i <= 21; i++ {
		many = append(many, SeatID("B", i))
	}
	r = h.hold("bob", many...)
	wantCode(t, r, ErrValidation)
	if r.GetFields()["seats"] == "" {
		t.Fatalf("21 seats: fields = %v", r.GetFields())
	}
}

func TestGroupCommitBatchesWhileOneIsInFlight(t *testing.T) {
	store := reserved(1, 30)
	store.gate = make(chan error)
	h := newHarness(t, store)
	first := h.future(&HoldCommand{UserId: "u0", Seats: []string{"A-1"}})
	// Wait until the first batch is in flight, then queue more decisions behind it.
	testenv.Eventually(t, 5*time.Second, h.tracer.wantCount(TraceActivation, 1))
	var fs []*actor.Future
	for i := 2; i <= 6; i++ {
		fs = append(fs, h.future(&HoldCommand{UserId: fmt.Sprintf("u%d", i), Seats: []string{SeatID("A", i)}}))
	}
	// A refusal resting on the uncommitted first hold must wait for it too.
	refused := h.future(&HoldCommand{UserId: "late", Seats: []string{"A-1"}})
	store.gate <- nil // first batch commits
	wantCode(t, h.wait(first), nil)
	store.gate <- nil // second batch: the five holds (and the refusal, which writes nothing)
	for _, f := range fs {
		wantCode(t, h.wait(f), nil)
	}
	wantCode(t, h.wait(refused), ErrSeatUnavailable)
	b := store.committed()
	if len(b) != 2 || len(b[0].Holds) != 1 || len(b[1].Holds) != 5 {
		t.Fatalf("batches: %d (want 2 with 1 and 5 holds)", len(b))
	}
	if b[1].Version != b[0].Version+1 {
		t.Fatalf("versions %d then %d", b[0].Version, b[1].Version)
	}
	if len(b[1].Outbox) != 6 || len(b[1].Keys) != 0 { // 5 SeatReserved and the SectionChanged
		t.Fatalf("second batch outbox %d keys %d", len(b[1].Outbox), len(b[1].Keys))
	}
}

func TestFailedBatchUndoesEverything(t *testing.T) {
	store := reserved(1, 10)
	store.gate = make(chan error)
	h := newHarness(t, store)
	f1 := h.future(&HoldCommand{UserId: "a", Seats: []string{"A-1"}})
	testenv.Eventually(t, 5*time.Second, h.tracer.wantCount(TraceActivation, 1))
	f2 := h.future(&HoldCommand{UserId: "b", Seats: []string{"A-2"}}) // decided on top of f1
	f3 := h.future(&HoldCommand{UserId: "c", Seats: []string{"A-1"}}) // refused because of f1
	time.Sleep(20 * time.Millisecond)
	store.gate <- fmt.Errorf("disk on fire: %w", ErrRolledBack)
	wantCode(t, h.wait(f1), ErrUnavailable)
	wantCode(t, h.wait(f2), ErrUnavailable)
	wantCode(t, h.wait(f3), ErrUnavailable)
	store.gate = nil
	// Memory was rolled back: both seats can be held again, and nothing was written before.
	store.mu.Lock()
	store.gate = nil
	store.mu.Unlock()
	wantCode(t, h.hold("d", "A-1", "A-2"), nil)
	if got := len(store.committed()); got != 1 {
		t.Fatalf("committed batches = %d, want 1", got)
	}
	if h.tracer.count(TraceBatch, "rollback") != 1 {
		t.Fatal("no rollback trace")
	}
}

func TestFencedActivationStopsAndAnswersRetryable(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	wantCode(t, h.hold("a", "A-1"), nil)
	// A second activation elsewhere bumps the epoch.
	if _, err := store.Activate(t.Context(), SectionKey{"ev", "S"}, "n/m/act_0", time.Minute); err != nil {
		t.Fatal(err)
	}
	wantCode(t, h.hold("b", "A-2"), ErrUnavailable)
	if s := store.seat("A-2"); s.Status != SeatAvailable {
		t.Fatalf("stale activation wrote A-2: %+v", s)
	}
	// The trace follows the answers.
	testenv.Eventually(t, 5*time.Second, func() error {
		if h.tracer.count(TraceBatch, "fenced") != 1 {
			return errors.New("no fenced batch trace")
		}
		return nil
	})
	// The actor stopped: further requests are not answered by it.
	if _, err := h.sys.Root.RequestFuture(h.pid, &HoldCommand{UserId: "c", Seats: []string{"A-3"}}, 200*time.Millisecond).Result(); err == nil {
		t.Fatal("fenced actor still answers")
	}
}

func TestHoldExpiresOnTimer(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	r := h.hold("a", "A-1", "A-2")
	wantCode(t, r, nil)
	h.clock.Advance(9 * time.Minute)
	if store.seat("A-1").Status != SeatHeld {
		t.Fatal("expired early")
	}
	h.clock.Advance(time.Minute)
	testenv.Eventually(t, 5*time.Second, func() error {
		if a1, a2 := store.seat("A-1").Status, store.seat("A-2").Status; a1 != SeatAvailable || a2 != SeatAvailable {
			return fmt.Errorf("after expiry A-1 is %q and A-2 is %q, want both %q", a1, a2, SeatAvailable)
		}
		return nil
	})
	last := store.committed()[len(store.committed())-1]
	if len(last.Holds) != 1 || last.Holds[0].Status != HoldExpired || len(last.Outbox) != 2 {
		t.Fatalf("expiry batch = %+v", last)
	}
	ch := sectionChanged(t, last)
	if ch.Version != last.Version+1 || len(ch.Changes) != 2 || ch.Changes[0].Status != SeatAvailable || ch.Available != 10 {
		t.Fatalf("SectionChanged of the expiry = %+v", ch)
	}
	wantCode(t, h.ask(&ConfirmCommand{HoldId: r.GetHold().GetId(), UserId: "a", PaymentToken: "tok_ok"}), ErrHoldExpired)
}

func TestExtendIsCapped(t *testing.T) {
	h := newHarness(t, reserved(1, 10))
	r := h.hold("a", "A-1")
	id := r.GetHold().GetId()
	created := fromMicros(r.GetHold().GetCreatedAtUnixMicro())
	var exp time.Time
	for i := 0; i < 4; i++ {
		if i < 3 {
			h.clock.Advance(8 * time.Minute) // 8, 16, 24 minutes in; the fourth call stays at 24
		}
		e := h.ask(&ExtendCommand{HoldId: id, UserId: "a"})
		wantCode(t, e, nil)
		exp = fromMicros(e.GetHold().GetExpiresAtUnixMicro())
	}
	if want := created.Add(30 * time.Minute); !exp.Equal(want) {
		t.Fatalf("expiry after extensions = %v after creation, want the 30m cap", exp.Sub(created))
	}
	wantCode(t, h.ask(&ExtendCommand{HoldId: id, UserId: "b"}), ErrForbidden)
}

func TestConfirmDeclineCancel(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	id := h.hold("a", "A-1", "A-2").GetHold().GetId()
	wantCode(t, h.ask(&ConfirmCommand{HoldId: id, UserId: "b", PaymentToken: "tok_ok"}), ErrForbidden)
	wantCode(t, h.ask(&ConfirmCommand{HoldId: id, UserId: "a", PaymentToken: DeclinedToken}), ErrPaymentDeclined)
	if store.seat("A-1").Status != SeatHeld {
		t.Fatal("a declined payment released the hold")
	}
	o := h.ask(&ConfirmCommand{HoldId: id, UserId: "a", PaymentToken: "tok_ok"})
	wantCode(t, o, nil)
	if o.GetOrder().GetTotalCents() != 2000 || store.seat("A-2").Status != SeatSold {
		t.Fatalf("order = %v", o.GetOrder())
	}
	wantCode(t, h.ask(&ConfirmCommand{HoldId: id, UserId: "a", PaymentToken: "tok_ok"}), ErrHoldNotActive)
	wantCode(t, h.ask(&CancelCommand{OrderId: o.GetOrder().GetId(), UserId: "b"}), ErrForbidden)
	c := h.ask(&CancelCommand{OrderId: o.GetOrder().GetId(), UserId: "a"})
	wantCode(t, c, nil)
	if c.GetOrder().GetStatus() != "cancelled" || store.seat("A-1").Status != SeatAvailable {
		t.Fatalf("cancel = %v", c.GetOrder())
	}
	wantCode(t, h.ask(&CancelCommand{OrderId: o.GetOrder().GetId(), UserId: "a"}), ErrHoldNotActive)
}

func TestIdempotencyReplayAndConflict(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	cmd := &HoldCommand{UserId: "a", Seats: []string{"A-1"}, IdempotencyKey: "k1", RequestHash: []byte("h1")}
	first := h.ask(cmd)
	wantCode(t, first, nil)
	again := h.ask(cmd)
	wantCode(t, again, nil)
	if again.GetHold().GetId() != first.GetHold().GetId() {
		t.Fatal("replay created a second hold")
	}
	wantCode(t, h.ask(&HoldCommand{UserId: "a", Seats: []string{"A-2"}, IdempotencyKey: "k1", RequestHash: []byte("h2")}), ErrIdempotencyConflict)
	// Keys are per user.
	wantCode(t, h.ask(&HoldCommand{UserId: "b", Seats: []string{"A-2"}, IdempotencyKey: "k1", RequestHash: []byte("h2")}), nil)
	if n := len(store.committed()[0].Keys); n != 1 {
		t.Fatalf("first batch stored %d keys", n)
	}
}

func TestPerUserLimitAndGeneralAdmission(t *testing.T) {
	store := newFakeStore(KindGeneralAdmission, 10)
	h := newHarness(t, store)
	wantCode(t, h.ask(&HoldCommand{UserId: "a", Quantity: 6}), nil)
	wantCode(t, h.ask(&HoldCommand{UserId: "a", Quantity: 3}), ErrLimitExceeded)
	wantCode(t, h.ask(&HoldCommand{UserId: "b", Quantity: 2, TicketsElsewhere: 7}), ErrLimitExceeded)
	wantCode(t, h.ask(&HoldCommand{UserId: "b", Quantity: 5}), ErrSoldOut)
	wantCode(t, h.ask(&HoldCommand{UserId: "b", Quantity: 4}), nil)
	wantCode(t, h.ask(&HoldCommand{UserId: "c", Seats: []string{"A-1"}}), ErrValidation)
	b := store.committed()
	if last := b[len(b)-1]; last.Held != 10 || last.Sold != 0 {
		t.Fatalf("counters held=%d sold=%d", last.Held, last.Sold)
	}
}

func TestBestAvailableThroughActor(t *testing.T) {
	h := newHarness(t, reserved(2, 10))
	r := h.ask(&HoldCommand{UserId: "a", Quantity: 4})
	wantCode(t, r, nil)
	if got := r.GetHold().GetSeats(); fmt.Sprint(got) != "[A-4 A-5 A-6 A-7]" {
		t.Fatalf("best available = %v", got)
	}
}

// sectionChanged decodes the batch's SectionChanged delta, which must be its last record.
func sectionChanged(t *testing.T, b *Batch) SectionChanged {
	t.Helper()
	last := b.Outbox[len(b.Outbox)-1]
	var env Envelope
	var ch SectionChanged
	if last.Topic != TopicSectionChanged || json.Unmarshal(last.Payload, &env) != nil || json.Unmarshal(env.Data, &ch) != nil {
		t.Fatalf("last outbox record is not a SectionChanged: %s", last.Payload)
	}
	return ch
}

// TestIdleSectionPassivatesWithLiveHolds: live holds no longer keep an idle section
// active, since the expiry reminder wakes it at their expiry; every batch leaves the
// earliest live expiry on the section for it (none once no hold is live).
func TestIdleSectionPassivatesWithLiveHolds(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store, func(_ *harness, cfg *SectionConfig) { cfg.PassivateAfter = 2 * time.Minute })
	first := h.hold("a", "A-1")
	wantCode(t, first, nil)
	h.clock.Advance(time.Minute)
	second := h.hold("b", "A-2")
	wantCode(t, second, nil)
	if next, want := store.next(), fromMicros(first.GetHold().GetExpiresAtUnixMicro()); !next.Equal(want) {
		t.Fatalf("next expiry %v, want the first hold's %v", next, want)
	}
	wantCode(t, h.ask(&ReleaseCommand{HoldId: first.GetHold().GetId(), UserId: "a"}), nil)
	if next, want := store.next(), fromMicros(second.GetHold().GetExpiresAtUnixMicro()); !next.Equal(want) {
		t.Fatalf("next expiry %v after the first hold's release, want the second's %v", next, want)
	}
	h.clock.Advance(time.Minute)
	h.clock.Advance(time.Minute)
	h.clock.Advance(time.Minute)
	testenv.Eventually(t, 5*time.Second, h.tracer.wantCount(TracePassivation, 1))
	if _, err := h.sys.Root.RequestFuture(h.pid, &StatusQuery{}, 200*time.Millisecond).Result(); err == nil {
		t.Fatal("a passivated section still answers")
	}
	if s := store.seat("A-2"); s.Status != SeatHeld {
		t.Fatalf("A-2 after passivation: %+v; the hold stays until its expiry", s)
	}
}

// TestRetryAfterTimeoutReplaysTheCommittedHold: the caller gives up while the batch is
// still being written; the retry with the same key gets the same hold, not a second one.
func TestRetryAfterTimeoutReplaysTheCommittedHold(t *testing.T) {
	store := reserved(1, 10)
	store.gate = make(chan error)
	h := newHarness(t, store)
	cmd := &HoldCommand{UserId: "a", Seats: []string{"A-5"}, IdempotencyKey: "auto_1", RequestHash: []byte("x")}
	if _, err := h.sys.Root.RequestFuture(h.pid, cmd, 50*time.Millisecond).Result(); err == nil {
		t.Fatal("answered before the batch committed")
	}
	retry := h.future(cmd) // arrives while the first batch is still in flight
	store.gate <- nil      // the first attempt's batch commits; the replay writes nothing
	r := h.wait(retry)
	wantCode(t, r, nil)
	b := store.committed()
	if len(b) != 1 || len(b[0].Holds) != 1 || b[0].Holds[0].ID != r.GetHold().GetId() {
		t.Fatalf("retry did not replay the committed hold: %d batches", len(b))
	}
}

// TestHoldExpiredBeforeActivation: a hold that expired under an earlier activation is not
// loaded (only live holds are), and is still answered HOLD_EXPIRED from the store, not
// HOLD_NOT_ACTIVE; a hold that never existed is NOT_FOUND.
func TestHoldExpiredBeforeActivation(t *testing.T) {
	store := reserved(1, 10)
	past := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	store.holds["h_old"] = Hold{ID: "h_old", EventID: "ev", SectionID: "S", UserID: "a", Seats: []string{"A-1"}, Quantity: 1,
		Status: HoldExpired, ExpiresAt: past, CreatedAt: past.Add(-10 * time.Minute), UpdatedAt: past}
	h := newHarness(t, store)
	wantCode(t, h.askSection(&ConfirmCommand{HoldId: "h_old", UserId: "a", PaymentToken: "tok_ok"}), errNotInSection)
	wantCode(t, h.ask(&ConfirmCommand{HoldId: "h_old", UserId: "a", PaymentToken: "tok_ok"}), ErrHoldExpired)
	wantCode(t, h.ask(&ReleaseCommand{HoldId: "h_old", UserId: "a"}), ErrHoldExpired)
	wantCode(t, h.ask(&ReleaseCommand{HoldId: "h_old", UserId: "b"}), ErrForbidden)
	wantCode(t, h.ask(&ReleaseCommand{HoldId: "h_gone", UserId: "a"}), ErrNotFound)
}

// A section that stops (handed over, passivated, shut down) while a batch is being
// written answers that batch's callers with its real outcome once the write ends, and
// only the decisions that were never written with a retryable error. Answering "retry"
// for a release that did commit would make the retry fail with HOLD_NOT_ACTIVE.
func TestStopWaitsForTheBatchInFlight(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	held := h.hold("alice", "A-1")
	wantCode(t, held, nil)

	store.mu.Lock()
	store.gate = make(chan error)
	store.mu.Unlock()
	release := h.future(&ReleaseCommand{HoldId: held.GetHold().GetId(), UserId: "alice"})
	queued := h.future(&HoldCommand{UserId: "bob", Seats: []string{"A-2"}})
	h.sys.Root.Poison(h.pid)
	// The gate is unbuffered: the release's batch is being written now, and commits
	// after the actor was told to stop.
	store.gate <- nil

	wantCode(t, h.wait(release), nil)
	wantCode(t, h.wait(queued), ErrUnavailable)
	if s := store.seat("A-1"); s.Status != SeatAvailable {
		t.Fatalf("A-1 after the committed release: %+v", s)
	}
	if s := store.seat("A-2"); s.Status != SeatAvailable {
		t.Fatalf("A-2 written by a decision answered with retry: %+v", s)
	}
}

// TestRetriedReleaseCancelExtendReplayTheFirstAnswer: a retry of a release, extend or
// cancel that already took effect (its answer was lost) gets the first answer, not
// HOLD_NOT_ACTIVE or NOT_FOUND; without a key the second attempt is refused as before.
func TestRetriedReleaseCancelExtendReplayTheFirstAnswer(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	held := h.hold("a", "A-1").GetHold().GetId()
	ext := &ExtendCommand{HoldId: held, UserId: "a", IdempotencyKey: "e1"}
	first := h.ask(ext)
	wantCode(t, first, nil)
	if again := h.ask(ext); again.GetHold().GetExpiresAtUnixMicro() != first.GetHold().GetExpiresAtUnixMicro() {
		t.Fatalf("retried extend moved the expiry again: %v then %v", first.GetHold().GetExpiresAtUnixMicro(), again.GetHold().GetExpiresAtUnixMicro())
	}
	rel := &ReleaseCommand{HoldId: held, UserId: "a", IdempotencyKey: "r1"}
	wantCode(t, h.ask(rel), nil)
	if again := h.ask(rel); again.GetHold().GetStatus() != "released" {
		t.Fatalf("retried release answered %v", again)
	}
	wantCode(t, h.ask(&ReleaseCommand{HoldId: held, UserId: "a", IdempotencyKey: "r2"}), ErrHoldNotActive)
	wantCode(t, h.ask(&ReleaseCommand{HoldId: held, UserId: "a"}), ErrHoldNotActive)

	sold := h.hold("a", "A-2").GetHold().GetId()
	o := h.ask(&ConfirmCommand{HoldId: sold, UserId: "a", PaymentToken: "tok_ok"}).GetOrder()
	cancel := &CancelCommand{OrderId: o.GetId(), UserId: "a", IdempotencyKey: "c1"}
	wantCode(t, h.ask(cancel), nil)
	if again := h.ask(cancel); again.GetOrder().GetStatus() != "cancelled" {
		t.Fatalf("retried cancel answered %v", again)
	}
	wantCode(t, h.ask(&CancelCommand{OrderId: o.GetId(), UserId: "a", IdempotencyKey: "c2"}), ErrHoldNotActive)
	wantCode(t, h.ask(&ReleaseCommand{HoldId: held, UserId: "a", IdempotencyKey: "c1"}), ErrIdempotencyConflict)
}

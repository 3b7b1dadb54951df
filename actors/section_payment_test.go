package actors

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// withPayments makes the section pay through a simulated provider taking latency, with a
// ledger the test reads.
func withPayments(latency time.Duration, ledger *PaymentLedger) func(*harness, *SectionConfig) {
	return func(_ *harness, c *SectionConfig) {
		c.Payments = SimulatedPayments{Latency: latency, Ledger: ledger}
	}
}

func confirmCmd(holdID, user, token, key string) *ConfirmCommand {
	return &ConfirmCommand{HoldId: holdID, UserId: user, PaymentToken: token, IdempotencyKey: key,
		RequestHash: ConfirmRequest{HoldID: holdID, PaymentToken: token}.Hash()}
}

// answeredAt waits for f in the background and records when it was answered.
type answeredAt struct {
	done  chan struct{}
	reply *Reply
	err   error
	at    time.Time
}

func background(f *actor.Future) *answeredAt {
	a := &answeredAt{done: make(chan struct{})}
	go func() {
		defer close(a.done)
		res, err := f.Result()
		a.at, a.err = time.Now(), err
		a.reply, _ = res.(*Reply)
	}()
	return a
}

func (a *answeredAt) wait(t *testing.T) *Reply {
	t.Helper()
	<-a.done
	if a.err != nil || a.reply == nil {
		t.Fatalf("no answer: %v", a.err)
	}
	return a.reply
}

func (a *answeredAt) answered() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// TestSlowPaymentDoesNotStallTheSection: a confirm whose payment takes 2 s leaves the
// section deciding for everyone else meanwhile; the confirm is answered when the payment
// came back and its batch committed.
func TestSlowPaymentDoesNotStallTheSection(t *testing.T) {
	ledger := &PaymentLedger{}
	h := newHarness(t, reserved(2, 20), withPayments(2*time.Second, ledger))
	id := h.hold("alice", "A-1", "A-2").GetHold().GetId()

	start := time.Now()
	confirm := background(h.future(confirmCmd(id, "alice", "tok_ok", "c1")))
	var last time.Time
	for i := range 20 {
		wantCode(t, h.hold(fmt.Sprintf("fan%d", i), SeatID("B", i+1)), nil)
		last = time.Now()
	}
	wantCode(t, h.hold("bob", "A-2"), ErrSeatUnavailable) // alice's seats stay hers meanwhile
	if confirm.answered() {
		t.Fatal("the confirm was answered before its payment came back")
	}
	if took := last.Sub(start); took > time.Second {
		t.Fatalf("20 other fans' holds took %v while the payment ran", took)
	}
	o := confirm.wait(t)
	wantCode(t, o, nil)
	if took := confirm.at.Sub(start); took < 2*time.Second {
		t.Fatalf("confirm answered after %v, before the 2 s payment could end", took)
	}
	t.Logf("20 holds answered within %v; the confirm after %v", last.Sub(start).Round(time.Millisecond), confirm.at.Sub(start).Round(time.Millisecond))
	if len(ledger.Charges()) != 1 || ledger.Charges()[0].AmountCents != 2000 {
		t.Fatalf("charges %+v, want one of 2000", ledger.Charges())
	}
}

// TestConfirmRetryJoinsThePaymentInFlight: a retry of a confirm (same idempotency key)
// that arrives while its payment runs waits for the same payment and gets the same order:
// the fan is charged once. The same key with another request is a conflict.
func TestConfirmRetryJoinsThePaymentInFlight(t *testing.T) {
	ledger := &PaymentLedger{}
	store := reserved(1, 10)
	h := newHarness(t, store, withPayments(300*time.Millisecond, ledger))
	id := h.hold("alice", "A-1").GetHold().GetId()
	first := background(h.future(confirmCmd(id, "alice", "tok_ok", "k")))
	retry := background(h.future(confirmCmd(id, "alice", "tok_ok", "k")))
	wantCode(t, h.ask(confirmCmd(id, "alice", "tok_other", "k")), ErrIdempotencyConflict)
	a, b := first.wait(t), retry.wait(t)
	wantCode(t, a, nil)
	wantCode(t, b, nil)
	if a.GetOrder().GetId() != b.GetOrder().GetId() {
		t.Fatalf("two orders %s and %s for one confirm", a.GetOrder().GetId(), b.GetOrder().GetId())
	}
	if n := len(ledger.Charges()); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
	if again := h.ask(confirmCmd(id, "alice", "tok_ok", "k")); again.GetOrder().GetId() != a.GetOrder().GetId() {
		t.Fatalf("a later retry answered %v", again)
	}
}

// TestCommandsOnAPayingHoldWaitForTheOutcome: release, extend and another confirm of a
// hold being paid for are decided once the payment's outcome is known, on what it left.
func TestCommandsOnAPayingHoldWaitForTheOutcome(t *testing.T) {
	ledger := &PaymentLedger{}
	h := newHarness(t, reserved(1, 10), withPayments(300*time.Millisecond, ledger))

	// Approved: the hold is sold; what waited finds it no longer active.
	id := h.hold("alice", "A-1").GetHold().GetId()
	start := time.Now()
	confirm := background(h.future(confirmCmd(id, "alice", "tok_ok", "c1")))
	extend := background(h.future(&ExtendCommand{HoldId: id, UserId: "alice"}))
	release := background(h.future(&ReleaseCommand{HoldId: id, UserId: "alice"}))
	other := background(h.future(confirmCmd(id, "alice", "tok_ok", "c2")))
	wantCode(t, confirm.wait(t), nil)
	for _, a := range []*answeredAt{extend, release, other} {
		wantCode(t, h.resolve(&ReleaseCommand{HoldId: id, UserId: "alice"}, a.wait(t)), ErrHoldNotActive)
		if a.at.Sub(start) < 300*time.Millisecond {
			t.Fatalf("a command on the paying hold was answered after %v, before the payment ended", a.at.Sub(start))
		}
	}

	// Declined: 402, the hold stays held, and the release that waited releases it.
	id = h.hold("bob", "A-2").GetHold().GetId()
	declined := background(h.future(confirmCmd(id, "bob", DeclinedToken, "d1")))
	release = background(h.future(&ReleaseCommand{HoldId: id, UserId: "bob"}))
	wantCode(t, declined.wait(t), ErrPaymentDeclined)
	r := release.wait(t)
	wantCode(t, r, nil)
	if r.GetHold().GetStatus() != string(HoldReleased) {
		t.Fatalf("release after a declined payment = %v", r.GetHold())
	}
	if n := len(ledger.Charges()); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
}

// TestExpiryWaitsForThePayment: a hold whose expiry comes while it is being paid for is
// sold if the payment is approved (it started in time), and expires at once if declined.
func TestExpiryWaitsForThePayment(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store, withPayments(300*time.Millisecond, nil))
	sold := h.hold("alice", "A-1").GetHold().GetId()
	kept := h.hold("bob", "A-2").GetHold().GetId()
	approved := background(h.future(confirmCmd(sold, "alice", "tok_ok", "c1")))
	declined := background(h.future(confirmCmd(kept, "bob", DeclinedToken, "c2")))
	testenv.Eventually(t, 5*time.Second, h.payments(2))
	h.clock.Advance(11 * time.Minute) // both expire while their payments run
	if store.seat("A-1").Status != SeatHeld || store.seat("A-2").Status != SeatHeld {
		t.Fatal("a hold being paid for expired")
	}
	wantCode(t, approved.wait(t), nil)
	wantCode(t, declined.wait(t), ErrPaymentDeclined)
	if s := store.seat("A-1"); s.Status != SeatSold {
		t.Fatalf("A-1 after an approved payment: %+v", s)
	}
	h.clock.Advance(time.Millisecond) // the expiry the payment held back is due now
	testenv.Eventually(t, 5*time.Second, func() error {
		if s := store.seat("A-2"); s.Status != SeatAvailable {
			return fmt.Errorf("A-2 is %s after its hold's expiry", s.Status)
		}
		return nil
	})
	if n := store.holdCount(HoldExpired); n != 1 {
		t.Fatalf("%d expired holds, want bob's", n)
	}
}

// TestFailedConfirmBatchRefundsTheCharge: an approved payment whose confirm batch rolls
// back is refunded, the hold stays held, and a retry pays and confirms.
func TestFailedConfirmBatchRefundsTheCharge(t *testing.T) {
	ledger := &PaymentLedger{}
	store := reserved(1, 10)
	h := newHarness(t, store, withPayments(0, ledger))
	id := h.hold("alice", "A-1").GetHold().GetId()
	store.mu.Lock()
	store.gate = make(chan error)
	store.mu.Unlock()
	confirm := background(h.future(confirmCmd(id, "alice", "tok_ok", "c1")))
	store.gate <- fmt.Errorf("deadlock detected: %w", ErrRolledBack)
	wantCode(t, confirm.wait(t), ErrUnavailable)
	testenv.Eventually(t, 5*time.Second, ledger.want(1, 1))
	if s := store.seat("A-1"); s.Status != SeatHeld {
		t.Fatalf("A-1 after the failed confirm: %+v", s)
	}
	store.mu.Lock()
	store.gate = nil
	store.mu.Unlock()
	wantCode(t, h.ask(confirmCmd(id, "alice", "tok_ok", "c1")), nil)
	if c, r := len(ledger.Charges()), len(ledger.Refunds()); c != 2 || r != 1 {
		t.Fatalf("%d charges and %d refunds, want 2 and 1", c, r)
	}
}

// TestConfirmOfUnknownOutcomeSettlesTheCharge: when the confirm's batch ends with an
// unknown outcome, the charge is kept if the store shows the order committed, and refunded
// if it does not.
func TestConfirmOfUnknownOutcomeSettlesTheCharge(t *testing.T) {
	for _, committed := range []bool{true, false} {
		t.Run(fmt.Sprintf("committed=%v", committed), func(t *testing.T) {
			ledger := &PaymentLedger{}
			logs := &logLines{}
			store := reserved(1, 10)
			h := newHarness(t, store, withPayments(0, ledger), func(_ *harness, c *SectionConfig) { c.Logger = logs.logger() })
			id := h.hold("alice", "A-1").GetHold().GetId()
			unknown := fmt.Errorf("commit: %w", ErrCommitUnknown)
			store.mu.Lock()
			if committed {
				store.afterCommit = unknown
			} else {
				store.failAll = unknown
			}
			store.mu.Unlock()
			wantCode(t, h.askSection(confirmCmd(id, "alice", "tok_ok", "c1")), ErrUnavailable)
			if committed {
				testenv.Eventually(t, 5*time.Second, func() error {
					if !logs.has("its charge stands") {
						return errors.New("the charge was not settled as kept")
					}
					return nil
				})
				if n := len(ledger.Refunds()); n != 0 {
					t.Fatalf("%d refunds of a charge whose order committed", n)
				}
				if store.seat("A-1").Status != SeatSold {
					t.Fatal("the order did not commit")
				}
			} else {
				testenv.Eventually(t, 5*time.Second, ledger.want(1, 1))
			}
		})
	}
}

// TestSectionStopRefundsAPaymentInFlight: a section that stops while a payment runs
// answers "retry" and refunds the charge when the provider approves it.
func TestSectionStopRefundsAPaymentInFlight(t *testing.T) {
	ledger := &PaymentLedger{}
	h := newHarness(t, reserved(1, 10), withPayments(300*time.Millisecond, ledger))
	id := h.hold("alice", "A-1").GetHold().GetId()
	confirm := background(h.future(confirmCmd(id, "alice", "tok_ok", "c1")))
	testenv.Eventually(t, 5*time.Second, h.payments(1))
	h.sys.Root.Poison(h.pid)
	wantCode(t, confirm.wait(t), ErrUnavailable)
	testenv.Eventually(t, 5*time.Second, ledger.want(1, 1))
}

// payments is a check for testenv.Eventually: it passes once n payments are in flight.
func (h *harness) payments(n int) func() error {
	return func() error {
		got := 0
		h.inspect(func(a *sectionActor) { got = len(a.paying) })
		if got != n {
			return fmt.Errorf("%d payments in flight, want %d", got, n)
		}
		return nil
	}
}

// want is a check for testenv.Eventually: it passes once the ledger holds exactly charges
// charges and refunds refunds.
func (l *PaymentLedger) want(charges, refunds int) func() error {
	return func() error {
		if c, r := len(l.Charges()), len(l.Refunds()); c != charges || r != refunds {
			return fmt.Errorf("%d charges and %d refunds, want %d and %d", c, r, charges, refunds)
		}
		return nil
	}
}

// logLines records log lines for a test to look for.
type logLines struct {
	once sync.Once
	obs  *observer.ObservedLogs
	log  *zap.Logger
}

func (l *logLines) logger() *zap.Logger {
	l.once.Do(func() {
		core, obs := observer.New(zap.DebugLevel)
		l.log, l.obs = zap.New(core), obs
	})
	return l.log
}

func (l *logLines) has(fragment string) bool {
	for _, e := range l.obs.All() {
		if strings.Contains(e.Message, fragment) {
			return true
		}
	}
	return false
}

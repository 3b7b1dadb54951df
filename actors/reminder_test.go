package actors

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// clusterOn starts a one-node cluster whose section actors use store, with the store's
// clock as theirs, and returns a Client of it: a section that passivates is activated
// afresh by the next message, as in production.
func clusterOn(t *testing.T, store *fakeStore, tracer Tracer) *Client {
	t.Helper()
	kind, err := NewSectionKind(SectionConfig{Store: store, Payments: SimulatedPayments{}, Logger: zap.NewNop(),
		Clock: store.clock, Tracer: tracer, NodeName: "test", HoldTTL: 10 * time.Minute, PassivateAfter: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	c := protocluster.New(system, protocluster.Configure(fmt.Sprintf("reminder-test-%d", time.Now().UnixNano()),
		test.NewTestProvider(test.NewInMemAgent()), disthash.New(), remote.Configure("127.0.0.1", 0),
		protocluster.WithKinds(kind)))
	c.StartMember()
	client, err := NewClient(c, store, ClientConfig{AttemptTimeout: 3 * time.Second, BaseBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		c.Shutdown(false)
	})
	return client
}

// rounds counts the reminder's rounds: each lists the due sections once.
type countingReminderStore struct {
	*fakeReminderStore
	mu     sync.Mutex
	rounds int
}

func (s *countingReminderStore) DueSections(ctx context.Context, grace time.Duration, limit int) ([]SectionKey, error) {
	s.mu.Lock()
	s.rounds++
	s.mu.Unlock()
	return s.fakeReminderStore.DueSections(ctx, grace, limit)
}

func (s *countingReminderStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rounds
}

// step moves the clock on by one reminder interval until the reminder ran one more
// round (a move can come before the reminder waits again; the next one then wakes it).
func step(t *testing.T, clock *fakeClock, rounds func() int) {
	t.Helper()
	before := rounds()
	testenv.Eventually(t, 5*time.Second, func() error {
		clock.Advance(time.Second)
		if rounds() <= before {
			return fmt.Errorf("the reminder ran no round after round %d", before)
		}
		return nil
	})
}

// runReminder runs r until the test ends.
func runReminder(t *testing.T, r *ExpiryReminder) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

// TestPassivatedSectionWithLiveHoldsIsWokenAtExpiry: a section with a live hold
// passivates once idle (its next expiry is on its row), nothing activates it before the
// hold's time, and the reminder wakes it then: the hold expires with nobody calling.
func TestPassivatedSectionWithLiveHoldsIsWokenAtExpiry(t *testing.T) {
	store := reserved(1, 10)
	clock := newFakeClock()
	store.clock = clock
	tracer := &recordingTracer{}
	client := clusterOn(t, store, tracer)

	h, err := client.Hold(t.Context(), HoldRequest{EventID: "ev", SectionID: "S", UserID: "alice", Seats: []string{"A-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if next := store.next(); !next.Equal(h.ExpiresAt) {
		t.Fatalf("the hold's batch wrote next expiry %v, want the hold's %v", next, h.ExpiresAt)
	}
	for range 3 { // idle ticks every PassivateAfter/2: passivated 2m after the hold
		clock.Advance(time.Minute)
	}
	testenv.Eventually(t, 5*time.Second, tracer.wantCount(TracePassivation, 1))
	if s := store.seat("A-1"); s.Status != SeatHeld {
		t.Fatalf("A-1 after passivation: %+v", s)
	}

	rs := &countingReminderStore{fakeReminderStore: &fakeReminderStore{sections: store, clock: clock, lease: &fakeReminderLease{}}}
	r, err := NewExpiryReminder(ReminderConfig{Store: rs, Sections: client, Member: "member-1", Logger: zap.NewNop(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	runReminder(t, r)
	testenv.Eventually(t, 5*time.Second, func() error {
		if rs.count() == 0 {
			return fmt.Errorf("no round yet")
		}
		return nil
	})
	// Until the expiry plus the grace: nothing wakes the section.
	before := rs.count()
	clock.Advance(h.ExpiresAt.Sub(clock.Now()) - 3*time.Second)
	testenv.Eventually(t, 5*time.Second, func() error {
		if rs.count() == before {
			return fmt.Errorf("no round after the clock moved")
		}
		return nil
	})
	step(t, clock, rs.count) // at most two seconds on: still before the expiry
	if n := store.activationCount(); n != 1 || r.woken.Load() != 0 {
		t.Fatalf("%d activations and %d wakes before the hold's time, want 1 and 0", n, r.woken.Load())
	}
	for range 3 {
		step(t, clock, rs.count)
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		if s := store.seat("A-1"); s.Status != SeatAvailable {
			return fmt.Errorf("A-1 is %q, want available once the reminder woke the section", s.Status)
		}
		return nil
	})
	if got, err := store.GetHold(t.Context(), h.ID); err != nil || got.Status != HoldExpired {
		t.Fatalf("hold after the wake: %+v, %v; want expired", got, err)
	}
	if n := store.activationCount(); n != 2 {
		t.Fatalf("%d activations, want 2 (the hold, then the wake)", n)
	}
	if next := store.next(); !next.IsZero() {
		t.Fatalf("next expiry %v after the last hold expired, want none", next)
	}
}

// fakeWaker records the sections it was asked to wake.
type fakeWaker struct {
	mu    sync.Mutex
	woken []SectionKey
}

func (w *fakeWaker) Wake(_ context.Context, key SectionKey) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.woken = append(w.woken, key)
	return nil
}

func (w *fakeWaker) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.woken)
}

// TestReminderSurvivesTheLossOfItsMember: the member running the reminder dies without
// giving its lease up. Another member takes the lease over at once when its view says the
// holder is no longer alive, and once the lease ran out when it cannot tell; then it
// wakes the sections that are due.
func TestReminderSurvivesTheLossOfItsMember(t *testing.T) {
	for _, tc := range []struct {
		name    string
		knowsIt bool // the survivor's membership view says the holder is gone
	}{{"holder known dead", true}, {"holder's fate unknown", false}} {
		t.Run(tc.name, func(t *testing.T) {
			store := reserved(1, 10)
			clock := newFakeClock()
			store.clock = clock
			lease := &fakeReminderLease{}
			storeA := &countingReminderStore{fakeReminderStore: &fakeReminderStore{sections: store, clock: clock, lease: lease}}
			storeB := &countingReminderStore{fakeReminderStore: &fakeReminderStore{sections: store, clock: clock, lease: lease}}
			wakerA, wakerB := &fakeWaker{}, &fakeWaker{}
			members := &fakeMembership{}
			cfg := ReminderConfig{Logger: zap.NewNop(), Clock: clock, LeaseTTL: 5 * time.Second}
			a, b := cfg, cfg
			a.Store, a.Sections, a.Member = storeA, wakerA, "member-a"
			b.Store, b.Sections, b.Member = storeB, wakerB, "member-b"
			if tc.knowsIt {
				b.Membership = members
			}
			ra, err := NewExpiryReminder(a)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := NewExpiryReminder(b)
			if err != nil {
				t.Fatal(err)
			}
			stopA := runReminder(t, ra)
			testenv.Eventually(t, 5*time.Second, func() error {
				if h := lease.current(); h != "member-a" {
					return fmt.Errorf("lease holder %q, want member-a", h)
				}
				return nil
			})
			runReminder(t, rb)
			rounds := func() int { return storeB.count() + storeA.count() }
			step(t, clock, rounds)
			if h := lease.current(); h != "member-a" {
				t.Fatalf("lease holder %q while member-a lives, want member-a", h)
			}

			// member-a dies: its store calls fail, so it cannot give the lease up.
			storeA.crash()
			stopA()
			members.kill("member-a")
			store.mu.Lock()
			store.nextExpiry = clock.Now().Add(-time.Minute)
			store.mu.Unlock()
			lost := clock.Now()
			lease.mu.Lock()
			runsOut := lease.expires
			lease.mu.Unlock()
			testenv.Eventually(t, 5*time.Second, func() error {
				clock.Advance(time.Second)
				if wakerB.count() == 0 {
					return fmt.Errorf("member-b woke nothing %v after member-a was lost (lease holder %q)", clock.Now().Sub(lost), lease.current())
				}
				return nil
			})
			took := clock.Now().Sub(lost)
			switch {
			case tc.knowsIt && took > 2*time.Second:
				t.Fatalf("member-b took over %v after the loss; want at once (its view says member-a is dead)", took)
			case !tc.knowsIt && clock.Now().Before(runsOut):
				t.Fatalf("member-b took over %v after the loss, before member-a's lease ran out (%v after)", took, runsOut.Sub(lost))
			}
			if h := lease.current(); h != "member-b" {
				t.Fatalf("lease holder %q, want member-b", h)
			}
			t.Logf("member-b woke the due section %v (simulated) after member-a was lost", took)
		})
	}
}

// TestWakeOfARunningSectionExpiresWhatIsDue: a wake reaches a running section whose
// expiry is due (its timer has not fired): it expires the hold and answers once that is
// written; a wake with nothing due is answered at once and writes nothing.
func TestWakeOfARunningSectionExpiresWhatIsDue(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store)
	wantCode(t, h.hold("a", "A-1"), nil)
	batches := len(store.committed())
	wantCode(t, h.askSection(&WakeCommand{}), nil)
	if n := len(store.committed()); n != batches {
		t.Fatalf("a wake with nothing due wrote %d batches", n-batches)
	}
	h.inspect(func(a *sectionActor) { a.expiryTimer.Stop() }) // the timer is late: only the wake expires the hold
	h.clock.Advance(11 * time.Minute)
	if s := store.seat("A-1"); s.Status != SeatHeld {
		t.Fatalf("A-1 expired without its timer: %+v", s)
	}
	wantCode(t, h.askSection(&WakeCommand{}), nil)
	if s := store.seat("A-1"); s.Status != SeatAvailable {
		t.Fatalf("A-1 after the wake: %+v", s)
	}
	if next := store.next(); !next.IsZero() {
		t.Fatalf("next expiry %v after the wake, want none", next)
	}
}

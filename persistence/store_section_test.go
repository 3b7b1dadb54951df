package persistence

import (
	"context"
	"errors"
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

	"github.com/ticketblitz/ticketblitz/actors"
)

// The section actor and its Client on this store, in one single-node cluster: the tests
// below follow a command from the Client through the actor to PostgreSQL and back.

// sectionClient starts a one-node cluster whose section actors use store, and returns a
// Client routing with s; opts adjust the sections' config.
func sectionClient(t *testing.T, s *Store, store actors.Store, opts ...func(*actors.SectionConfig)) *actors.Client {
	t.Helper()
	return sectionClientWith(t, s, store, actors.ClientConfig{AttemptTimeout: 3 * time.Second, BaseBackoff: 10 * time.Millisecond}, opts...)
}

// sectionClientWith is sectionClient with the Client's config ccfg.
func sectionClientWith(t *testing.T, s *Store, store actors.Store, ccfg actors.ClientConfig, opts ...func(*actors.SectionConfig)) *actors.Client {
	t.Helper()
	c := sectionCluster(t, store, opts...)
	client, err := actors.NewClient(c, s, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return client
}

// sectionCluster starts a one-node cluster whose section actors use store; opts adjust
// the sections' config.
func sectionCluster(t *testing.T, store actors.Store, opts ...func(*actors.SectionConfig)) *protocluster.Cluster {
	t.Helper()
	cfg := actors.SectionConfig{Store: store, Payments: actors.SimulatedPayments{},
		Logger: zap.NewNop(), NodeName: "store-test", CommitTimeout: 2 * time.Second}
	for _, opt := range opts {
		opt(&cfg)
	}
	kind, err := actors.NewSectionKind(cfg)
	if err != nil {
		t.Fatal(err)
	}
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	c := protocluster.New(system, protocluster.Configure(fmt.Sprintf("store-test-%d", time.Now().UnixNano()),
		test.NewTestProvider(test.NewInMemAgent()), disthash.New(), remote.Configure("127.0.0.1", 0),
		protocluster.WithKinds(kind)))
	c.StartMember()
	t.Cleanup(func() { c.Shutdown(false) })
	return c
}

// lostCommitAnswers is the store with a network that loses the answer to COMMIT: the
// first batch that writes a hold of user in status lose commits, and then its caller
// hears a timeout.
type lostCommitAnswers struct {
	*Store
	user string
	lose actors.HoldStatus
	mu   sync.Mutex
	lost int
}

func (s *lostCommitAnswers) Commit(ctx context.Context, b *actors.Batch) error {
	if err := s.Store.Commit(ctx, b); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range b.Holds {
		if h.UserID == s.user && h.Status == s.lose && s.lost == 0 {
			s.lost++
			return fmt.Errorf("commit batch: %w: read tcp: i/o timeout", actors.ErrCommitUnknown)
		}
	}
	return nil
}

// TestClientRetryAfterLostCommitAnswerGetsTheCommittedAnswer: a batch commits but the
// answer to its COMMIT is lost. The section stops rather than decide on memory that may
// be stale, and the next activation loads the truth. The Client's retry, with the same
// idempotency key, finds the committed answer: the fan gets the hold that committed, never
// a second one, whether the key was the fan's or the Client's own; a release that
// committed is answered as done. Other fans are then decided on what committed: the
// released seats are theirs to hold, not "taken" by a hold that memory alone remembers.
func TestClientRetryAfterLostCommitAnswerGetsTheCommittedAnswer(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	hold := func(t *testing.T, client *actors.Client, user, key string, seats ...string) actors.Hold {
		t.Helper()
		h, err := client.Hold(storeCtx(t), actors.HoldRequest{EventID: ev.ID, SectionID: "A", UserID: user, Seats: seats, IdempotencyKey: key})
		if err != nil {
			t.Fatalf("hold %v for %s: %v", seats, user, err)
		}
		return h
	}
	for i, key := range []string{"fan-key", ""} {
		t.Run(fmt.Sprintf("hold, key=%q", key), func(t *testing.T) {
			user := fmt.Sprintf("%s-lost-hold-%d", ev.ID, i)
			store := &lostCommitAnswers{Store: s, user: user, lose: actors.HoldHeld}
			client := sectionClient(t, s, store)
			seat := fmt.Sprintf("B-%d", i+1)
			h := hold(t, client, user, key, seat)
			if store.lost != 1 {
				t.Fatalf("the commit answer was lost %d times, want once", store.lost)
			}
			got, err := s.GetHold(storeCtx(t), h.ID)
			if err != nil || got.UserID != user || got.Status != actors.HoldHeld {
				t.Fatalf("the hold answered is not the committed one: %+v, %v", got, err)
			}
			if n := storeCount(t, pool, `SELECT count(*) FROM holds WHERE user_id = $1`, user); n != 1 {
				t.Fatalf("%d holds for one request, want 1", n)
			}
			if _, err := client.Release(storeCtx(t), h.ID, user); err != nil {
				t.Fatalf("release: %v", err)
			}
		})
	}
	t.Run("release", func(t *testing.T) {
		user := ev.ID + "-lost-release"
		store := &lostCommitAnswers{Store: s, user: user, lose: actors.HoldReleased}
		client := sectionClient(t, s, store)
		h := hold(t, client, user, "", "A-3", "A-4")
		released, err := client.Release(storeCtx(t), h.ID, user)
		if err != nil || released.Status != actors.HoldReleased {
			t.Fatalf("release whose commit answer was lost: %+v, %v", released, err)
		}
		if store.lost != 1 {
			t.Fatalf("the commit answer was lost %d times, want once", store.lost)
		}
		hold(t, client, ev.ID+"-next", "", "A-3", "A-4")
	})
}

// TestClientAnswersFinishedHoldsAndOrdersFromTheStore: the section loads no history, yet
// a command about a finished hold or order gets the answer it always got: HOLD_EXPIRED
// for an expired hold, HOLD_NOT_ACTIVE for a released or confirmed one or a cancelled
// order, FORBIDDEN for someone else's, NOT_FOUND for one that never existed. Live ones are
// decided as usual.
func TestClientAnswersFinishedHoldsAndOrdersFromTheStore(t *testing.T) {
	s, pool := storeNew(t)
	key := historyFixture(t, s, pool, 100)
	client := sectionClient(t, s, s)
	ctx := storeCtx(t)
	id := func(kind string, g int) string { return fmt.Sprintf("%s/%s%d", key.EventID, kind, g) }
	owner := func(g int) string { return fmt.Sprintf("u%d", g%5000) }
	// History (see historyFixture): hold g is confirmed when g%10 == 0 (its order cancelled),
	// else expired when g is even, else released.
	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"release an expired hold", func() error { _, err := client.Release(ctx, id("hh", 2), owner(2)); return err }, actors.ErrHoldExpired},
		{"confirm an expired hold", func() error {
			_, err := client.Confirm(ctx, actors.ConfirmRequest{HoldID: id("hh", 4), UserID: owner(4), PaymentToken: "tok_ok"})
			return err
		}, actors.ErrHoldExpired},
		{"extend a released hold", func() error { _, err := client.Extend(ctx, id("hh", 1), owner(1)); return err }, actors.ErrHoldNotActive},
		{"release a confirmed hold", func() error { _, err := client.Release(ctx, id("hh", 10), owner(10)); return err }, actors.ErrHoldNotActive},
		{"release someone else's", func() error { _, err := client.Release(ctx, id("hh", 3), "intruder"); return err }, actors.ErrForbidden},
		{"release a hold that never was", func() error { _, err := client.Release(ctx, id("hh", 0), owner(0)); return err }, actors.ErrNotFound},
		{"cancel a cancelled order", func() error { _, err := client.Cancel(ctx, id("ho", 20), owner(20), false); return err }, actors.ErrHoldNotActive},
		{"cancel someone else's", func() error { _, err := client.Cancel(ctx, id("ho", 20), "intruder", false); return err }, actors.ErrForbidden},
		{"admin cancels a cancelled order", func() error { _, err := client.Cancel(ctx, id("ho", 30), "root", true); return err }, actors.ErrHoldNotActive},
		{"cancel an order that never was", func() error { _, err := client.Cancel(ctx, id("ho", 1), owner(1), false); return err }, actors.ErrNotFound},
		{"release a live hold", func() error { _, err := client.Release(ctx, id("lh", 0), "live0"); return err }, nil},
		{"cancel a live order", func() error { _, err := client.Cancel(ctx, id("so", 0), "fan0", false); return err }, nil},
	} {
		if err := tc.call(); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// The live hold's release and the cancel freed their seats.
	if got := storeSeat(t, pool, key, "A-1"); got != "available//" {
		t.Errorf("seat A-1 after releasing live hold 0: %s", got)
	}
	if got := storeSeat(t, pool, key, "C-1"); got != "available//" {
		t.Errorf("seat C-1 after cancelling live order 0: %s", got)
	}
}

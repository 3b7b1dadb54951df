package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"go.uber.org/zap"
)

// clusterWith starts a one-node cluster whose section actors run with cfg on the system
// clock (deadlines are wall time), and returns a Client of it routing with dir.
func clusterWith(t testing.TB, cfg SectionConfig, dir Directory, ccfg ClientConfig) *Client {
	t.Helper()
	if cfg.Payments == nil {
		cfg.Payments = SimulatedPayments{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	kind, err := NewSectionKind(cfg)
	if err != nil {
		t.Fatal(err)
	}
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	c := protocluster.New(system, protocluster.Configure(fmt.Sprintf("deadline-test-%d", time.Now().UnixNano()),
		test.NewTestProvider(test.NewInMemAgent()), disthash.New(), remote.Configure("127.0.0.1", 0),
		protocluster.WithKinds(kind)))
	c.StartMember()
	client, err := NewClient(c, dir, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		c.Shutdown(false)
	})
	return client
}

// lookups is the fake store as the Client's directory, telling on looked each
// idempotency lookup: the Client makes one before every retry and before it asks a
// section for the fate of a command.
type lookups struct {
	*fakeStore
	looked chan struct{}
}

func (l lookups) Idempotent(ctx context.Context, userID, key string) (IdempotencyRecord, bool, error) {
	select {
	case l.looked <- struct{}{}:
	default:
	}
	return l.fakeStore.Idempotent(ctx, userID, key)
}

// TestClientWaitsForTheOutcomeOfACommandDecidedInTime: the hold is decided in time, but
// its batch commits after the Client's only attempt timed out. The Client does not answer
// 503 for a hold that is about to exist: it asks the section for the command's fate and
// returns the hold, the only one in the store.
func TestClientWaitsForTheOutcomeOfACommandDecidedInTime(t *testing.T) {
	store := reserved(1, 10)
	store.gate = make(chan error)
	dir := lookups{fakeStore: store, looked: make(chan struct{}, 1)}
	client := clusterWith(t, SectionConfig{Store: store}, dir,
		ClientConfig{AttemptTimeout: 300 * time.Millisecond, Attempts: 1, AnswerGrace: 10 * time.Second})
	type result struct {
		h   Hold
		err error
	}
	done := make(chan result, 1)
	go func() {
		h, err := client.Hold(context.Background(), HoldRequest{EventID: "ev", SectionID: "S", UserID: "fan", Seats: []string{"A-1"}})
		done <- result{h, err}
	}()
	select {
	case <-dir.looked: // the attempt timed out with the batch held: the Client asks for the fate
	case <-time.After(10 * time.Second):
		t.Fatal("the Client never asked for the fate of its unanswered attempt")
	}
	store.gate <- nil
	r := <-done
	if r.err != nil {
		t.Fatalf("a hold decided in time was answered %v", r.err)
	}
	if n := store.holdCount(HoldHeld); n != 1 || r.h.Status != HoldHeld {
		t.Fatalf("%d holds in the store, answer %+v", n, r.h)
	}
}

// TestClientUnavailableMeansNothingWasDecided: the section cannot read its mailbox (a slow
// store at activation) until the hold's deadline has passed. The Client answers 503, and
// only once the section dropped every copy of the command: the store never gets the hold.
func TestClientUnavailableMeansNothingWasDecided(t *testing.T) {
	store := reserved(1, 10)
	store.activateGate = make(chan struct{})
	dir := lookups{fakeStore: store, looked: make(chan struct{}, 1)}
	client := clusterWith(t, SectionConfig{Store: store, CommitTimeout: 20 * time.Second}, dir,
		ClientConfig{AttemptTimeout: 200 * time.Millisecond, Attempts: 2, BaseBackoff: time.Millisecond, AnswerGrace: 10 * time.Second})
	done := make(chan error, 1)
	go func() {
		_, err := client.Hold(context.Background(), HoldRequest{EventID: "ev", SectionID: "S", UserID: "fan", Seats: []string{"A-1"}})
		done <- err
	}()
	for range 2 { // the lookup before the retry, then the one before asking for the fate
		select {
		case <-dir.looked:
		case <-time.After(10 * time.Second):
			t.Fatal("the Client did not retry and ask for the command's fate")
		}
	}
	close(store.activateGate)
	err := <-done
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want UNAVAILABLE", err)
	}
	// Whatever still reaches the section now is decided after the copies the 503 waited for.
	if _, err := client.Hold(context.Background(), HoldRequest{EventID: "ev", SectionID: "S", UserID: "other", Seats: []string{"A-2"}}); err != nil {
		t.Fatalf("a later hold: %v", err)
	}
	if s := store.seat("A-1"); s.Status != SeatAvailable {
		t.Fatalf("a hold answered 503 took A-1: %+v", s)
	}
	if n := store.holdCount(HoldHeld); n != 1 {
		t.Fatalf("%d holds in the store, want only the later one", n)
	}
}

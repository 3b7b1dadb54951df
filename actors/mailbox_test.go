package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// stuckInActivation makes store's next activation wait until the returned release is
// called, and returns once the activation began: from then on the section reads nothing
// from its mailbox.
func stuckInActivation(t *testing.T, store *fakeStore, begin func()) (release func()) {
	t.Helper()
	store.activateGate, store.activating = make(chan struct{}), make(chan struct{}, 1)
	begin()
	select {
	case <-store.activating:
	case <-time.After(10 * time.Second):
		t.Fatal("the section never began to activate")
	}
	return func() { close(store.activateGate) }
}

// TestFullMailboxRefusesCommandsAtOnceAndNeverDecidesThem: the section is stuck in a slow
// activation while twenty fans send holds at once into a mailbox of five. Exactly fifteen
// are answered OVERLOADED, while the section is still stuck; once it runs, the five
// others are decided and only their holds exist. A command already past its deadline is
// queued even into the full mailbox.
func TestFullMailboxRefusesCommandsAtOnceAndNeverDecidesThem(t *testing.T) {
	const limit, fans = 5, 20
	var m *Metrics
	store := reserved(1, fans)
	var h *harness
	release := stuckInActivation(t, store, func() {
		h = newHarness(t, store, withMetrics(&m), func(_ *harness, c *SectionConfig) { c.MailboxLimit = limit })
	})
	type answer struct {
		fan int
		r   *Reply
	}
	answers := make(chan answer, fans)
	var wg sync.WaitGroup
	for i := range fans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := h.future(&HoldCommand{UserId: fmt.Sprintf("fan%d", i), Seats: []string{SeatID("A", i+1)}})
			answers <- answer{i, h.wait(f)}
		}()
	}
	// Only refusals can come while the section is stuck.
	refused := map[int]bool{}
	for range fans - limit {
		a := <-answers
		wantCode(t, a.r, errOverloaded)
		refused[a.fan] = true
	}
	// A command past its deadline can decide nothing: it is queued all the same, and
	// answered once the section reaches it.
	past := h.future(&HoldCommand{UserId: "late", Seats: []string{"A-1"}, DeadlineUnixMicro: h.clock.Now().Add(-time.Second).UnixMicro()})
	release()
	wantCode(t, h.wait(past), errExpired)
	wg.Wait()
	close(answers)
	for a := range answers {
		wantCode(t, a.r, nil)
		if refused[a.fan] {
			t.Fatalf("fan%d answered twice", a.fan)
		}
	}
	for i := range fans {
		if s := store.seat(SeatID("A", i+1)); refused[i] && s.Status != SeatAvailable {
			t.Fatalf("the refused hold of fan%d took its seat: %+v", i, s)
		}
	}
	if n := store.holdCount(HoldHeld); n != limit {
		t.Fatalf("%d holds in the store, want the %d queued ones", n, limit)
	}
	if got := testutil.ToFloat64(m.refusals.WithLabelValues(RefusedOverloaded)); got != fans-limit {
		t.Fatalf("overloaded refusals counted %v, want %d", got, fans-limit)
	}
	h.inspect(func(a *sectionActor) {
		if d := a.depth.value(); d != 0 {
			t.Errorf("mailbox depth %d once everything was handled", d)
		}
	})
}

// TestClientAnswersAFullMailboxAtOnce: of two holds sent together into a stuck section
// whose mailbox holds one message, one is answered 503 at once, while the section is
// still stuck, and is never decided; the other is decided once the section runs.
func TestClientAnswersAFullMailboxAtOnce(t *testing.T) {
	store := reserved(1, 10)
	client := clusterWith(t, SectionConfig{Store: store, MailboxLimit: 1}, store, ClientConfig{})
	ctx := context.Background()
	type result struct {
		user string
		err  error
	}
	results := make(chan result, 2)
	release := stuckInActivation(t, store, func() {
		for i, seat := range []string{"A-1", "A-2"} {
			user := fmt.Sprintf("fan%d", i)
			go func() {
				_, err := client.Hold(ctx, HoldRequest{EventID: "ev", SectionID: "S", UserID: user, Seats: []string{seat}})
				results <- result{user, err}
			}()
		}
	})
	first := <-results
	if !errors.Is(first.err, ErrUnavailable) {
		t.Fatalf("the first answer while the section is stuck: %v, want UNAVAILABLE", first.err)
	}
	release()
	second := <-results
	if second.err != nil {
		t.Fatalf("the queued hold: %v", second.err)
	}
	if got := onlyHold(t, store); got.UserID != second.user {
		t.Fatalf("the hold in the store is %s's, who was told 503", got.UserID)
	}
}

// onlyHold returns the store's one hold.
func onlyHold(t *testing.T, s *fakeStore) Hold {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.holds) != 1 {
		t.Fatalf("%d holds in the store, want 1", len(s.holds))
	}
	for _, h := range s.holds {
		return h
	}
	return Hold{}
}

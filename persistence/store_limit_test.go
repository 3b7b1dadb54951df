package persistence

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// limitEvent creates an event of two general-admission sections, "a" and "b", of
// capacity seats each, with the default limit of 8 tickets per user.
func limitEvent(t *testing.T, s *Store, capacity int) actors.Event {
	t.Helper()
	ev, err := s.CreateEvent(storeCtx(t), actors.Event{
		ID: storeEventID(t), Name: "Limit", Venue: "Hall", Currency: "EUR",
		StartsAt: time.Date(2031, 6, 1, 19, 0, 0, 0, time.UTC),
		Sections: []actors.Section{
			{ID: "a", Name: "A", Kind: actors.KindGeneralAdmission, PriceCents: 1000, Capacity: capacity},
			{ID: "b", Name: "B", Kind: actors.KindGeneralAdmission, PriceCents: 1000, Capacity: capacity},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// userTickets reads a user's count for the event (0 without a row).
func userTickets(t *testing.T, s *Store, eventID, user string) int {
	t.Helper()
	var n int
	err := s.pool.QueryRow(storeCtx(t), `SELECT coalesce(max(tickets), 0) FROM user_tickets WHERE event_id = $1 AND user_id = $2`,
		eventID, user).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStoreHoldsTheLimitAcrossSections: a batch's user ticket changes move the users'
// counts for the whole event; one that would take a user past the limit is refused with
// a LimitError naming the user and the committed count, and writes nothing; giving
// tickets back is never refused.
func TestStoreHoldsTheLimitAcrossSections(t *testing.T) {
	s, pool := storeNew(t)
	ev := limitEvent(t, s, 100)
	a, b := actors.SectionKey{EventID: ev.ID, SectionID: "a"}, actors.SectionKey{EventID: ev.ID, SectionID: "b"}
	snapA, snapB := storeActivate(t, s, a), storeActivate(t, s, b)
	if snapA.EventSections != 2 {
		t.Fatalf("activation says the event has %d sections, want 2", snapA.EventSections)
	}
	commit := func(snap *actors.Snapshot, changes ...actors.UserTicketChange) error {
		t.Helper()
		batch := &actors.Batch{Key: snap.Key, Epoch: snap.Epoch, Version: snap.Version, UserTickets: changes, MaxTicketsPerUser: 8}
		err := s.Commit(storeCtx(t), batch)
		if err == nil {
			snap.Version++
		}
		return err
	}
	if err := commit(snapA, actors.UserTicketChange{UserID: "u1", Delta: 6}, actors.UserTicketChange{UserID: "u2", Delta: 8}); err != nil {
		t.Fatal(err)
	}
	err := commit(snapB, actors.UserTicketChange{UserID: "u1", Delta: 3}, actors.UserTicketChange{UserID: "u2", Delta: -1},
		actors.UserTicketChange{UserID: "u3", Delta: 8})
	var over *actors.LimitError
	if !errors.As(err, &over) || !errors.Is(err, actors.ErrRolledBack) || fmt.Sprint(over.Totals) != "map[u1:6]" {
		t.Fatalf("batch taking u1 to 9 of 8: %v; want a LimitError naming u1 with 6", err)
	}
	if v := storeVersion(t, pool, b); v != snapB.Version {
		t.Fatalf("the refused batch wrote section b's version %d", v)
	}
	for user, want := range map[string]int{"u1": 6, "u2": 8, "u3": 0} {
		if got := userTickets(t, s, ev.ID, user); got != want {
			t.Fatalf("%s has %d after a refused batch, want %d", user, got, want)
		}
	}
	if err := commit(snapB, actors.UserTicketChange{UserID: "u1", Delta: 2}, actors.UserTicketChange{UserID: "u2", Delta: -3}); err != nil {
		t.Fatal(err)
	}
	// A count the store never saw (a row older than the counts) gives back to zero, no lower.
	if err := commit(snapA, actors.UserTicketChange{UserID: "u4", Delta: -2}); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]int{"u1": 8, "u2": 5, "u4": 0} {
		if got := userTickets(t, s, ev.ID, user); got != want {
			t.Fatalf("%s has %d, want %d", user, got, want)
		}
	}
}

// TestLimitIsExactAcrossSectionsUnderConcurrency: 100 fans each send two 8-ticket holds
// at once, one to each of two sections, through the Client, with a limit of 8. Both
// sections count what the fan has elsewhere before the other's hold committed; the store's
// per-user count refuses the second commit, and its section decides that hold again:
// every fan ends with exactly 8 tickets, every refusal is LIMIT_EXCEEDED, nothing fails.
func TestLimitIsExactAcrossSectionsUnderConcurrency(t *testing.T) {
	s, pool := storeNew(t)
	ev := limitEvent(t, s, 1000)
	batches := &batchOutcomes{}
	client := sectionClient(t, s, s, func(c *actors.SectionConfig) { c.Tracer = batches })
	const fans = 100
	type result struct {
		granted int
		refused []error
	}
	results := make([]result, fans)
	var resultsMu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for f := range fans {
		for _, section := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := client.Hold(storeCtx(t), actors.HoldRequest{EventID: ev.ID, SectionID: section,
					UserID: fmt.Sprintf("fan-%03d", f), Quantity: 8})
				resultsMu.Lock()
				defer resultsMu.Unlock()
				if err == nil {
					results[f].granted++
				} else {
					results[f].refused = append(results[f].refused, err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	for f, r := range results {
		user := fmt.Sprintf("fan-%03d", f)
		if r.granted != 1 {
			t.Errorf("%s was granted %d of its two 8-ticket holds, want 1 (refusals %v)", user, r.granted, r.refused)
		}
		for _, err := range r.refused {
			if !errors.Is(err, actors.ErrLimitExceeded) {
				t.Errorf("%s refused with %v, want LIMIT_EXCEEDED", user, err)
			}
		}
		held := storeCount(t, pool, `SELECT coalesce(sum(quantity), 0) FROM holds WHERE event_id = $1 AND user_id = $2 AND status = 'held'`, ev.ID, user)
		if held != 8 || userTickets(t, s, ev.ID, user) != held {
			t.Errorf("%s holds %d tickets, counted %d; want 8 and 8", user, held, userTickets(t, s, ev.ID, user))
		}
	}
	t.Logf("%d fans, none above the limit; %d batches committed, %d refused by the store's count and decided again",
		fans, batches.count("commit"), batches.count("rollback"))
}

// batchOutcomes counts batch traces by outcome.
type batchOutcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (b *batchOutcomes) Trace(tr actors.Trace) {
	if tr.Type != actors.TraceBatch {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == nil {
		b.n = map[string]int{}
	}
	b.n[tr.Outcome]++
}

func (b *batchOutcomes) count(outcome string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n[outcome]
}

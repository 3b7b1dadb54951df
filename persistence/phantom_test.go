package persistence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// unevenCommits is the store with batch writes that are now fast, now slower than the
// callers' deadlines: every other one takes slow, the others fast. A section that trusts
// its last commit decides commands whose batch then commits after their deadline.
type unevenCommits struct {
	*Store
	fast, slow time.Duration
	n          atomic.Int64
}

func (s *unevenCommits) Commit(ctx context.Context, b *actors.Batch) error {
	delay := s.fast
	if s.n.Add(1)%2 == 0 {
		delay = s.slow
	}
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return fmt.Errorf("slow commit: %w: %w", actors.ErrRolledBack, ctx.Err())
	}
	return s.Store.Commit(ctx, b)
}

// rowsOf returns n rows of seats each, labelled from A.
func rowsOf(n, seats int) []actors.RowSpec {
	rows := make([]actors.RowSpec, n)
	for i := range rows {
		rows[i] = actors.RowSpec{Label: string(rune('A' + i)), Seats: seats}
	}
	return rows
}

// holdAttempt is one hold request of a fan and what the fan was told.
type holdAttempt struct {
	user, key string
	hold      actors.Hold
	err       error
}

// TestNoPhantomHolds provokes the phantom hold: a fan told 503 whose request is decided
// anyway, later, from a queue. Sixty fans hold one seat each at once through a section
// whose mailbox holds eight messages and whose commits are uneven (some slower than the
// fans' deadlines), with attempts of 150 ms inside requests of 400 ms; a fan told 503
// retries with a fresh idempotency key, as a fan does, up to ten times. Afterwards:
// every hold answered 201 is in the store, held, as answered; every request answered 503
// left nothing (no idempotency record, no hold); the store has no hold nobody was told
// about; and each fan's GET /api/v1/me/holds list is exactly the hold the fan was given.
func TestNoPhantomHolds(t *testing.T) {
	s, pool := storeNew(t)
	ctx := storeCtx(t)
	ev, err := s.CreateEvent(ctx, actors.Event{
		ID: storeEventID(t), Name: "Phantoms", Venue: "Hall", Currency: "EUR", MaxTicketsPerUser: 8,
		StartsAt: time.Date(2031, 5, 1, 19, 0, 0, 0, time.UTC),
		Sections: []actors.Section{{ID: "hot", Name: "Hot", Kind: actors.KindReserved, PriceCents: 5000,
			Rows: rowsOf(13, 50)}}, // more seats than requests: phantoms could not sell it out
	})
	if err != nil {
		t.Fatal(err)
	}
	store := &unevenCommits{Store: s, fast: 5 * time.Millisecond, slow: 600 * time.Millisecond}
	client := sectionClientWith(t, s, store, actors.ClientConfig{
		AttemptTimeout: 150 * time.Millisecond, Attempts: 3, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
		AnswerGrace: 5 * time.Second,
	}, func(c *actors.SectionConfig) { c.MailboxLimit = 8 })

	const fans, tries = 60, 10
	var mu sync.Mutex
	var attempts []holdAttempt
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range fans {
		user := fmt.Sprintf("%s-fan%d", ev.ID, i)
		wg.Go(func() {
			<-start
			for try := range tries {
				a := holdAttempt{user: user, key: fmt.Sprintf("try-%d", try)}
				rctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
				a.hold, a.err = client.Hold(rctx, actors.HoldRequest{EventID: ev.ID, SectionID: "hot", UserID: user, Quantity: 1, IdempotencyKey: a.key})
				cancel()
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				if !errors.Is(a.err, actors.ErrUnavailable) {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	// A last hold is answered after every batch decided before it has ended: whatever
	// the fans' requests decided is in the store now.
	// (It is asked again while the section refuses it for a batch being written.)
	testenv.Eventually(t, 20*time.Second, func() error {
		_, err := client.Hold(ctx, actors.HoldRequest{EventID: ev.ID, SectionID: "hot", UserID: ev.ID + "-last", Quantity: 1, IdempotencyKey: "last"})
		return err
	})

	granted := map[string]actors.Hold{} // by user
	unavailable := 0
	for _, a := range attempts {
		switch {
		case a.err == nil:
			if prev, ok := granted[a.user]; ok {
				t.Fatalf("%s was given two holds: %s and %s", a.user, prev.ID, a.hold.ID)
			}
			granted[a.user] = a.hold
			stored, err := s.GetHold(ctx, a.hold.ID)
			if err != nil || stored.UserID != a.user || stored.Status != actors.HoldHeld || len(stored.Seats) != 1 || stored.Seats[0] != a.hold.Seats[0] {
				t.Fatalf("%s was answered 201 with %+v; the store has %+v, %v", a.user, a.hold, stored, err)
			}
		case errors.Is(a.err, actors.ErrUnavailable):
			unavailable++
			rec, ok, err := s.Idempotent(ctx, a.user, a.key)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				rep, _ := actors.DecodeReply(rec.Response)
				t.Fatalf("%s was answered 503 (%v), yet the request %s was decided: hold %s", a.user, a.err, a.key, rep.GetHold().GetId())
			}
		default:
			t.Fatalf("%s: %v", a.user, a.err)
		}
	}
	if len(granted) == 0 || unavailable == 0 {
		t.Fatalf("%d holds granted and %d requests answered 503: the test provoked nothing", len(granted), unavailable)
	}
	t.Logf("%d requests: %d holds granted, %d answered 503", len(attempts), len(granted), unavailable)

	rows, err := pool.Query(ctx, `SELECT id, user_id FROM holds WHERE event_id = $1 AND user_id <> $2`, ev.ID, ev.ID+"-last")
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for rows.Next() {
		var id, user string
		if err := rows.Scan(&id, &user); err != nil {
			t.Fatal(err)
		}
		stored++
		if granted[user].ID != id {
			t.Errorf("phantom hold %s of %s: the fan was never answered 201 with it", id, user)
		}
	}
	rows.Close()
	if stored != len(granted) {
		t.Fatalf("%d holds in the store, %d answered 201", stored, len(granted))
	}
	for i := range fans {
		user := fmt.Sprintf("%s-fan%d", ev.ID, i)
		listed, err := s.ListHolds(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := granted[user]
		if (ok && (len(listed) != 1 || listed[0].ID != h.ID)) || (!ok && len(listed) != 0) {
			t.Fatalf("%s's holds list %+v; the fan was given %+v", user, listed, h)
		}
	}
}

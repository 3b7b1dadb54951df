package persistence

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestReminderLease: one holder at a time; the holder renews, another is refused and told
// who holds it; the lease is taken once it ran out, or at once by a claimer that names the
// holder it takes over from; a release frees it.
func TestReminderLease(t *testing.T) {
	s, pool := storeNew(t)
	ctx := storeCtx(t)
	if _, err := pool.Exec(ctx, `DELETE FROM reminder_leases`); err != nil {
		t.Fatal(err)
	}
	claim := func(holder, takeFrom string, ttl time.Duration) (bool, string) {
		t.Helper()
		held, current, err := s.ClaimReminder(ctx, holder, takeFrom, ttl)
		if err != nil {
			t.Fatalf("claim for %s: %v", holder, err)
		}
		return held, current
	}
	if held, cur := claim("m1", "", time.Minute); !held || cur != "m1" {
		t.Fatalf("first claim: held %v by %q", held, cur)
	}
	if held, cur := claim("m1", "", time.Minute); !held || cur != "m1" {
		t.Fatalf("renewal: held %v by %q", held, cur)
	}
	if held, cur := claim("m2", "", time.Minute); held || cur != "m1" {
		t.Fatalf("claim of a held lease: held %v, holder %q; want refused, m1", held, cur)
	}
	if held, _ := claim("m2", "m3", time.Minute); held {
		t.Fatal("taken over from m3, which does not hold it")
	}
	if held, cur := claim("m2", "m1", time.Minute); !held || cur != "m2" {
		t.Fatalf("takeover from m1: held %v by %q", held, cur)
	}
	if err := s.ReleaseReminder(ctx, "m1"); err != nil { // not m1's any more: nothing happens
		t.Fatal(err)
	}
	if held, cur := claim("m1", "", 50*time.Millisecond); held || cur != "m2" {
		t.Fatalf("after a release by a former holder: held %v, holder %q", held, cur)
	}
	if err := s.ReleaseReminder(ctx, "m2"); err != nil {
		t.Fatal(err)
	}
	if held, _ := claim("m1", "", 50*time.Millisecond); !held {
		t.Fatal("a released lease was not free")
	}
	time.Sleep(100 * time.Millisecond) // database time: the 50ms lease runs out
	if held, cur := claim("m2", "", time.Minute); !held || cur != "m2" {
		t.Fatalf("claim of a lease that ran out: held %v by %q", held, cur)
	}
}

// TestCommitWritesTheNextExpiry: each batch leaves the earliest expiry of the section's
// live holds on its row (NULL without one), and DueSections lists the section once that
// time is grace in the past.
func TestCommitWritesTheNextExpiry(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "ga"}
	snap := storeActivate(t, s, key)
	due := func(grace time.Duration) bool {
		t.Helper()
		keys, err := s.DueSections(storeCtx(t), grace, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(keys, key)
	}
	next := func() *time.Time {
		t.Helper()
		var at *time.Time
		if err := pool.QueryRow(storeCtx(t), `SELECT next_expiry FROM sections WHERE event_id = $1 AND id = $2`,
			key.EventID, key.SectionID).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if at := next(); at != nil || due(0) {
		t.Fatalf("a new section has next expiry %v", at)
	}
	past := snap.DBNow.Add(-time.Minute).Truncate(time.Microsecond)
	h := actors.Hold{ID: ev.ID + "-h", EventID: ev.ID, SectionID: "ga", UserID: "u", Seats: []string{}, Quantity: 1,
		Status: actors.HoldHeld, ExpiresAt: past, CreatedAt: past.Add(-time.Minute), UpdatedAt: past.Add(-time.Minute)}
	b := &actors.Batch{Key: key, Epoch: snap.Epoch, Version: snap.Version, Held: 1, Holds: []actors.Hold{h}, NextExpiry: past}
	if err := s.Commit(storeCtx(t), b); err != nil {
		t.Fatal(err)
	}
	if at := next(); at == nil || !at.Equal(past) {
		t.Fatalf("next expiry %v, want %v", at, past)
	}
	if !due(30*time.Second) || due(2*time.Minute) {
		t.Fatal("a section due a minute ago is not listed with a 30s grace, or is with 2m")
	}
	h.Status = actors.HoldExpired
	b = &actors.Batch{Key: key, Epoch: snap.Epoch, Version: snap.Version + 1, Holds: []actors.Hold{h}}
	if err := s.Commit(storeCtx(t), b); err != nil {
		t.Fatal(err)
	}
	if at := next(); at != nil || due(0) {
		t.Fatalf("next expiry %v after the last live hold expired, want NULL", at)
	}
}

// passivations counts passivation traces.
type passivations struct {
	mu sync.Mutex
	n  int
}

func (p *passivations) Trace(tr actors.Trace) {
	if tr.Type == actors.TracePassivation {
		p.mu.Lock()
		p.n++
		p.mu.Unlock()
	}
}

func (p *passivations) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// TestReminderWakesAPassivatedSectionAtExpiry: with the real store, a section holding a
// live hold passivates once idle, and the reminder wakes it when the hold's time has come:
// the hold expires, its seat is available again, and the section's next expiry is
// cleared, with nobody calling the section.
func TestReminderWakesAPassivatedSectionAtExpiry(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	tracer := &passivations{}
	client := sectionClient(t, s, s, func(c *actors.SectionConfig) {
		c.HoldTTL, c.PassivateAfter, c.Tracer = 2*time.Second, 200*time.Millisecond, tracer
	})
	h, err := client.Hold(storeCtx(t), actors.HoldRequest{EventID: ev.ID, SectionID: "A", UserID: "sleeper", Seats: []string{"B-2"}})
	if err != nil {
		t.Fatal(err)
	}
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	testenv.Eventually(t, 5*time.Second, func() error {
		if tracer.count() == 0 {
			return fmt.Errorf("the section has not passivated")
		}
		return nil
	})
	if got := storeSeat(t, pool, key, "B-2"); got != "held/"+h.ID+"/" {
		t.Fatalf("B-2 after passivation: %s", got)
	}
	if _, err := pool.Exec(storeCtx(t), `DELETE FROM reminder_leases`); err != nil {
		t.Fatal(err)
	}
	r, err := actors.NewExpiryReminder(actors.ReminderConfig{Store: s, Sections: client, Member: "reminder-test",
		Logger: zap.NewNop(), Interval: 100 * time.Millisecond, Grace: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	took := testenv.Eventually(t, 10*time.Second, func() error {
		if got := storeSeat(t, pool, key, "B-2"); got != "available//" {
			return fmt.Errorf("B-2 is %s", got)
		}
		return nil
	})
	got, err := s.GetHold(storeCtx(t), h.ID)
	if err != nil || got.Status != actors.HoldExpired {
		t.Fatalf("hold after the wake: %+v, %v", got, err)
	}
	if late := got.UpdatedAt.Sub(h.ExpiresAt); late < 0 || late > 3*time.Second {
		t.Fatalf("expired %v after its expiry", late)
	}
	if n := storeCount(t, pool, `SELECT count(*) FROM sections WHERE event_id = $1 AND id = 'A' AND next_expiry IS NULL`, ev.ID); n != 1 {
		t.Fatal("the section's next expiry was not cleared")
	}
	t.Logf("expired %v after its time, %v after the reminder started", got.UpdatedAt.Sub(h.ExpiresAt), took)
}

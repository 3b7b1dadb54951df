package persistence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// storeFreshStore returns a Store on a new, empty, migrated database of its own, dropped
// when the test ends: SeedDemo only seeds a database without events.
func storeFreshStore(t *testing.T) *Store {
	t.Helper()
	testPool(t) // skips or fails like every other database test when PostgreSQL is missing
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := fmt.Sprintf("tb_test_seed_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	base := testenv.PostgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := Open(ctx, replaceDB(base, name), 8)
	if err != nil {
		t.Fatalf("open fresh database: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		dropDatabase(base, name)
	})
	return NewStore(pool, zap.NewNop())
}

func TestStoreSeedDemoOnce(t *testing.T) {
	s := storeFreshStore(t)
	ctx := storeCtx(t)
	created, err := s.SeedDemo(ctx)
	if err != nil || !created {
		t.Fatalf("first seed: created %v, %v", created, err)
	}
	created, err = s.SeedDemo(ctx)
	if err != nil || created {
		t.Fatalf("second seed: created %v, %v", created, err)
	}
	events, err := s.ListEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ID != DemoEventID {
		t.Fatalf("events %+v, want the demo alone", events)
	}
	ev := events[0]
	if ev.Name != "TicketBlitz Live" || ev.Venue != "Blitz Arena" || ev.Currency != "USD" || ev.MaxTicketsPerUser != 8 || ev.Status != "on_sale" {
		t.Errorf("demo event %+v", ev)
	}
	if h, m, sec := ev.StartsAt.Clock(); h != 20 || m != 0 || sec != 0 || ev.StartsAt.Location() != time.UTC || !ev.StartsAt.After(time.Now().Add(28*24*time.Hour)) {
		t.Errorf("demo starts at %v", ev.StartsAt)
	}
	want := []string{
		"floor general_admission 500/500/0/0",
		"A reserved 200/200/0/0",
		"B reserved 288/288/0/0",
		"arena reserved 2000/2000/0/0",
	}
	if got := storeSectionCounts(ev); !slices.Equal(got, want) {
		t.Errorf("demo sections %v, want %v", got, want)
	}
	prices := []int64{8000, 12000, 9000, 6000}
	for i, sec := range ev.Sections {
		if sec.PriceCents != prices[i] {
			t.Errorf("section %s price %d, want %d", sec.ID, sec.PriceCents, prices[i])
		}
	}

	a, err := s.SeatMap(ctx, DemoEventID, "A")
	if err != nil {
		t.Fatal(err)
	}
	var accessible []string
	for _, st := range a.Seats {
		if st.Accessible {
			accessible = append(accessible, st.ID)
		}
	}
	if !slices.Equal(accessible, []string{"A-1", "A-2", "A-19", "A-20"}) || a.Seats[len(a.Seats)-1].ID != "J-20" {
		t.Errorf("section A: accessible %v, last seat %s", accessible, a.Seats[len(a.Seats)-1].ID)
	}
	arena, err := s.SeatMap(ctx, DemoEventID, "arena")
	if err != nil {
		t.Fatal(err)
	}
	last := arena.Seats[len(arena.Seats)-1]
	if len(arena.Seats) != 2000 || last.ID != "AN-50" || last.Row != "AN" || last.RowIndex != 39 {
		t.Errorf("arena: %d seats, last %+v", len(arena.Seats), last)
	}
	for _, st := range arena.Seats {
		if st.Accessible && st.Row != "A" {
			t.Errorf("accessible arena seat %s outside the first row", st.ID)
		}
	}
}

func TestStoreSeedDemoSkipsWhenEventsExist(t *testing.T) {
	s := storeFreshStore(t)
	ctx := storeCtx(t)
	ev := storeFixtureEvent(t, s)
	created, err := s.SeedDemo(ctx)
	if err != nil || created {
		t.Fatalf("seed beside an event: created %v, %v", created, err)
	}
	if _, err := s.GetEvent(ctx, DemoEventID); err == nil {
		t.Errorf("demo created beside event %s", ev.ID)
	}
}

func TestStoreSeedDemoConcurrent(t *testing.T) {
	s := storeFreshStore(t)
	ctx := storeCtx(t)
	const nodes = 6
	var wg sync.WaitGroup
	results := make([]bool, nodes)
	errs := make([]error, nodes)
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-start
			results[i], errs[i] = s.SeedDemo(ctx)
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i := range nodes {
		if errs[i] != nil {
			t.Errorf("seed %d: %v", i, errs[i])
		}
		if results[i] {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d seeds reported creating the demo, want 1", created)
	}
	events, err := s.ListEvents(ctx)
	if err != nil || len(events) != 1 {
		t.Errorf("events after concurrent seeds: %d, %v", len(events), err)
	}
}

package classic

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestOneSeatOneWinner: 20 goroutines hold one seat at once; exactly one wins, the
// others are told SEAT_UNAVAILABLE.
func TestOneSeatOneWinner(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		const fans = 20
		errs := make([]error, fans)
		holds := make([]actors.Hold, fans)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range fans {
			wg.Go(func() {
				<-start
				holds[i], errs[i] = s.Hold(context.Background(), actors.HoldRequest{
					EventID: f.eventID, SectionID: "A", UserID: fmt.Sprintf("fan-%d", i), Seats: []string{"B-7"}})
			})
		}
		close(start)
		wg.Wait()
		winner := ""
		for i, err := range errs {
			if err == nil {
				if winner != "" {
					t.Fatalf("both %s and %s hold B-7", winner, holds[i].ID)
				}
				winner = holds[i].ID
				continue
			}
			wantCode(t, fmt.Sprintf("fan %d", i), err, actors.CodeSeatUnavailable)
		}
		if winner == "" {
			t.Fatal("nobody holds B-7")
		}
		if st := seatStates(t, pool, f.a, "B-7"); st["B-7"] != "held/"+winner+"/" {
			t.Fatalf("B-7 is %s, want held by %s", st["B-7"], winner)
		}
		if held, _, version := sectionRow(t, pool, f.a); held != 1 || version != 1 {
			t.Fatalf("section: held %d version %d, want 1 and 1", held, version)
		}
	})
}

// TestBestAvailableRace: 30 fans ask for one best-available seat of a 20-seat section at
// once. No seat goes to two of them; a fan told SOLD_OUT was told so only because the
// section did sell out.
func TestBestAvailableRace(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 1, 20)
		const fans = 30
		errs := make([]error, fans)
		holds := make([]actors.Hold, fans)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range fans {
			wg.Go(func() {
				<-start
				holds[i], errs[i] = s.Hold(context.Background(), actors.HoldRequest{
					EventID: f.eventID, SectionID: "A", UserID: fmt.Sprintf("fan-%d", i), Quantity: 1})
			})
		}
		close(start)
		wg.Wait()
		owner := map[string]string{}
		codes := map[actors.Code]int{}
		for i, err := range errs {
			if err != nil {
				codes[errCode(t, err)]++
				continue
			}
			if len(holds[i].Seats) != 1 {
				t.Fatalf("fan %d got %v", i, holds[i].Seats)
			}
			seat := holds[i].Seats[0]
			if other, ok := owner[seat]; ok {
				t.Fatalf("seat %s went to %s and %s", seat, other, holds[i].ID)
			}
			owner[seat] = holds[i].ID
		}
		t.Logf("%d winners; refusals %v", len(owner), codes)
		for code := range codes {
			if code != actors.CodeSoldOut && code != actors.CodeUnavailable {
				t.Fatalf("refusals %v", codes)
			}
		}
		// are accessible: 18 seats for these fans.
		if codes[actors.CodeSoldOut] > 0 && len(owner) != 18 {
			t.Fatalf("SOLD_OUT with %d of 18 seats held", len(owner))
		}
		if len(owner) < 10 {
			t.Fatalf("only %d of 30 fans got one of 18 seats", len(owner))
		}
	})
}

// TestSectionChangedPerVersion: every change of a section writes exactly one
// SectionChanged, versions rise by one with no gap, and each carries the seats it
// changed and the counters after it.
func TestSectionChangedPerVersion(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.a.EventID, SectionID: f.a.SectionID, UserID: "u1", Seats: []string{"A-3", "A-4"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "u1", PaymentToken: actors.DeclinedToken}); err == nil {
			t.Fatal("declined payment confirmed")
		}
		o, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "u1", PaymentToken: "tok_ok"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cancel(ctx, o.ID, "u1", false); err != nil {
			t.Fatal(err)
		}
		got := sectionChanges(t, pool, f.a)
		want := []actors.SeatStatus{actors.SeatHeld, actors.SeatSold, actors.SeatAvailable}
		if len(got) != len(want) {
			t.Fatalf("%d SectionChanged deltas, want %d", len(got), len(want))
		}
		for i, ch := range got {
			if ch.Version != int64(i+1) || ch.Kind != actors.KindReserved || ch.Capacity != 20 {
				t.Fatalf("delta %d: %+v", i, ch)
			}
			if len(ch.Changes) != 2 || ch.Changes[0].Status != want[i] || ch.Changes[1].Status != want[i] {
				t.Fatalf("delta %d changes %+v, want both seats %s", i, ch.Changes, want[i])
			}
		}
		if got[0].Held != 2 || got[0].Available != 18 || got[1].Sold != 2 || got[1].Held != 0 || got[2].Sold != 0 || got[2].Available != 20 {
			t.Fatalf("counters: %+v", got)
		}
		// The declined payment sits between the hold and the sale, with no version.
		var types []string
		for _, e := range domainEnvelopes(t, pool, f.a) {
			types = append(types, e.Type)
		}
		wantTypes := fmt.Sprint([]string{actors.TypeSeatReserved, actors.TypePaymentProcessed, actors.TypeBookingCreated,
			actors.TypePaymentProcessed, actors.TypeBookingCancelled, actors.TypeSeatReleased})
		if fmt.Sprint(types) != wantTypes {
			t.Fatalf("domain events %v, want %s", types, wantTypes)
		}
	})
}

// TestSeatVersionRisesWithEveryChange: hold, sale, cancellation, hold, release and
// expiry each raise the seat's version by one.
func TestSeatVersionRisesWithEveryChange(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		version := func() int64 {
			t.Helper()
			var v int64
			if err := pool.QueryRow(ctx, `SELECT version FROM seats WHERE event_id = $1 AND section_id = 'A' AND id = 'B-2'`, f.eventID).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		req := actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"B-2"}}
		h, err := s.Hold(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cancel(ctx, o.ID, "alice", false); err != nil {
			t.Fatal(err)
		}
		if h, err = s.Hold(ctx, req); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Release(ctx, h.ID, "alice"); err != nil {
			t.Fatal(err)
		}
		if v := version(); v != 5 {
			t.Fatalf("version %d after five changes", v)
		}
	})
}

package classic

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestSequencedVersionsUnderLoad runs concurrent holds of distinct seats of one section
// (with releases, sales, cancellations and best-available holds among them) while the
// sequencer runs and a reader takes seat maps. Afterwards the section's SectionChanged
// records have versions 1…N with no gap; replayed in order they end in the seats' final
// states, and the counters each one carries are those of the replay at its version; the
// section row's counters equal the seats' statuses; and every seat map taken during the
// load shows exactly the replay at its version.
func TestSequencedVersionsUnderLoad(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		const (
			rows, perRow = 10, 40
			workers      = 40
			rounds       = 12
		)
		f := newFixture(t, pool, 100, rows, perRow)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		seqCtx, stopSeq := context.WithCancel(ctx)
		seqDone := make(chan error, 1)
		go func() { seqDone <- s.RunSequencer(seqCtx) }()

		var maps []actors.SeatMap
		readerDone := make(chan struct{})
		stopReader := make(chan struct{})
		go func() {
			defer close(readerDone)
			for {
				select {
				case <-stopReader:
					return
				case <-time.After(2 * time.Millisecond):
				}
				m, err := s.SeatMap(ctx, f.eventID, "A")
				if err != nil {
					t.Errorf("seat map: %v", err)
					return
				}
				maps = append(maps, m)
			}
		}()

		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 3))
				user := fmt.Sprintf("w%d-%s", w, f.eventID)
				// Worker w owns seat numbers 1+w and, in the odd rounds, asks for a pair
				// in a row of its own: no two workers name the same seat.
				for round := range rounds {
					req := actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: user,
						Seats: []string{actors.SeatID(actors.RowLabel(round%rows), 1+w)}}
					if round%4 == 3 {
						req = actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: user, Quantity: 1}
					}
					h, err := s.Hold(ctx, req)
					if err != nil {
						if e, ok := actors.AsError(err); ok && (e.Code == actors.CodeSeatUnavailable || e.Code == actors.CodeUnavailable) {
							continue
						}
						t.Errorf("worker %d hold %v: %v", w, req, err)
						return
					}
					switch rng.IntN(4) {
					case 0:
						_, err = s.Release(ctx, h.ID, user)
					case 1:
						var o actors.Order
						if o, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: user, PaymentToken: "tok_ok"}); err == nil {
							_, err = s.Cancel(ctx, o.ID, user, false)
						}
					case 2:
						_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: user, PaymentToken: "tok_ok"})
					}
					if err != nil {
						t.Errorf("worker %d after hold %s: %v", w, h.ID, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(stopReader)
		<-readerDone
		stopSeq()
		if err := <-seqDone; err != nil {
			t.Fatalf("sequencer: %v", err)
		}
		if t.Failed() {
			return
		}

		changes := sectionChanges(t, pool, f.a) // sequences what is left first
		replay := map[string]actors.SeatStatus{}
		at := map[int64]map[string]actors.SeatStatus{0: {}}
		for i, ch := range changes {
			if ch.Version != int64(i+1) {
				t.Fatalf("SectionChanged %d has version %d: versions must rise by one", i, ch.Version)
			}
			for _, c := range ch.Changes {
				replay[c.ID] = c.Status
			}
			held, sold := 0, 0
			for _, st := range replay {
				switch st {
				case actors.SeatHeld:
					held++
				case actors.SeatSold:
					sold++
				}
			}
			if ch.Held != held || ch.Sold != sold || ch.Available != rows*perRow-held-sold {
				t.Fatalf("version %d carries held %d sold %d available %d; the replay has held %d sold %d",
					ch.Version, ch.Held, ch.Sold, ch.Available, held, sold)
			}
			snap := make(map[string]actors.SeatStatus, len(replay))
			for id, st := range replay {
				snap[id] = st
			}
			at[ch.Version] = snap
		}
		t.Logf("%d versions, %d seat maps read during the load", len(changes), len(maps))
		if len(changes) < workers {
			t.Fatalf("only %d versions", len(changes))
		}

		final, err := s.SeatMap(ctx, f.eventID, "A")
		if err != nil {
			t.Fatal(err)
		}
		if final.Version != int64(len(changes)) {
			t.Fatalf("final seat map at version %d, outbox has %d", final.Version, len(changes))
		}
		for _, m := range append(maps, final) {
			want := at[m.Version]
			if want == nil {
				t.Fatalf("seat map at version %d, which the outbox does not have", m.Version)
			}
			for _, seat := range m.Seats {
				st, ok := want[seat.ID]
				if !ok {
					st = actors.SeatAvailable
				}
				if seat.Status != st {
					t.Fatalf("seat map at version %d shows %s %s; the replay to that version says %s", m.Version, seat.ID, seat.Status, st)
				}
			}
		}
		held, sold, version := sectionRow(t, pool, f.a)
		if version != int64(len(changes)) || held != final.Held || sold != final.Sold {
			t.Fatalf("section row: held %d sold %d version %d; seats: held %d sold %d, %d versions",
				held, sold, version, final.Held, final.Sold, len(changes))
		}

		// Domain events carry the version of their transaction, in outbox order.
		last := int64(0)
		for _, e := range domainEnvelopes(t, pool, f.a) {
			var v int64
			switch e.Type {
			case actors.TypeSeatReserved:
				v = envelopeData[actors.SeatReserved](t, e, e.Type).SectionVersion
			case actors.TypeSeatReleased:
				v = envelopeData[actors.SeatReleased](t, e, e.Type).SectionVersion
			case actors.TypeBookingCreated:
				v = envelopeData[actors.BookingCreated](t, e, e.Type).SectionVersion
			case actors.TypeBookingCancelled:
				v = envelopeData[actors.BookingCancelled](t, e, e.Type).SectionVersion
			default:
				continue
			}
			if v < last || v < 1 || v > int64(len(changes)) {
				t.Fatalf("%s with section_version %d after %d (of %d)", e.Type, v, last, len(changes))
			}
			last = v
		}
	})
}

// TestSeatMapSequencesFirst: a seat map read sequences what is staged, so its version
// counts the change it shows, and the outbox has that version's SectionChanged.
func TestSeatMapSequencesFirst(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-5"}})
		if err != nil {
			t.Fatal(err)
		}
		var staged int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox_staged WHERE key = $1`, f.a.Identity()).Scan(&staged); err != nil {
			t.Fatal(err)
		}
		if staged != 2 {
			t.Fatalf("%d staged records after a hold, want 2 (SectionChanged, SeatReserved)", staged)
		}
		m, err := s.SeatMap(ctx, f.eventID, "A")
		if err != nil {
			t.Fatal(err)
		}
		if m.Version != 1 || m.Held != 1 || m.Available != 19 {
			t.Fatalf("seat map: version %d held %d available %d", m.Version, m.Held, m.Available)
		}
		for _, seat := range m.Seats {
			if seat.ID == "A-5" && (seat.Status != actors.SeatHeld || seat.HoldID != h.ID) {
				t.Fatalf("A-5 in the seat map: %+v", seat)
			}
		}
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox_staged WHERE key = $1`, f.a.Identity()).Scan(&staged); err != nil {
			t.Fatal(err)
		}
		if staged != 0 {
			t.Fatalf("%d staged records left after the seat map", staged)
		}
		if ch := sectionChanges(t, pool, f.a); len(ch) != 1 || ch[0].Version != 1 {
			t.Fatalf("SectionChanged records %+v", ch)
		}
		_, err = s.SeatMap(ctx, f.eventID, "nope")
		wantNotFound(t, err)
		floor, err := s.SeatMap(ctx, f.eventID, "floor")
		if err != nil || floor.Kind != actors.KindGeneralAdmission || floor.Capacity != floorCap || floor.Available != floorCap {
			t.Fatalf("general-admission seat map %+v, %v", floor, err)
		}
	})
}

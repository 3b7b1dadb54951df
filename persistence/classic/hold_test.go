package classic

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestHoldAndRelease(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()

		before := time.Now()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-4", "A-3"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h.ID, "h_") || h.EventID != f.eventID || h.SectionID != "A" || h.UserID != "alice" ||
			h.Quantity != 2 || h.Status != actors.HoldHeld || !slices.Equal(h.Seats, []string{"A-4", "A-3"}) {
			t.Fatalf("hold = %+v", h)
		}
		if ttl := h.ExpiresAt.Sub(h.CreatedAt); ttl != time.Minute {
			t.Fatalf("expires_at - created_at = %v, want the 1m hold ttl", ttl)
		}
		if h.CreatedAt.Before(before.Add(-time.Minute)) || h.CreatedAt.After(time.Now().Add(time.Minute)) {
			t.Fatalf("created_at %v is not about now", h.CreatedAt)
		}
		want := "held/" + h.ID + "/"
		if st := seatStates(t, pool, f.a, "A-3", "A-4", "A-5"); st["A-3"] != want || st["A-4"] != want || st["A-5"] != "available//" {
			t.Fatalf("seats after hold: %v", st)
		}
		held, _, version := sectionRow(t, pool, f.a)
		if held != 2 || version != 1 {
			t.Fatalf("section after hold: held %d version %d, want 2 and 1", held, version)
		}
		if l, ok := s.(*Lock); ok { // no lock is left, only settled keys that expire soon
			for _, k := range l.locks.rdb.Keys(ctx, l.locks.prefix+"seat-lock:*").Val() {
				v, ttl := l.locks.rdb.Get(ctx, k).Val(), l.locks.rdb.PTTL(ctx, k).Val()
				if v != "s:"+h.ID || ttl <= 0 || ttl > seatSettleTTL {
					t.Fatalf("seat lock %s left in redis: %q for %v", k, v, ttl)
				}
			}
		}
		events := domainEnvelopes(t, pool, f.a)
		if len(events) != 1 {
			t.Fatalf("outbox has %d envelopes, want 1", len(events))
		}
		reserved := envelopeData[actors.SeatReserved](t, events[0], actors.TypeSeatReserved)
		if reserved.HoldID != h.ID || reserved.UserID != "alice" || reserved.Quantity != 2 || reserved.SectionVersion != 1 ||
			!reserved.ExpiresAt.Equal(h.ExpiresAt) || len(reserved.Seats) != 2 {
			t.Fatalf("SeatReserved = %+v", reserved)
		}

		_, err = s.Release(ctx, h.ID, "mallory")
		wantCode(t, "release by another user", err, actors.CodeForbidden)
		_, err = s.Release(ctx, "h_nope", "alice")
		wantCode(t, "release of an unknown hold", err, actors.CodeNotFound)

		r, err := s.Release(ctx, h.ID, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != h.ID || r.Status != actors.HoldReleased {
			t.Fatalf("released hold = %+v", r)
		}
		if st := seatStates(t, pool, f.a, "A-3", "A-4"); st["A-3"] != "available//" || st["A-4"] != "available//" {
			t.Fatalf("seats after release: %v", st)
		}
		held, _, version = sectionRow(t, pool, f.a)
		if held != 0 || version != 2 {
			t.Fatalf("section after release: held %d version %d, want 0 and 2", held, version)
		}
		events = domainEnvelopes(t, pool, f.a)
		released := envelopeData[actors.SeatReleased](t, events[len(events)-1], actors.TypeSeatReleased)
		if released.HoldID != h.ID || released.Reason != actors.ReasonReleased || released.SectionVersion != 2 || released.Quantity != 2 {
			t.Fatalf("SeatReleased = %+v", released)
		}

		_, err = s.Release(ctx, h.ID, "alice")
		wantCode(t, "second release", err, actors.CodeHoldNotActive)
		_, err = s.Extend(ctx, h.ID, "alice")
		wantCode(t, "extend of a released hold", err, actors.CodeHoldNotActive)

		// The seats can be held again.
		if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "bob", Seats: []string{"A-3"}}); err != nil {
			t.Fatalf("hold of a released seat: %v", err)
		}
	})
}

func TestHoldRefusals(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "owner", Seats: []string{"B-1", "B-2"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "owner", Quantity: 4}); err != nil {
			t.Fatal(err)
		}
		many := make([]string, actors.MaxSeatsPerHold+1)
		for i := range many {
			many[i] = actors.SeatID("A", i+1)
		}
		cases := []struct {
			name  string
			req   actors.HoldRequest
			code  actors.Code
			field string   // for VALIDATION_FAILED
			seats []string // for SEAT_UNAVAILABLE
		}{
			{"seats and quantity", actors.HoldRequest{SectionID: "A", Seats: []string{"A-1"}, Quantity: 1}, actors.CodeValidation, "seats", nil},
			{"neither", actors.HoldRequest{SectionID: "A"}, actors.CodeValidation, "quantity", nil},
			{"too many seats", actors.HoldRequest{SectionID: "A", Seats: many}, actors.CodeValidation, "seats", nil},
			{"too many", actors.HoldRequest{SectionID: "A", Quantity: actors.MaxSeatsPerHold + 1}, actors.CodeValidation, "quantity", nil},
			{"negative quantity", actors.HoldRequest{SectionID: "A", Quantity: -1}, actors.CodeValidation, "quantity", nil},
			{"duplicate seat", actors.HoldRequest{SectionID: "A", Seats: []string{"A-1", "A-1"}}, actors.CodeValidation, "seats[1]", nil},
			{"malformed seat", actors.HoldRequest{SectionID: "A", Seats: []string{"A1"}}, actors.CodeValidation, "seats[0]", nil},
			{"unknown seat", actors.HoldRequest{SectionID: "A", Seats: []string{"A-1", "Z-9"}}, actors.CodeValidation, "seats", nil},
			{"no section", actors.HoldRequest{Seats: []string{"A-1"}}, actors.CodeValidation, "section_id", nil},
			{"seats in general admission", actors.HoldRequest{SectionID: "floor", Seats: []string{"A-1"}}, actors.CodeValidation, "seats", nil},
			{"unknown section", actors.HoldRequest{SectionID: "Z", Quantity: 1}, actors.CodeNotFound, "", nil},
			{"unknown event", actors.HoldRequest{EventID: "ev_nope", SectionID: "A", Quantity: 1}, actors.CodeNotFound, "", nil},
			{"seat taken", actors.HoldRequest{SectionID: "A", Seats: []string{"B-3", "B-2", "B-1"}}, actors.CodeSeatUnavailable, "", []string{"B-1", "B-2"}},
			{"general admission sold out", actors.HoldRequest{SectionID: "floor", Quantity: 2}, actors.CodeSoldOut, "", nil},
			{"best available sold out", actors.HoldRequest{SectionID: "A", Quantity: 19}, actors.CodeSoldOut, "", nil},
			{"no accessible pair left", actors.HoldRequest{SectionID: "A", Quantity: 3, Accessible: true}, actors.CodeSoldOut, "", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.req
				if r.EventID == "" {
					r.EventID = f.eventID
				}
				r.UserID = "fan"
				_, err := s.Hold(ctx, r)
				e := wantCode(t, "hold", err, tc.code)
				if tc.field != "" && e.Fields[tc.field] == "" {
					t.Fatalf("error %v does not name field %q", err, tc.field)
				}
				if tc.seats != nil && !slices.Equal(e.Seats, tc.seats) {
					t.Fatalf("unavailable seats %v, want %v", e.Seats, tc.seats)
				}
			})
		}
		var holds int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM holds WHERE event_id = $1 AND user_id = 'fan'`, f.eventID).Scan(&holds); err != nil {
			t.Fatal(err)
		}
		if holds != 0 {
			t.Fatalf("refused requests left %d holds", holds)
		}
		if st := seatStates(t, pool, f.a, "B-3"); st["B-3"] != "available//" {
			t.Fatalf("seat B-3 of a refused request is %s", st["B-3"])
		}
	})
}

func TestBestAvailable(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 20, 3, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Quantity: 4})
		if err != nil {
			t.Fatal(err)
		}
		// are accessible, so the centred A-4…A-7 would strand A-3.
		if !slices.Equal(h.Seats, []string{"A-3", "A-4", "A-5", "A-6"}) || h.Quantity != 4 {
			t.Fatalf("best available 4 = %v (quantity %d), want A-3…A-6", h.Seats, h.Quantity)
		}
		acc, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "bob", Quantity: 2, Accessible: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(acc.Seats, []string{"A-1", "A-2"}) {
			t.Fatalf("accessible pair = %v, want A-1, A-2", acc.Seats)
		}
		st := seatStates(t, pool, f.a, "A-1", "A-3", "A-6", "A-7")
		if st["A-1"] != "held/"+acc.ID+"/" || st["A-3"] != "held/"+h.ID+"/" || st["A-6"] != "held/"+h.ID+"/" || st["A-7"] != "available//" {
			t.Fatalf("seats after best available: %v", st)
		}
		if held, _, _ := sectionRow(t, pool, f.a); held != 6 {
			t.Fatalf("section held %d, want 6", held)
		}
	})
}

func TestGeneralAdmission(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "alice", Quantity: 3})
		if err != nil {
			t.Fatal(err)
		}
		if h.Quantity != 3 || len(h.Seats) != 0 || h.Status != actors.HoldHeld {
			t.Fatalf("GA hold = %+v", h)
		}
		_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "bob", Quantity: 3})
		wantCode(t, "GA beyond capacity", err, actors.CodeSoldOut)
		o, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
		if err != nil {
			t.Fatal(err)
		}
		if o.TotalCents != 3*priceFloor || o.Quantity != 3 || o.Currency != "EUR" {
			t.Fatalf("GA order = %+v", o)
		}
		if held, sold, _ := sectionRow(t, pool, f.floor); held != 0 || sold != 3 {
			t.Fatalf("GA after confirm: held %d sold %d", held, sold)
		}
		b, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "bob", Quantity: 2})
		if err != nil {
			t.Fatalf("GA hold of the last two: %v", err)
		}
		if _, err := s.Release(ctx, b.ID, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cancel(ctx, o.ID, "alice", false); err != nil {
			t.Fatal(err)
		}
		if held, sold, version := sectionRow(t, pool, f.floor); held != 0 || sold != 0 || version != 5 {
			t.Fatalf("GA after release and cancel: held %d sold %d version %d, want 0 0 5", held, sold, version)
		}
	})
}

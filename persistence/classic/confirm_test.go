package classic

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestConfirmAndCancel(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"B-1", "B-2"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "bob", PaymentToken: "tok_ok"})
		wantCode(t, "confirm by another user", err, actors.CodeForbidden)
		_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice"})
		wantCode(t, "confirm without a token", err, actors.CodeValidation)
		_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: "h_nope", UserID: "alice", PaymentToken: "tok_ok"})
		wantCode(t, "confirm of an unknown hold", err, actors.CodeNotFound)

		o, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(o.ID, "o_") || o.HoldID != h.ID || o.UserID != "alice" || o.Status != actors.OrderConfirmed ||
			o.TotalCents != 2*priceA || o.Currency != "EUR" || !slices.Equal(o.Seats, h.Seats) || o.CreatedAt.IsZero() {
			t.Fatalf("order = %+v", o)
		}
		sold := "sold/" + h.ID + "/" + o.ID
		if st := seatStates(t, pool, f.a, "B-1", "B-2"); st["B-1"] != sold || st["B-2"] != sold {
			t.Fatalf("seats after confirm: %v", st)
		}
		var holdStatus, holdOrder string
		if err := pool.QueryRow(ctx, `SELECT status, order_id FROM holds WHERE id = $1`, h.ID).Scan(&holdStatus, &holdOrder); err != nil {
			t.Fatal(err)
		}
		if holdStatus != "confirmed" || holdOrder != o.ID {
			t.Fatalf("hold after confirm: %s, order %s", holdStatus, holdOrder)
		}
		var tickets int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM tickets WHERE order_id = $1 AND status = 'sold'`, o.ID).Scan(&tickets); err != nil {
			t.Fatal(err)
		}
		if tickets != 2 {
			t.Fatalf("%d sold tickets, want 2", tickets)
		}
		held, soldN, version := sectionRow(t, pool, f.a)
		if held != 0 || soldN != 2 || version != 2 {
			t.Fatalf("section after confirm: held %d sold %d version %d", held, soldN, version)
		}
		events := domainEnvelopes(t, pool, f.a)
		if len(events) != 3 {
			t.Fatalf("%d envelopes after confirm, want 3", len(events))
		}
		created := envelopeData[actors.BookingCreated](t, events[1], actors.TypeBookingCreated)
		paid := envelopeData[actors.PaymentProcessed](t, events[2], actors.TypePaymentProcessed)
		if created.OrderID != o.ID || created.TotalCents != o.TotalCents || created.SectionVersion != 2 ||
			paid.Status != "approved" || paid.OrderID != o.ID || paid.AmountCents != o.TotalCents {
			t.Fatalf("BookingCreated %+v, PaymentProcessed %+v", created, paid)
		}

		_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
		wantCode(t, "second confirm", err, actors.CodeHoldNotActive)
		_, err = s.Release(ctx, h.ID, "alice")
		wantCode(t, "release of a confirmed hold", err, actors.CodeHoldNotActive)

		_, err = s.Cancel(ctx, o.ID, "bob", false)
		wantCode(t, "cancel by another fan", err, actors.CodeForbidden)
		_, err = s.Cancel(ctx, "o_nope", "alice", false)
		wantCode(t, "cancel of an unknown order", err, actors.CodeNotFound)
		c, err := s.Cancel(ctx, o.ID, "alice", false)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != o.ID || c.Status != actors.OrderCancelled || !slices.Equal(c.Seats, o.Seats) {
			t.Fatalf("cancelled order = %+v", c)
		}
		if st := seatStates(t, pool, f.a, "B-1", "B-2"); st["B-1"] != "available//" || st["B-2"] != "available//" {
			t.Fatalf("seats after cancel: %v", st)
		}
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM tickets WHERE order_id = $1 AND status = 'cancelled'`, o.ID).Scan(&tickets); err != nil {
			t.Fatal(err)
		}
		if tickets != 2 {
			t.Fatalf("%d cancelled tickets, want 2", tickets)
		}
		if held, soldN, version = sectionRow(t, pool, f.a); held != 0 || soldN != 0 || version != 3 {
			t.Fatalf("section after cancel: held %d sold %d version %d", held, soldN, version)
		}
		events = domainEnvelopes(t, pool, f.a)
		bc := envelopeData[actors.BookingCancelled](t, events[3], actors.TypeBookingCancelled)
		rel := envelopeData[actors.SeatReleased](t, events[4], actors.TypeSeatReleased)
		if bc.OrderID != o.ID || bc.SectionVersion != 3 || rel.Reason != actors.ReasonCancelled || rel.OrderID != o.ID || len(rel.Seats) != 2 {
			t.Fatalf("BookingCancelled %+v, SeatReleased %+v", bc, rel)
		}
		_, err = s.Cancel(ctx, o.ID, "alice", false)
		wantCode(t, "second cancel", err, actors.CodeHoldNotActive)

		// An admin may cancel anyone's order, and a cancelled seat sells again.
		h2, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "carol", Seats: []string{"B-1"}})
		if err != nil {
			t.Fatalf("hold of a cancelled seat: %v", err)
		}
		o2, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h2.ID, UserID: "carol", PaymentToken: "tok_ok"})
		if err != nil {
			t.Fatalf("resale of a cancelled seat: %v", err)
		}
		if _, err := s.Cancel(ctx, o2.ID, "admin-1", true); err != nil {
			t.Fatalf("admin cancel: %v", err)
		}
	})
}

func TestConfirmDeclined(t *testing.T) {
	pool := testPool(t)
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, 2, 10)
		ctx := context.Background()
		h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-1"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: actors.DeclinedToken})
		wantCode(t, "declined confirm", err, actors.CodePaymentDeclined)
		if got := holdStatusOf(t, pool, h.ID); got != "held" {
			t.Fatalf("hold status %s after a decline, want held", got)
		}
		if st := seatStates(t, pool, f.a, "A-1"); st["A-1"] != "held/"+h.ID+"/" {
			t.Fatalf("seat after a decline: %s", st["A-1"])
		}
		events := domainEnvelopes(t, pool, f.a)
		declined := envelopeData[actors.PaymentProcessed](t, events[len(events)-1], actors.TypePaymentProcessed)
		if declined.Status != "declined" || declined.HoldID != h.ID || declined.AmountCents != priceA || declined.OrderID != "" {
			t.Fatalf("PaymentProcessed after a decline = %+v", declined)
		}
		if _, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"}); err != nil {
			t.Fatalf("confirm after a decline: %v", err)
		}
	})
}

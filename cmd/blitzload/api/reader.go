package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// AuditReader reads the final state back for the audit, each order as its owner.
type AuditReader struct {
	Base   string
	HTTP   *http.Client
	Tokens TokenSource
}

// NewAuditReader returns a reader with its own pool of connections.
func NewAuditReader(base string, tokens TokenSource) *AuditReader {
	return &AuditReader{Base: base, HTTP: NewHTTPClient(32, 30*time.Second), Tokens: tokens}
}

// retry repeats fn while its result is retryable, a few times.
func retry(ctx context.Context, fn func() Result) Result {
	var r Result
	for attempt := 0; attempt < 4; attempt++ {
		r = fn()
		if !r.Retryable() || ctx.Err() != nil {
			return r
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	return r
}

// SeatMap reads a section's map.
func (a *AuditReader) SeatMap(ctx context.Context, ref audit.SectionRef) (audit.SeatMap, error) {
	c := New(Config{Base: a.Base, HTTP: a.HTTP})
	var m SeatMap
	r := retry(ctx, func() Result {
		var r Result
		m, r = c.SeatMap(ctx, ref.EventID, ref.SectionID)
		return r
	})
	if err := r.Error(); err != nil {
		return audit.SeatMap{}, err
	}
	return ToAuditMap(m, r.Start, r.End), nil
}

// ToAuditMap converts a seat map read between start and end.
func ToAuditMap(m SeatMap, start, end time.Time) audit.SeatMap {
	out := audit.SeatMap{Version: m.Version, ReadStart: start, ReadEnd: end}
	if m.Reserved() {
		out.Kind = audit.KindReserved
		out.Seats = make(map[string]string, len(m.Seats))
		for _, s := range m.Seats {
			out.Seats[s.ID] = s.Status
		}
		return out
	}
	out.Kind = audit.KindGeneralAdmission
	out.Capacity, out.Available, out.Held, out.Sold = m.Capacity, m.Available, m.Held, m.Sold
	return out
}

func (a *AuditReader) client(ctx context.Context, userID string) (*Client, error) {
	tok, err := a.Tokens.Token(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("token for %s: %w", userID, err)
	}
	return New(Config{Base: a.Base, HTTP: a.HTTP, User: userID, Token: tok}), nil
}

// Order reads an order as userID.
func (a *AuditReader) Order(ctx context.Context, userID, orderID string) (audit.OrderRead, error) {
	c, err := a.client(ctx, userID)
	if err != nil {
		return audit.OrderRead{}, err
	}
	var o Order
	r := retry(ctx, func() Result {
		var r Result
		o, r = c.GetOrder(ctx, orderID)
		return r
	})
	rd := audit.OrderRead{Status: r.Status, Code: r.Code}
	if r.Err != nil {
		rd.Error = r.Err.Error()
	}
	if r.OK() {
		rd.Order = toAuditOrder(o)
	}
	return rd, nil
}

// UserOrders reads userID's orders.
func (a *AuditReader) UserOrders(ctx context.Context, userID string) ([]audit.Order, error) {
	c, err := a.client(ctx, userID)
	if err != nil {
		return nil, err
	}
	var os []Order
	r := retry(ctx, func() Result {
		var r Result
		os, r = c.MyOrders(ctx)
		return r
	})
	if err := r.Error(); err != nil {
		return nil, err
	}
	out := make([]audit.Order, 0, len(os))
	for _, o := range os {
		out = append(out, toAuditOrder(o))
	}
	return out, nil
}

// UserHolds reads userID's live holds.
func (a *AuditReader) UserHolds(ctx context.Context, userID string) ([]audit.Hold, error) {
	c, err := a.client(ctx, userID)
	if err != nil {
		return nil, err
	}
	var hs []Hold
	r := retry(ctx, func() Result {
		var r Result
		hs, r = c.MyHolds(ctx)
		return r
	})
	if err := r.Error(); err != nil {
		return nil, err
	}
	out := make([]audit.Hold, 0, len(hs))
	for _, h := range hs {
		out = append(out, audit.Hold{ID: h.ID, EventID: h.EventID, SectionID: h.SectionID, UserID: h.UserID,
			Seats: h.Seats, Quantity: h.Quantity, Status: h.Status})
	}
	return out, nil
}

func toAuditOrder(o Order) audit.Order {
	return audit.Order{ID: o.ID, HoldID: o.HoldID, EventID: o.EventID, SectionID: o.SectionID, UserID: o.UserID,
		Seats: o.Seats, Quantity: o.Quantity, Status: o.Status}
}

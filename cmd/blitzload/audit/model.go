package audit

import (
	"fmt"
	"slices"
	"time"
)

// holdModel is what the records say about one hold the server answered with.
type holdModel struct {
	id    string
	user  string
	ref   SectionRef
	seats []string
	qty   int
	// respAt is when the first successful answer arrived: the hold existed then.
	respAt time.Time
	// expires is the latest expiry a successful answer named.
	expires       time.Time
	extendUnknown bool

	releaseOK      bool
	releaseUnknown bool
	// ended: a refusal (HOLD_NOT_ACTIVE, HOLD_EXPIRED) proves the hold stopped being held.
	ended bool
	// endBy is the earliest start of a request that ended or may have ended the hold.
	endBy time.Time

	// confirmMaybe: some confirm was answered OK or had an unknown outcome.
	confirmMaybe bool
	// confirmUnknown: a confirm had an unknown outcome and nothing settled it yet.
	confirmUnknown bool
	order          *orderModel
}

// orderModel is what the records say about one order.
type orderModel struct {
	id    string
	hold  *holdModel
	seats []string
	qty   int
	// soldAt is when the confirm's answer arrived; zero when the order was learned
	// from the read-back.
	soldAt time.Time
	// learnedStatus is the status /me/orders showed for an order learned from it.
	learnedStatus string
	cancelOK      bool
	cancelUnknown bool
	cancelBy      time.Time
}

// pendingHold is a hold request whose outcome stayed unknown: it may have taken its
// seats (or quantity) until they expired.
type pendingHold struct {
	user  string
	ref   SectionRef
	seats []string
	qty   int
}

// model is the records digested: holds, orders and unsettled requests.
type model struct {
	holds    map[string]*holdModel
	orders   map[string]*orderModel
	pending  []pendingHold
	sections map[SectionRef]bool
	// gaHint marks sections whose holds carried no seat ids.
	seatHint map[SectionRef]bool
	unknown  int
	resolved int
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// buildModel digests the records; vs receives the violations visible in the records
// alone (hold answers that do not match their request, reused ids).
func buildModel(recs []Record, vs *violations) *model {
	m := &model{
		holds:    map[string]*holdModel{},
		orders:   map[string]*orderModel{},
		sections: map[SectionRef]bool{},
		seatHint: map[SectionRef]bool{},
	}
	for _, r := range recs {
		if r.Outcome == Unknown {
			m.unknown++
		}
	}
	m.addHolds(recs, vs)
	for _, r := range recs {
		switch r.Op {
		case OpExtend:
			m.addExtend(r)
		case OpRelease:
			m.addRelease(r)
		}
	}
	m.addConfirms(recs, vs)
	for _, r := range recs {
		if r.Op == OpCancel {
			m.addCancel(r)
		}
	}
	return m
}

// addHolds groups hold attempts by (user, idempotency key): attempts of one group are
// one request, so an unknown attempt followed by a successful retry is settled.
func (m *model) addHolds(recs []Record, vs *violations) {
	type groupKey struct{ user, key string }
	groups := map[groupKey][]Record{}
	var order []groupKey
	for i, r := range recs {
		if r.Op != OpHold {
			continue
		}
		k := groupKey{r.User, r.IdempotencyKey}
		if r.IdempotencyKey == "" {
			k.key = fmt.Sprintf("\x00%d", i)
		}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range order {
		g := groups[k]
		ref := SectionRef{g[0].EventID, g[0].SectionID}
		m.sections[ref] = true
		var okIDs []string
		unknown := 0
		for _, r := range g {
			switch r.Outcome {
			case OK:
				if !slices.Contains(okIDs, r.HoldID) {
					okIDs = append(okIDs, r.HoldID)
				}
				m.addHoldAnswer(r, vs)
			case Unknown:
				unknown++
			}
		}
		if len(okIDs) > 1 {
			vs.add(Violation{Kind: HoldMismatch, Section: ref, Holds: okIDs,
				Detail: fmt.Sprintf("idempotency key %q of user %s answered with %d different holds", g[0].IdempotencyKey, g[0].User, len(okIDs))})
		}
		if unknown == 0 {
			continue
		}
		if len(okIDs) > 0 {
			m.resolved += unknown
			continue
		}
		m.pending = append(m.pending, pendingHold{user: g[0].User, ref: ref, seats: g[0].Seats, qty: g[0].Quantity})
	}
}

// addHoldAnswer records one successful hold answer and checks it against its request.
func (m *model) addHoldAnswer(r Record, vs *violations) {
	ref := SectionRef{r.EventID, r.SectionID}
	if len(r.GotSeats) > 0 {
		m.seatHint[ref] = true
	}
	h, ok := m.holds[r.HoldID]
	if ok {
		if h.user != r.User {
			vs.add(Violation{Kind: HoldIDReused, Section: ref, Holds: []string{r.HoldID},
				Detail: fmt.Sprintf("hold answered to users %s and %s", h.user, r.User)})
		}
		if r.End.Before(h.respAt) {
			h.respAt = r.End
		}
		if r.ExpiresAt.After(h.expires) {
			h.expires = r.ExpiresAt
		}
		return
	}
	h = &holdModel{id: r.HoldID, user: r.User, ref: ref, seats: r.GotSeats, qty: r.GotQuantity,
		respAt: r.End, expires: r.ExpiresAt}
	if h.qty == 0 {
		h.qty = len(h.seats)
	}
	m.holds[r.HoldID] = h
	m.checkHoldAnswer(r, vs)
}

func (m *model) checkHoldAnswer(r Record, vs *violations) {
	ref := SectionRef{r.EventID, r.SectionID}
	bad := func(format string, a ...any) {
		vs.add(Violation{Kind: HoldMismatch, Section: ref, Holds: []string{r.HoldID}, Detail: fmt.Sprintf(format, a...)})
	}
	if dup := duplicate(r.GotSeats); dup != "" {
		bad("seat %s appears twice in the hold", dup)
	}
	switch {
	case len(r.Seats) > 0:
		if !sameSet(r.Seats, r.GotSeats) {
			bad("asked for seats %v, got %v", r.Seats, r.GotSeats)
		}
	case r.Quantity > 0 && len(r.GotSeats) > 0:
		if len(r.GotSeats) != r.Quantity {
			bad("asked for %d seats, got %v", r.Quantity, r.GotSeats)
		}
	case r.Quantity > 0:
		if r.GotQuantity != r.Quantity {
			bad("asked for quantity %d, got %d", r.Quantity, r.GotQuantity)
		}
	}
}

func (m *model) addExtend(r Record) {
	h := m.holds[r.HoldID]
	if h == nil {
		return
	}
	switch r.Outcome {
	case OK:
		if r.ExpiresAt.After(h.expires) {
			h.expires = r.ExpiresAt
		}
	case Unknown:
		h.extendUnknown = true
	case Refused:
		if endsHold(r.Code) {
			h.ended = true
			h.endBy = earliest(h.endBy, r.Start)
		}
	}
}

func (m *model) addRelease(r Record) {
	h := m.holds[r.HoldID]
	if h == nil {
		return
	}
	switch r.Outcome {
	case OK:
		h.releaseOK = true
		h.endBy = earliest(h.endBy, r.Start)
	case Unknown:
		h.releaseUnknown = true
		h.endBy = earliest(h.endBy, r.Start)
	case Refused:
		if endsHold(r.Code) {
			h.ended = true
			h.endBy = earliest(h.endBy, r.Start)
		}
	}
}

// addConfirms groups confirm attempts by hold.
func (m *model) addConfirms(recs []Record, vs *violations) {
	byHold := map[string][]Record{}
	var order []string
	for _, r := range recs {
		if r.Op != OpConfirm {
			continue
		}
		if _, seen := byHold[r.HoldID]; !seen {
			order = append(order, r.HoldID)
		}
		byHold[r.HoldID] = append(byHold[r.HoldID], r)
	}
	for _, id := range order {
		h := m.holds[id]
		if h == nil {
			continue
		}
		unknown := 0
		for _, r := range byHold[id] {
			switch r.Outcome {
			case OK:
				h.confirmMaybe = true
				m.addOrder(h, r, vs)
			case Unknown:
				h.confirmMaybe = true
				unknown++
			case Refused:
				if endsHold(r.Code) {
					h.ended = true
					h.endBy = earliest(h.endBy, r.Start)
				}
			}
		}
		if unknown > 0 && h.order != nil {
			m.resolved += unknown
		} else if unknown > 0 {
			h.confirmUnknown = true
		}
	}
}

func (m *model) addOrder(h *holdModel, r Record, vs *violations) {
	if o := h.order; o != nil {
		if o.id != r.OrderID {
			vs.add(Violation{Kind: DoubleSale, Section: h.ref, Holds: []string{h.id}, Orders: []string{o.id, r.OrderID},
				Detail: "one hold confirmed into two orders"})
		}
		if r.End.Before(o.soldAt) {
			o.soldAt = r.End
		}
		return
	}
	seats := r.GotSeats
	if len(seats) == 0 {
		seats = h.seats
	}
	qty := r.GotQuantity
	if qty == 0 {
		qty = h.qty
	}
	o := &orderModel{id: r.OrderID, hold: h, seats: seats, qty: qty, soldAt: r.End}
	h.order = o
	m.orders[o.id] = o
}

func (m *model) addCancel(r Record) {
	o := m.orders[r.OrderID]
	if o == nil {
		return
	}
	switch r.Outcome {
	case OK:
		o.cancelOK = true
		o.cancelBy = earliest(o.cancelBy, r.Start)
	case Unknown:
		o.cancelUnknown = true
		o.cancelBy = earliest(o.cancelBy, r.Start)
	}
}

// resolve settles unknown confirms and cancels with what was read back.
func (m *model) resolve(f Final) {
	for _, h := range m.holds {
		if !h.confirmUnknown || h.order != nil {
			continue
		}
		orders, read := f.UserOrders[h.user]
		if !read {
			continue
		}
		h.confirmUnknown = false
		m.resolved++
		for _, o := range orders {
			if o.HoldID != h.id {
				continue
			}
			om := &orderModel{id: o.ID, hold: h, seats: o.Seats, qty: o.Quantity, learnedStatus: o.Status}
			if om.qty == 0 {
				om.qty = len(om.seats)
			}
			h.order = om
			m.orders[o.ID] = om
		}
	}
	for _, o := range m.orders {
		if !o.cancelUnknown {
			continue
		}
		rd, ok := f.Orders[o.id]
		if !ok || rd.Status != 200 {
			continue
		}
		switch rd.Order.Status {
		case OrderCancelled:
			o.cancelUnknown, o.cancelOK = false, true
			m.resolved++
		case OrderConfirmed:
			o.cancelUnknown = false
			m.resolved++
		}
	}
}

func duplicate(ss []string) string {
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if seen[s] {
			return s
		}
		seen[s] = true
	}
	return ""
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := slices.Clone(a)
	y := slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

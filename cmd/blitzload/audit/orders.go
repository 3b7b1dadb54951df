package audit

import (
	"fmt"
	"sort"
)

// checkOrders compares every order the records know with its read-back, and finds
// seats that two orders read back as confirmed share. It returns the orders checked.
func checkOrders(m *model, f Final, vs *violations) int {
	ids := make([]string, 0, len(m.orders))
	for id := range m.orders {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	checked := 0
	soldBy := map[SectionRef]map[string]string{}
	markSold := func(ref SectionRef, seats []string, orderID string) {
		if soldBy[ref] == nil {
			soldBy[ref] = map[string]string{}
		}
		for _, s := range seats {
			if other, ok := soldBy[ref][s]; ok && other != orderID {
				vs.add(Violation{Kind: DoubleSale, Section: ref, Seat: s, Orders: []string{other, orderID},
					Detail: "two orders read back as confirmed own the seat"})
			}
			soldBy[ref][s] = orderID
		}
	}
	for _, id := range ids {
		o := m.orders[id]
		h := o.hold
		lost := func(format string, a ...any) {
			vs.add(Violation{Kind: LostOrder, Section: h.ref, Holds: []string{h.id}, Orders: []string{id},
				Detail: fmt.Sprintf(format, a...)})
		}
		if o.soldAt.IsZero() {
			// Learned from /me/orders: a cancelled one was cancelled by nobody.
			checked++
			if o.learnedStatus == OrderCancelled {
				lost("order of user %s is cancelled, but no cancel was sent", h.user)
			} else {
				markSold(h.ref, o.seats, id)
			}
			continue
		}
		rd, ok := f.Orders[id]
		if !ok {
			continue
		}
		checked++
		if rd.Status != 200 {
			lost("confirmed order of user %s read back as status %d %s %s", h.user, rd.Status, rd.Code, rd.Error)
			continue
		}
		got := rd.Order
		switch {
		case o.cancelOK && got.Status != OrderCancelled:
			vs.add(Violation{Kind: OrderMismatch, Section: h.ref, Orders: []string{id},
				Detail: fmt.Sprintf("cancelled order reads back as %q", got.Status)})
		case !o.cancelOK && !o.cancelUnknown && got.Status != OrderConfirmed:
			lost("confirmed order of user %s reads back as %q", h.user, got.Status)
		}
		if got.Status == OrderConfirmed {
			markSold(h.ref, got.Seats, id)
		}
		mismatch := func(format string, a ...any) {
			vs.add(Violation{Kind: OrderMismatch, Section: h.ref, Holds: []string{h.id}, Orders: []string{id},
				Detail: fmt.Sprintf(format, a...)})
		}
		if len(o.seats) > 0 && !sameSet(o.seats, got.Seats) {
			mismatch("confirmed seats %v, read back %v", o.seats, got.Seats)
		}
		if got.HoldID != "" && got.HoldID != h.id {
			mismatch("confirmed from hold %s, read back hold %s", h.id, got.HoldID)
		}
		if got.UserID != "" && got.UserID != h.user {
			mismatch("confirmed by user %s, read back user %s", h.user, got.UserID)
		}
		if len(o.seats) == 0 && o.qty > 0 && got.Quantity != 0 && got.Quantity != o.qty {
			mismatch("confirmed quantity %d, read back %d", o.qty, got.Quantity)
		}
	}
	return checked
}

// checkUnexplainedOrders finds orders in /me/orders that no confirm in the records may
// have made: a hold never confirmed, or one whose payment was only declined.
func checkUnexplainedOrders(m *model, f Final, vs *violations) {
	users := make([]string, 0, len(f.UserOrders))
	for u := range f.UserOrders {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		for _, o := range f.UserOrders[u] {
			ref := SectionRef{o.EventID, o.SectionID}
			if !m.sections[ref] {
				continue
			}
			h := m.holds[o.HoldID]
			switch {
			case h == nil:
				vs.add(Violation{Kind: UnexplainedOrder, Section: ref, Holds: []string{o.HoldID}, Orders: []string{o.ID},
					Detail: fmt.Sprintf("order of user %s for a hold the records never saw", u)})
			case !h.confirmMaybe:
				vs.add(Violation{Kind: UnexplainedOrder, Section: ref, Holds: []string{o.HoldID}, Orders: []string{o.ID},
					Detail: fmt.Sprintf("order of user %s for a hold whose confirms were all refused", u)})
			case h.order != nil && h.order.id != o.ID:
				vs.add(Violation{Kind: DoubleSale, Section: ref, Holds: []string{o.HoldID}, Orders: []string{h.order.id, o.ID},
					Detail: "one hold confirmed into two orders"})
			}
		}
	}
}

package audit

import (
	"testing"
	"time"
)

var (
	t0  = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	hot = SectionRef{"ev1", "hot"}
	ga  = SectionRef{"ev1", "floor"}
)

// ms returns t0 plus n milliseconds.
func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// farExpiry is an expiry no test reaches.
var farExpiry = t0.Add(10 * time.Minute)

func holdOK(user string, ref SectionRef, id string, seats []string, start, end int) Record {
	return Record{User: user, Op: OpHold, EventID: ref.EventID, SectionID: ref.SectionID, Seats: seats,
		HoldID: id, Start: ms(start), End: ms(end), Status: 201, Outcome: OK, GotSeats: seats,
		GotQuantity: len(seats), ExpiresAt: farExpiry}
}

func gaHoldOK(user, id string, qty, start, end int) Record {
	return Record{User: user, Op: OpHold, EventID: ga.EventID, SectionID: ga.SectionID, Quantity: qty,
		HoldID: id, Start: ms(start), End: ms(end), Status: 201, Outcome: OK, GotQuantity: qty, ExpiresAt: farExpiry}
}

// holdFailed is a hold request answered with status (0: no answer).
func holdFailed(user string, ref SectionRef, seats []string, start, end, status int) Record {
	return Record{User: user, Op: OpHold, EventID: ref.EventID, SectionID: ref.SectionID, Seats: seats,
		IdempotencyKey: user + "-" + itoa(start), Start: ms(start), End: ms(end), Status: status, Outcome: Classify(status)}
}

func op(o Op, user, holdID, orderID string, start, end, status int, code string) Record {
	return Record{User: user, Op: o, EventID: hot.EventID, HoldID: holdID, OrderID: orderID,
		Start: ms(start), End: ms(end), Status: status, Code: code, Outcome: Classify(status)}
}

func confirmOK(user, holdID, orderID string, seats []string, start, end int) Record {
	r := op(OpConfirm, user, holdID, orderID, start, end, 201, "")
	r.GotSeats = seats
	r.GotQuantity = len(seats)
	return r
}

// reservedMap builds a final map of seats A-1..A-n, all available but those given.
func reservedMap(n int, taken map[string]string) SeatMap {
	sm := SeatMap{Kind: KindReserved, Seats: map[string]string{}, ReadStart: ms(10_000), ReadEnd: ms(10_010)}
	for i := 1; i <= n; i++ {
		sm.Seats["A-"+itoa(i)] = SeatAvailable
	}
	for s, st := range taken {
		sm.Seats[s] = st
	}
	return sm
}

func confirmedRead(id, hold, user string, seats []string) OrderRead {
	return OrderRead{Status: 200, Order: Order{ID: id, HoldID: hold, EventID: hot.EventID, SectionID: hot.SectionID,
		UserID: user, Seats: seats, Quantity: len(seats), Status: OrderConfirmed}}
}

func final(maps map[SectionRef]SeatMap, orders map[string]OrderRead) Final {
	if orders == nil {
		orders = map[string]OrderRead{}
	}
	return Final{At: ms(10_000), SeatMaps: maps, Orders: orders, UserOrders: map[string][]Order{}}
}

// wantKinds fails unless the report has exactly the given violation kinds (with at
// least one of each).
func wantKinds(t *testing.T, rep Report, kinds ...Kind) {
	t.Helper()
	want := map[Kind]bool{}
	for _, k := range kinds {
		want[k] = true
		if rep.Counts[k] == 0 {
			t.Errorf("want a %s violation, got counts %v: %v", k, rep.Counts, rep.Violations)
		}
	}
	for k, n := range rep.Counts {
		if !want[k] && n > 0 {
			t.Errorf("unexpected %d %s violations: %v", n, k, rep.Violations)
		}
	}
}

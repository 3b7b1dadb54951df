package audit

import (
	"strings"
	"testing"
	"time"
)

// cleanHistory is a sale with every kind of step and no violation: confirms, releases,
// refusals, expiries, an unknown release, an unknown hold settled by its retry, an
// unknown best-available hold that may hold a seat, and general admission.
func cleanHistory() Input {
	recs := []Record{
		holdOK("ann", hot, "h1", []string{"A-1", "A-2"}, 0, 10),
		confirmOK("ann", "h1", "o1", []string{"A-1", "A-2"}, 20, 30),
		holdOK("bob", hot, "h2", []string{"A-3"}, 5, 15),
		op(OpRelease, "bob", "h2", "", 40, 50, 200, ""),
		{User: "cat", Op: OpHold, EventID: hot.EventID, SectionID: hot.SectionID, Seats: []string{"A-1"},
			Start: ms(12), End: ms(14), Status: 409, Code: "SEAT_UNAVAILABLE", Outcome: Refused},
		holdOK("dan", hot, "h3", []string{"A-3"}, 60, 70),
		// eve's hold expires at 100 ms; fay takes the seat well after.
		func() Record { r := holdOK("eve", hot, "h4", []string{"A-4"}, 0, 5); r.ExpiresAt = ms(100); return r }(),
		holdOK("fay", hot, "h5", []string{"A-4"}, 3000, 3010),
		// gus: an unknown release, then someone holds the seat while it may be released.
		holdOK("gus", hot, "h6", []string{"A-5"}, 0, 5),
		op(OpRelease, "gus", "h6", "", 100, 5100, 0, ""),
		holdOK("hal", hot, "h7", []string{"A-5"}, 200, 210),
		// ivy: a timed-out hold settled by its retry with the same key.
		{User: "ivy", Op: OpHold, EventID: hot.EventID, SectionID: hot.SectionID, Seats: []string{"A-6"},
			IdempotencyKey: "k-ivy", Start: ms(0), End: ms(5000), Outcome: Unknown, Error: "timeout"},
		func() Record {
			r := holdOK("ivy", hot, "h8", []string{"A-6"}, 5100, 5110)
			r.IdempotencyKey = "k-ivy"
			return r
		}(),
		// jay: a best-available hold with an unknown outcome; it may hold A-9.
		{User: "jay", Op: OpHold, EventID: hot.EventID, SectionID: hot.SectionID, Quantity: 1,
			Start: ms(0), End: ms(5000), Outcome: Unknown, Error: "timeout"},
		// kim: declined, then confirmed with a good card, then cancelled.
		holdOK("kim", hot, "h9", []string{"A-7"}, 0, 5),
		op(OpConfirm, "kim", "h9", "", 10, 20, 402, CodePaymentDeclined),
		confirmOK("kim", "h9", "o2", []string{"A-7"}, 30, 40),
		op(OpCancel, "kim", "", "o2", 50, 60, 200, ""),
		// lou: a release refused because the hold had expired.
		func() Record { r := holdOK("lou", hot, "h10", []string{"A-8"}, 0, 5); r.ExpiresAt = ms(50); return r }(),
		op(OpRelease, "lou", "h10", "", 60, 65, 409, CodeHoldNotActive),
		// General admission, capacity 5: 2 held then sold, 3 held.
		gaHoldOK("max", "g1", 2, 0, 10),
		confirmOK("max", "g1", "o3", nil, 20, 30),
		gaHoldOK("ned", "g2", 3, 5, 15),
	}
	recs[len(recs)-2].EventID = ga.EventID
	cancelled := OrderRead{Status: 200, Order: Order{ID: "o2", HoldID: "h9", UserID: "kim", Seats: []string{"A-7"}, Status: OrderCancelled}}
	gaOrder := OrderRead{Status: 200, Order: Order{ID: "o3", HoldID: "g1", UserID: "max", Quantity: 2, Status: OrderConfirmed}}
	return Input{
		Records: recs,
		Final: final(map[SectionRef]SeatMap{
			hot: reservedMap(10, map[string]string{
				"A-1": SeatSold, "A-2": SeatSold, "A-3": SeatHeld, "A-4": SeatHeld,
				"A-5": SeatHeld, "A-6": SeatHeld, "A-9": SeatHeld,
			}),
			ga: {Kind: KindGeneralAdmission, Capacity: 5, Sold: 2, Held: 3, Available: 0, ReadStart: ms(10_000), ReadEnd: ms(10_001)},
		}, map[string]OrderRead{
			"o1": confirmedRead("o1", "h1", "ann", []string{"A-1", "A-2"}),
			"o2": cancelled,
			"o3": gaOrder,
		}),
	}
}

func TestCleanHistoryPasses(t *testing.T) {
	in := cleanHistory()
	rep := Check(in, Options{})
	if !rep.OK() {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Fatalf("clean history reported violations:\n%s", b.String())
	}
	if rep.Holds != 12 || rep.Orders != 3 || rep.UnknownOutcomes != 3 || rep.Resolved != 1 {
		t.Errorf("counts: holds %d orders %d unknown %d resolved %d", rep.Holds, rep.Orders, rep.UnknownOutcomes, rep.Resolved)
	}
	if rep.SeatsChecked != 10 || rep.OrdersChecked != 3 {
		t.Errorf("checked %d seats, %d orders", rep.SeatsChecked, rep.OrdersChecked)
	}
}

func TestCleanHistoryStaysCleanWhenTheUnknownHoldTookNothing(t *testing.T) {
	in := cleanHistory()
	in.Final.SeatMaps[hot].Seats["A-9"] = SeatAvailable
	if rep := Check(in, Options{}); !rep.OK() {
		t.Fatalf("violations: %v", rep.Violations)
	}
}

func TestDoubleSale(t *testing.T) {
	seat := []string{"A-1"}
	in := Input{
		Records: []Record{
			holdOK("ann", hot, "h1", seat, 0, 10),
			confirmOK("ann", "h1", "o1", seat, 20, 30),
			holdOK("bob", hot, "h2", seat, 15, 25),
			confirmOK("bob", "h2", "o2", seat, 40, 50),
		},
		Final: final(map[SectionRef]SeatMap{hot: reservedMap(4, map[string]string{"A-1": SeatSold})},
			map[string]OrderRead{
				"o1": confirmedRead("o1", "h1", "ann", seat),
				"o2": confirmedRead("o2", "h2", "bob", seat),
			}),
	}
	rep := Check(in, Options{})
	wantKinds(t, rep, DoubleSale)
	for _, v := range rep.Violations {
		if v.Seat != "A-1" {
			t.Errorf("violation names seat %q: %v", v.Seat, v)
		}
	}
}

func TestSeatHeldByTwoAtOnce(t *testing.T) {
	in := Input{
		Records: []Record{
			holdOK("ann", hot, "h1", []string{"A-5", "A-6"}, 0, 10),
			holdOK("bob", hot, "h2", []string{"A-5"}, 20, 30),
		},
		Final: final(map[SectionRef]SeatMap{hot: reservedMap(8, map[string]string{"A-5": SeatHeld, "A-6": SeatHeld})}, nil),
	}
	rep := Check(in, Options{})
	wantKinds(t, rep, DoubleHold)
	if v := rep.Violations[0]; v.Seat != "A-5" || len(v.Holds) != 2 {
		t.Errorf("violation %v", v)
	}
}

func TestHoldAfterReleaseOrExpiryIsNoOverlap(t *testing.T) {
	expiring := holdOK("ann", hot, "h1", []string{"A-1"}, 0, 10)
	expiring.ExpiresAt = ms(5000)
	in := Input{
		Records: []Record{
			expiring,
			holdOK("bob", hot, "h2", []string{"A-1"}, 7500, 7510),
			holdOK("cat", hot, "h3", []string{"A-2"}, 0, 10),
			op(OpRelease, "cat", "h3", "", 20, 30, 200, ""),
			holdOK("dan", hot, "h4", []string{"A-2"}, 25, 35),
		},
		Final: final(map[SectionRef]SeatMap{hot: reservedMap(2, map[string]string{"A-1": SeatHeld, "A-2": SeatHeld})}, nil),
	}
	if rep := Check(in, Options{}); !rep.OK() {
		t.Fatalf("violations: %v", rep.Violations)
	}
	// The same second hold inside the first one's lifetime is a double hold.
	in.Records[1] = holdOK("bob", hot, "h2", []string{"A-1"}, 500, 510)
	wantKinds(t, Check(in, Options{}), DoubleHold)
}

func TestOversoldGeneralAdmission(t *testing.T) {
	in := Input{
		Records: []Record{
			gaHoldOK("ann", "g1", 3, 0, 10),
			gaHoldOK("bob", "g2", 2, 5, 15),
		},
		Final: final(map[SectionRef]SeatMap{
			ga: {Kind: KindGeneralAdmission, Capacity: 4, Held: 5, Available: -1},
		}, nil),
	}
	wantKinds(t, Check(in, Options{}), GAOversold)

	// Within capacity over time but a final map that does not add up.
	in.Records[1] = gaHoldOK("bob", "g2", 1, 5, 15)
	in.Final.SeatMaps[ga] = SeatMap{Kind: KindGeneralAdmission, Capacity: 4, Held: 4, Available: 1}
	wantKinds(t, Check(in, Options{}), GACounts)
}

func TestLostConfirmedOrder(t *testing.T) {
	seats := []string{"A-1", "A-2"}
	base := func() Input {
		return Input{
			Records: []Record{
				holdOK("ann", hot, "h1", seats, 0, 10),
				confirmOK("ann", "h1", "o1", seats, 20, 30),
			},
			Final: final(map[SectionRef]SeatMap{hot: reservedMap(4, map[string]string{"A-1": SeatSold, "A-2": SeatSold})},
				map[string]OrderRead{"o1": confirmedRead("o1", "h1", "ann", seats)}),
		}
	}
	if rep := Check(base(), Options{}); !rep.OK() {
		t.Fatalf("baseline has violations: %v", rep.Violations)
	}

	notFound := base()
	notFound.Final.Orders["o1"] = OrderRead{Status: 404, Code: "NOT_FOUND"}
	wantKinds(t, Check(notFound, Options{}), LostOrder)

	seatsFreed := base()
	seatsFreed.Final.SeatMaps[hot].Seats["A-2"] = SeatAvailable
	wantKinds(t, Check(seatsFreed, Options{}), LostOrder)

	cancelled := base()
	rd := cancelled.Final.Orders["o1"]
	rd.Order.Status = OrderCancelled
	cancelled.Final.Orders["o1"] = rd
	cancelled.Final.SeatMaps[hot].Seats["A-1"] = SeatAvailable
	cancelled.Final.SeatMaps[hot].Seats["A-2"] = SeatAvailable
	wantKinds(t, Check(cancelled, Options{}), LostOrder)

	otherSeats := base()
	rd = otherSeats.Final.Orders["o1"]
	rd.Order.Seats = []string{"A-1", "A-3"}
	otherSeats.Final.Orders["o1"] = rd
	wantKinds(t, Check(otherSeats, Options{}), OrderMismatch)
}

func TestFinalMapNotExplainedByRecords(t *testing.T) {
	in := Input{
		Records: []Record{holdOK("ann", hot, "h1", []string{"A-1"}, 0, 10), op(OpRelease, "ann", "h1", "", 20, 30, 200, "")},
		Final:   final(map[SectionRef]SeatMap{hot: reservedMap(4, map[string]string{"A-3": SeatSold})}, nil),
	}
	wantKinds(t, Check(in, Options{}), UnexplainedSold)

	in.Final.SeatMaps[hot] = reservedMap(4, map[string]string{"A-1": SeatHeld})
	wantKinds(t, Check(in, Options{}), UnexplainedHeld)

	// A seat taken before the run is not the run's doing.
	in.Initial = map[SectionRef]SeatMap{hot: reservedMap(4, map[string]string{"A-1": SeatHeld})}
	if rep := Check(in, Options{}); !rep.OK() {
		t.Fatalf("initially held seat blamed: %v", rep.Violations)
	}
}

func TestReleasedSeatMustBeAvailable(t *testing.T) {
	in := Input{
		Records: []Record{
			holdOK("ann", hot, "h1", []string{"A-1"}, 0, 10),
			confirmOK("ann", "h1", "o1", []string{"A-1"}, 20, 30),
			op(OpCancel, "ann", "", "o1", 40, 50, 200, ""),
		},
		Final: final(map[SectionRef]SeatMap{hot: reservedMap(2, map[string]string{"A-1": SeatSold})},
			map[string]OrderRead{"o1": {Status: 200, Order: Order{ID: "o1", HoldID: "h1", UserID: "ann", Seats: []string{"A-1"}, Status: OrderCancelled}}}),
	}
	wantKinds(t, Check(in, Options{}), UnexplainedSold)
	in.Final.SeatMaps[hot].Seats["A-1"] = SeatAvailable
	if rep := Check(in, Options{}); !rep.OK() {
		t.Fatalf("violations: %v", rep.Violations)
	}
}

func TestLiveHoldMissingFromFinalMap(t *testing.T) {
	in := Input{
		Records: []Record{holdOK("ann", hot, "h1", []string{"A-1"}, 0, 10)},
		Final:   final(map[SectionRef]SeatMap{hot: reservedMap(2, nil)}, nil),
	}
	wantKinds(t, Check(in, Options{}), LostHold)
	// Once its expiry has passed, an available seat is what it should be.
	in.Records[0].ExpiresAt = ms(5000)
	if rep := Check(in, Options{}); !rep.OK() {
		t.Fatalf("violations: %v", rep.Violations)
	}
}

func TestUnknownConfirmSettledByReadBack(t *testing.T) {
	seats := []string{"A-1"}
	unknown := op(OpConfirm, "ann", "h1", "", 20, 5020, 0, "")
	in := Input{
		Records: []Record{holdOK("ann", hot, "h1", seats, 0, 10), unknown},
		Final:   final(map[SectionRef]SeatMap{hot: reservedMap(2, map[string]string{"A-1": SeatSold})}, nil),
	}
	// Not read back: sold is one of the possibilities.
	if rep := Check(in, Options{}); !rep.OK() {
		t.Fatalf("violations: %v", rep.Violations)
	}
	// Read back without an order: the sale is unexplained, and the live hold is gone.
	in.Final.UserOrders["ann"] = nil
	wantKinds(t, Check(in, Options{}), UnexplainedSold, LostHold)
	// Read back with the order: settled.
	in.Final.UserOrders["ann"] = []Order{{ID: "o9", HoldID: "h1", EventID: hot.EventID, SectionID: hot.SectionID, UserID: "ann", Seats: seats, Status: OrderConfirmed}}
	rep := Check(in, Options{})
	if !rep.OK() || rep.Resolved != 1 {
		t.Fatalf("resolved %d, violations: %v", rep.Resolved, rep.Violations)
	}
}

func TestOrderWithoutAConfirm(t *testing.T) {
	in := Input{
		Records: []Record{
			holdOK("ann", hot, "h1", []string{"A-1"}, 0, 10),
			op(OpConfirm, "ann", "h1", "", 20, 30, 402, CodePaymentDeclined),
		},
		Final: final(map[SectionRef]SeatMap{hot: reservedMap(2, map[string]string{"A-1": SeatHeld})}, nil),
	}
	in.Final.UserOrders["ann"] = []Order{{ID: "o1", HoldID: "h1", EventID: hot.EventID, SectionID: hot.SectionID, UserID: "ann", Seats: []string{"A-1"}, Status: OrderConfirmed}}
	wantKinds(t, Check(in, Options{}), UnexplainedOrder)
}

func TestHoldAnswerMismatch(t *testing.T) {
	bad := holdOK("ann", hot, "h1", []string{"A-1", "A-2"}, 0, 10)
	bad.GotSeats = []string{"A-1", "A-3"}
	in := Input{
		Records: []Record{bad},
		Final:   final(map[SectionRef]SeatMap{hot: reservedMap(3, map[string]string{"A-1": SeatHeld, "A-3": SeatHeld})}, nil),
	}
	wantKinds(t, Check(in, Options{}), HoldMismatch)

	reused := holdOK("bob", hot, "h1", []string{"A-1", "A-3"}, 20, 30)
	reused.Seats = []string{"A-1", "A-3"}
	in.Records[0].Seats = []string{"A-1", "A-3"}
	in.Records = append(in.Records, reused)
	wantKinds(t, Check(in, Options{}), HoldIDReused)
}

func TestClassify(t *testing.T) {
	for status, want := range map[int]Outcome{
		200: OK, 201: OK, 402: Refused, 409: Refused, 410: Refused, 429: Refused,
		408: Unknown, 500: Unknown, 503: Unknown, 0: Unknown,
	} {
		if got := Classify(status); got != want {
			t.Errorf("Classify(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestReportText(t *testing.T) {
	in := Input{
		Records: []Record{holdOK("ann", hot, "h1", []string{"A-1"}, 0, 10), holdOK("bob", hot, "h2", []string{"A-1"}, 20, 30)},
		Final:   final(map[SectionRef]SeatMap{hot: reservedMap(1, map[string]string{"A-1": SeatHeld})}, nil),
	}
	var b strings.Builder
	if err := Check(in, Options{}).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "FAIL") || !strings.Contains(out, "double_hold") || !strings.Contains(out, "A-1") {
		t.Errorf("report text:\n%s", out)
	}
}

func TestMaxListedBoundsTheListNotTheCount(t *testing.T) {
	var recs []Record
	taken := map[string]string{}
	for i := 1; i <= 30; i++ {
		seat := "A-" + itoa(i)
		recs = append(recs, holdOK("ann", hot, "a"+itoa(i), []string{seat}, 0, 10), holdOK("bob", hot, "b"+itoa(i), []string{seat}, 20, 30))
		taken[seat] = SeatHeld
	}
	rep := Check(Input{Records: recs, Final: final(map[SectionRef]SeatMap{hot: reservedMap(30, taken)}, nil)}, Options{MaxListed: 5})
	if rep.Counts[DoubleHold] != 30 || len(rep.Violations) != 5 {
		t.Errorf("counted %d, listed %d", rep.Counts[DoubleHold], len(rep.Violations))
	}
	_ = time.Second
}

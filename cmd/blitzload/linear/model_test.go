package linear

import (
	"slices"
	"testing"
)

func TestStep(t *testing.T) {
	avail := available()
	held := seatState{Status: StatusHeld, Hold: "h1"}
	heldOther := seatState{Status: StatusHeld, Hold: "h2"}
	heldUnknown := seatState{Status: StatusHeld}
	sold := seatState{Status: StatusSold, Order: "o1"}
	soldOther := seatState{Status: StatusSold, Order: "o2"}
	soldUnknown := seatState{Status: StatusSold}
	h1 := input{Kind: KindHold, Hold: "h1"}
	hNoID := input{Kind: KindHold}
	rel := input{Kind: KindRelease, Hold: "h1"}
	conf := input{Kind: KindConfirm, Hold: "h1", Order: "o1"}
	confNoOrder := input{Kind: KindConfirm, Hold: "h1"}
	canc := input{Kind: KindCancel, Order: "o1"}
	rd := input{Kind: KindRead}
	ok, refused, declined, unknown := output{Result: ResultOK}, output{Result: ResultRefused}, output{Result: ResultDeclined}, output{Result: ResultUnknown}
	saw := func(s string) output { return output{Result: ResultOK, Status: s} }

	tests := []struct {
		name string
		s    seatState
		in   input
		out  output
		want []seatState
	}{
		{"hold ok on available", avail, h1, ok, []seatState{held}},
		{"hold ok on held", heldOther, h1, ok, nil},
		{"hold ok on sold", sold, h1, ok, nil},
		{"hold refused on held", heldOther, h1, refused, []seatState{heldOther}},
		{"hold refused on sold", sold, h1, refused, []seatState{sold}},
		{"hold refused on available", avail, h1, refused, nil},
		{"hold unknown on available", avail, h1, unknown, []seatState{avail, held}},
		{"hold unknown without id", avail, hNoID, unknown, []seatState{avail, heldUnknown}},
		{"hold unknown on held", heldOther, h1, unknown, []seatState{heldOther}},
		{"hold declined", avail, h1, declined, nil},

		{"release ok of own hold", held, rel, ok, []seatState{avail}},
		{"release ok of other hold", heldOther, rel, ok, nil},
		{"release ok on available", avail, rel, ok, nil},
		{"release ok on sold", sold, rel, ok, nil},
		{"release refused on available", avail, rel, refused, []seatState{avail}},
		{"release refused on other hold", heldOther, rel, refused, []seatState{heldOther}},
		{"release refused on sold", sold, rel, refused, []seatState{sold}},
		{"release refused of own hold", held, rel, refused, nil},
		{"release unknown of own hold", held, rel, unknown, []seatState{held, avail}},
		{"release unknown elsewhere", heldOther, rel, unknown, []seatState{heldOther}},

		{"confirm ok of own hold", held, conf, ok, []seatState{sold}},
		{"confirm ok without order id", held, confNoOrder, ok, []seatState{soldUnknown}},
		{"confirm ok on available", avail, conf, ok, nil},
		{"confirm ok of other hold", heldOther, conf, ok, nil},
		{"confirm declined of own hold", held, conf, declined, []seatState{held}},
		{"confirm declined on available", avail, conf, declined, nil},
		{"confirm refused on available", avail, conf, refused, []seatState{avail}},
		{"confirm refused on sold", sold, conf, refused, []seatState{sold}},
		{"confirm refused of own hold", held, conf, refused, nil},
		{"confirm unknown of own hold", held, confNoOrder, unknown, []seatState{held, soldUnknown}},
		{"confirm unknown elsewhere", avail, conf, unknown, []seatState{avail}},

		{"cancel ok of own order", sold, canc, ok, []seatState{avail}},
		{"cancel ok of other order", soldOther, canc, ok, nil},
		{"cancel ok on held", held, canc, ok, nil},
		{"cancel refused on other order", soldOther, canc, refused, []seatState{soldOther}},
		{"cancel refused on available", avail, canc, refused, []seatState{avail}},
		{"cancel refused of own order", sold, canc, refused, nil},
		{"cancel unknown of own order", sold, canc, unknown, []seatState{sold, avail}},
		{"cancel unknown elsewhere", held, canc, unknown, []seatState{held}},

		{"read sees available", avail, rd, saw(StatusAvailable), []seatState{avail}},
		{"read sees held", held, rd, saw(StatusHeld), []seatState{held}},
		{"read sees sold", sold, rd, saw(StatusSold), []seatState{sold}},
		{"read wrong status", held, rd, saw(StatusAvailable), nil},
		{"read wrong status on sold", sold, rd, saw(StatusHeld), nil},
		{"read unanswered", sold, rd, unknown, []seatState{sold}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := step(tc.s, tc.in, tc.out)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("step(%v, %+v, %+v) = %v, want %v", tc.s, tc.in, tc.out, got, tc.want)
			}
		})
	}
}

func TestDescribeStep(t *testing.T) {
	tests := []struct {
		in   input
		out  output
		want string
	}{
		{input{Kind: KindHold, Hold: "h1"}, output{Result: ResultOK}, "hold(h1) -> ok"},
		{input{Kind: KindHold}, output{Result: ResultUnknown}, "hold(?) -> unknown"},
		{input{Kind: KindConfirm, Hold: "h1", Order: "o1"}, output{Result: ResultOK}, "confirm(h1→o1) -> ok"},
		{input{Kind: KindConfirm, Hold: "h1"}, output{Result: ResultDeclined}, "confirm(h1) -> declined"},
		{input{Kind: KindCancel, Order: "o1"}, output{Result: ResultRefused}, "cancel(o1) -> refused"},
		{input{Kind: KindRead}, output{Result: ResultOK, Status: StatusSold}, "read -> sold"},
	}
	for _, tc := range tests {
		if got := describeStep(tc.in, tc.out); got != tc.want {
			t.Errorf("describeStep(%+v, %+v) = %q, want %q", tc.in, tc.out, got, tc.want)
		}
	}
}

func TestSeatModelMergesEqualStates(t *testing.T) {
	m := seatModel()
	s := m.Init()
	// Two unknown holds without ids lead to the same state set as one.
	_, s1 := m.Step(s, input{Kind: KindHold}, output{Result: ResultUnknown})
	_, s2 := m.Step(s1, input{Kind: KindHold}, output{Result: ResultUnknown})
	if !m.Equal(s1, s2) || m.Hash(s1) != m.Hash(s2) {
		t.Fatalf("state sets %v and %v differ", s1, s2)
	}
	if ok, _ := m.Step(s, input{Kind: KindRelease, Hold: "h1"}, output{Result: ResultOK}); ok {
		t.Fatal("released a hold on an available seat")
	}
}

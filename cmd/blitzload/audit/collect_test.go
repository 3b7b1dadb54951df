package audit

import (
	"context"
	"errors"
	"sync"
	"testing"
)

type fakeReader struct {
	mu         sync.Mutex
	maps       map[SectionRef]SeatMap
	orders     map[string]OrderRead
	userOrders map[string][]Order
	userHolds  map[string][]Hold
	asked      []string
	failMaps   bool
}

func (f *fakeReader) note(s string) {
	f.mu.Lock()
	f.asked = append(f.asked, s)
	f.mu.Unlock()
}

func (f *fakeReader) SeatMap(_ context.Context, ref SectionRef) (SeatMap, error) {
	f.note("map " + ref.String())
	if f.failMaps {
		return SeatMap{}, errors.New("down")
	}
	return f.maps[ref], nil
}

func (f *fakeReader) Order(_ context.Context, user, id string) (OrderRead, error) {
	f.note("order " + id + " as " + user)
	if rd, ok := f.orders[id]; ok {
		return rd, nil
	}
	return OrderRead{Status: 404, Code: "NOT_FOUND"}, nil
}

func (f *fakeReader) UserOrders(_ context.Context, user string) ([]Order, error) {
	f.note("orders of " + user)
	return f.userOrders[user], nil
}

func (f *fakeReader) UserHolds(_ context.Context, user string) ([]Hold, error) {
	f.note("holds of " + user)
	return f.userHolds[user], nil
}

func TestCollectReadsWhatTheRecordsNeed(t *testing.T) {
	recs := []Record{
		holdOK("ann", hot, "h1", []string{"A-1"}, 0, 10),
		confirmOK("ann", "h1", "o1", []string{"A-1"}, 20, 30),
		holdOK("bob", hot, "h2", []string{"A-2"}, 0, 10),
		op(OpConfirm, "bob", "h2", "", 20, 5020, 0, ""),
		gaHoldOK("cat", "g1", 2, 0, 10),
		holdFailed("dan", hot, []string{"A-2"}, 0, 10, 503),
		holdFailed("eve", hot, []string{"A-2"}, 0, 5000, 0),
	}
	recs[len(recs)-1].EventID = ga.EventID
	r := &fakeReader{
		maps: map[SectionRef]SeatMap{
			hot: reservedMap(2, map[string]string{"A-1": SeatSold, "A-2": SeatSold}),
			ga:  {Kind: KindGeneralAdmission, Capacity: 4, Held: 2, Available: 2, ReadStart: ms(10_000), ReadEnd: ms(10_001)},
		},
		orders: map[string]OrderRead{"o1": confirmedRead("o1", "h1", "ann", []string{"A-1"})},
		userOrders: map[string][]Order{"bob": {{ID: "o2", HoldID: "h2", EventID: hot.EventID, SectionID: hot.SectionID,
			UserID: "bob", Seats: []string{"A-2"}, Status: OrderConfirmed}}},
	}
	f, err := Collect(context.Background(), r, recs, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"map ev1/hot": true, "map ev1/floor": true, "order o1 as ann": true, "orders of bob": true,
		"holds of dan": true, "holds of eve": true}
	if len(r.asked) != len(want) {
		t.Errorf("asked %v", r.asked)
	}
	for _, a := range r.asked {
		if !want[a] {
			t.Errorf("unexpected read %q", a)
		}
	}
	rep := Check(Input{Records: recs, Final: f}, Options{})
	if !rep.OK() || rep.Resolved != 1 || rep.Orders != 2 {
		t.Errorf("audit over the collected state: resolved %d, orders %d, %v", rep.Resolved, rep.Orders, rep.Violations)
	}

	r.failMaps = true
	if _, err := Collect(context.Background(), r, recs, 4); err == nil {
		t.Error("a seat map that cannot be read must fail the collection")
	}
}

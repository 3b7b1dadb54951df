package audit

import (
	"strings"
	"testing"
)

// TestPhantomHoldRule: a fan told 503 for a hold, who holds at the end a hold no request
// was answered with, has a phantom hold; so has a fan whose request got no answer. A hold
// answered 201 (to a retry, say) is none, nor is a hold in a section where the fan was
// never left without an answer, nor one of a user whose holds were not read.
func TestPhantomHoldRule(t *testing.T) {
	phantom := Hold{ID: "h9", EventID: hot.EventID, SectionID: hot.SectionID, UserID: "ann", Seats: []string{"A-1"}, Quantity: 1, Status: SeatHeld}
	recs := []Record{holdFailed("ann", hot, []string{"A-1"}, 0, 100, 503)}
	f := final(map[SectionRef]SeatMap{hot: reservedMap(3, map[string]string{"A-1": SeatHeld})}, nil)
	f.UserHolds = map[string][]Hold{"ann": {phantom}}
	rep := Check(Input{Records: recs, Final: f}, Options{})
	wantKinds(t, rep, PhantomHold)
	if v := rep.Violations[0]; len(v.Holds) != 1 || v.Holds[0] != "h9" || !strings.Contains(v.Detail, "A-1 held") {
		t.Errorf("violation %v", v)
	}

	t.Run("no answer", func(t *testing.T) {
		recs := []Record{holdFailed("ann", hot, []string{"A-1"}, 0, 5000, 0)}
		wantKinds(t, Check(Input{Records: recs, Final: f}, Options{}), PhantomHold)
	})
	t.Run("answered to a retry", func(t *testing.T) {
		retried := holdOK("ann", hot, "h9", []string{"A-1"}, 200, 300)
		retried.IdempotencyKey = recs[0].IdempotencyKey
		wantKinds(t, Check(Input{Records: append([]Record{retried}, recs...), Final: f}, Options{}))
	})
	t.Run("another section", func(t *testing.T) {
		other := recs[0]
		other.SectionID = "elsewhere"
		wantKinds(t, Check(Input{Records: []Record{other}, Final: f}, Options{}))
	})
	t.Run("holds not read", func(t *testing.T) {
		unread := f
		unread.UserHolds = nil
		wantKinds(t, Check(Input{Records: recs, Final: unread}, Options{}))
	})
}

package actors

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

func invalidFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	e, ok := AsError(err)
	if !ok || e.Code != CodeValidation {
		t.Fatalf("error %v is not VALIDATION_FAILED", err)
	}
	var fields []string
	for f, problem := range e.Fields {
		if problem == "" {
			t.Errorf("field %s has no problem text", f)
		}
		fields = append(fields, f)
	}
	sort.Strings(fields)
	return fields
}

func TestHoldRequestValidate(t *testing.T) {
	many := make([]string, MaxSeatsPerHold+1)
	for i := range many {
		many[i] = SeatID("A", i+1)
	}
	ok := HoldRequest{EventID: "e", SectionID: "A", UserID: "u"}
	with := func(edit func(*HoldRequest)) HoldRequest { r := ok; edit(&r); return r }
	tests := []struct {
		name string
		r    HoldRequest
		want []string
	}{
		{"quantity", with(func(r *HoldRequest) { r.Quantity = MaxSeatsPerHold }), nil},
		{"seats", with(func(r *HoldRequest) { r.Seats = []string{"A-1", "ZZZ-500"} }), nil},
		{"empty seats with a quantity", with(func(r *HoldRequest) { r.Seats = []string{}; r.Quantity = 2 }), nil},
		{"accessible quantity", with(func(r *HoldRequest) { r.Quantity = 2; r.Accessible = true }), nil},
		{"no user", with(func(r *HoldRequest) { r.UserID = ""; r.Quantity = 1 }), []string{"user_id"}},
		{"no section", with(func(r *HoldRequest) { r.SectionID = ""; r.Quantity = 1 }), []string{"section_id"}},
		{"bad section", with(func(r *HoldRequest) { r.SectionID = "a/b"; r.Quantity = 1 }), []string{"section_id"}},
		{"neither", ok, []string{"quantity"}},
		{"both", with(func(r *HoldRequest) { r.Seats = []string{"A-1"}; r.Quantity = 1 }), []string{"quantity", "seats"}},
		{"empty seats", with(func(r *HoldRequest) { r.Seats = []string{} }), []string{"seats"}},
		{"too many seats", with(func(r *HoldRequest) { r.Seats = many }), []string{"seats"}},
		{"too many", with(func(r *HoldRequest) { r.Quantity = MaxSeatsPerHold + 1 }), []string{"quantity"}},
		{"negative", with(func(r *HoldRequest) { r.Quantity = -1 }), []string{"quantity"}},
		{"duplicate", with(func(r *HoldRequest) { r.Seats = []string{"A-1", "A-1"} }), []string{"seats[1]"}},
		{"malformed", with(func(r *HoldRequest) { r.Seats = []string{"A_1", "A-2", "A-01"} }), []string{"seats[0]", "seats[2]"}},
		{"accessible seats", with(func(r *HoldRequest) { r.Seats = []string{"A-1"}; r.Accessible = true }), []string{"accessible"}},
	}
	for _, tt := range tests {
		if got := invalidFields(t, tt.r.Validate()); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: fields %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUnknownSeatsNamesEverySeat(t *testing.T) {
	e := UnknownSeats("A-9", "Z-1")
	if e.Code != CodeValidation || !strings.Contains(e.Fields["seats"], "A-9, Z-1") {
		t.Fatalf("UnknownSeats = %v", e)
	}
}

package actors

import "testing"

func TestParseSeatID(t *testing.T) {
	tests := []struct {
		in      string
		row     string
		num     int
		wantErr bool
	}{
		{"A-1", "A", 1, false},
		{"AA-120", "AA", 120, false},
		{"row7-3", "row7", 3, false},
		{"A-0", "", 0, true},
		{"A-01", "", 0, true},
		{"A-", "", 0, true},
		{"-1", "", 0, true},
		{"A1", "", 0, true},
		{"A--1", "", 0, true},
		{"A-1x", "", 0, true},
		{"ABCDEFGHI-1", "", 0, true},
		{"A-123456", "", 0, true},
		{"", "", 0, true},
		{"Ä-1", "", 0, true},
	}
	for _, tt := range tests {
		row, num, err := ParseSeatID(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSeatID(%q) err = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if row != tt.row || num != tt.num {
			t.Errorf("ParseSeatID(%q) = %q, %d; want %q, %d", tt.in, row, num, tt.row, tt.num)
		}
		if err == nil && SeatID(row, num) != tt.in {
			t.Errorf("SeatID round trip of %q gave %q", tt.in, SeatID(row, num))
		}
	}
}

func FuzzParseSeatID(f *testing.F) {
	for _, s := range []string{"A-1", "AA-20", "A-0", "-", "A--1", "Z9-99999", "a-b-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		row, num, err := ParseSeatID(s)
		if err != nil {
			return
		}
		if num < 1 || !ValidRowLabel(row) {
			t.Fatalf("accepted %q as %q/%d", s, row, num)
		}
		if SeatID(row, num) != s {
			t.Fatalf("round trip %q -> %q", s, SeatID(row, num))
		}
	})
}

func TestRowLabel(t *testing.T) {
	for i, want := range map[int]string{0: "A", 1: "B", 25: "Z", 26: "AA", 27: "AB", 39: "AN", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := RowLabel(i); got != want {
			t.Errorf("RowLabel(%d) = %q, want %q", i, got, want)
		}
	}
}

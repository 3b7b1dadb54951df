package actors

import (
	"reflect"
	"strings"
	"testing"
)

// layout builds seats from one string per row: '.' free, 'x' taken, 'a' free accessible,
// 'A' taken accessible. Rows are labelled A, B, … and seats numbered from 1.
func layout(rows ...string) []Seat {
	var seats []Seat
	for r, line := range rows {
		label := string(rune('A' + r))
		for i, c := range line {
			s := Seat{ID: SeatID(label, i+1), Row: label, RowIndex: r, Number: i + 1, Status: SeatAvailable}
			switch c {
			case 'x':
				s.Status = SeatHeld
			case 'a':
				s.Accessible = true
			case 'A':
				s.Accessible, s.Status = true, SeatSold
			}
			seats = append(seats, s)
		}
	}
	return seats
}

func TestBestAvailable(t *testing.T) {
	tests := []struct {
		name       string
		rows       []string
		qty        int
		accessible bool
		want       string // comma-separated ids, "" for not ok
	}{
		{"centre of the front row", []string{"..........", ".........."}, 2, false, "A-5,A-6"},
		{"odd row centre", []string{"........."}, 3, false, "A-4,A-5,A-6"},
		{"front row full goes back", []string{"xxxxxxxxxx", ".........."}, 4, false, "B-4,B-5,B-6,B-7"},
		{"adjacent beats front", []string{"x.x.x.x.x.", "......"}, 2, false, "B-3,B-4"},
		{"no single gap between taken seats", []string{"x...x....."}, 2, false, "A-6,A-7"},
		{"avoid inner single even if off centre", []string{"xx...xxxxx", "xxxx....xx"}, 2, false, "B-5,B-6"},
		{"inner single when no other choice", []string{"x...x"}, 2, false, "A-2,A-3"},
		{"fills a gap exactly", []string{"xx..xxxxxx", ".........."}, 2, false, "A-3,A-4"},
		{"accessible only when asked", []string{"aa........"}, 2, false, "A-5,A-6"},
		{"accessible when asked", []string{"aa........"}, 2, true, "A-1,A-2"},
		{"accessible sold", []string{"AA........"}, 1, true, ""},
		{"split when no row fits", []string{"..x..", "...xx"}, 4, false, "B-1,B-2,B-3,A-1"},
		{"not enough", []string{"xx.xx"}, 2, false, ""},
		{"exactly the rest", []string{"x.x.x"}, 2, false, "A-2,A-4"},
		{"single seat", []string{"x........x"}, 1, false, "A-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := BestAvailable(layout(tt.rows...), tt.qty, tt.accessible)
			if tt.want == "" {
				if ok {
					t.Fatalf("got %v, want none", got)
				}
				return
			}
			if !ok {
				t.Fatalf("got none, want %s", tt.want)
			}
			if !reflect.DeepEqual(got, strings.Split(tt.want, ",")) {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
		})
	}
}

// TestBestAvailableNeverStrandsWhenAvoidable checks the single-gap rule exhaustively
// on every 8-seat row pattern: if some block leaves no inner single, the chosen one doesn't.
func TestBestAvailableNeverStrandsWhenAvoidable(t *testing.T) {
	const n = 8
	for mask := 0; mask < 1<<n; mask++ {
		row := []byte(strings.Repeat(".", n))
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				row[i] = 'x'
			}
		}
		for qty := 1; qty <= 3; qty++ {
			seats := layout(string(row))
			got, ok := BestAvailable(seats, qty, false)
			if !ok {
				continue
			}
			avoidable := false
			for s := 0; s+qty <= n; s++ {
				if blockFree(row, s, qty) && !leavesInnerSingle(row, s, qty) {
					avoidable = true
				}
			}
			start := int(got[0][2]-'0') - 1
			if len(got) == qty && contiguous(got) && avoidable && leavesInnerSingle(row, start, qty) {
				t.Fatalf("row %s qty %d: chose %v, leaving an inner single", row, qty, got)
			}
		}
	}
}

func blockFree(row []byte, s, qty int) bool {
	for i := s; i < s+qty; i++ {
		if row[i] != '.' {
			return false
		}
	}
	return true
}

// leavesInnerSingle reports whether taking qty seats from s creates a new lone free
// seat between two taken ones.
func leavesInnerSingle(row []byte, s, qty int) bool {
	r := append([]byte(nil), row...)
	for i := s; i < s+qty; i++ {
		r[i] = 'x'
	}
	return innerSingles(r) > innerSingles(row)
}

func innerSingles(r []byte) int {
	n := 0
	for i := 1; i+1 < len(r); i++ {
		if r[i] == '.' && r[i-1] == 'x' && r[i+1] == 'x' {
			n++
		}
	}
	return n
}

func contiguous(ids []string) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i][2] != ids[i-1][2]+1 {
			return false
		}
	}
	return true
}

func TestBestAvailableCandidates(t *testing.T) {
	tests := []struct {
		name       string
		rows       []string
		qty        int
		accessible bool
		k          int
		want       []string // one comma-separated block per candidate, best first
	}{
		{"centre first, then row ends rather than stranding one", []string{"......", "......"}, 1, false, 4,
			[]string{"A-3", "A-4", "A-1", "A-6"}},
		{"front row first, never its centre when that strands both ends", []string{"...", "...."}, 1, false, 4,
			[]string{"A-1", "A-3", "B-1", "B-4"}},
		{"pairs, overlapping, best first", []string{"......"}, 2, false, 5,
			[]string{"A-3,A-4", "A-1,A-2", "A-5,A-6", "A-2,A-3", "A-4,A-5"}},
		{"inner singles last", []string{"x...x....."}, 2, false, 3,
			[]string{"A-6,A-7", "A-9,A-10", "A-8,A-9"}},
		{"k bounds the list", []string{".........."}, 3, false, 2,
			[]string{"A-4,A-5,A-6", "A-5,A-6,A-7"}},
		{"fewer blocks than k", []string{"xx..xxxxxx"}, 2, false, 8, []string{"A-3,A-4"}},
		{"accessible only when asked", []string{"aa..."}, 1, true, 5, []string{"A-2", "A-1"}},
		{"split party when no row fits", []string{"..x..", "...xx"}, 4, false, 8, []string{"B-1,B-2,B-3,A-1"}},
		{"sold out", []string{"xx.xx"}, 2, false, 8, nil},
		{"no k", []string{"....."}, 1, false, 0, nil},
		{"no quantity", []string{"....."}, 0, false, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BestAvailableCandidates(layout(tt.rows...), tt.qty, tt.accessible, tt.k)
			var flat []string
			for _, c := range got {
				flat = append(flat, strings.Join(c, ","))
			}
			if !reflect.DeepEqual(flat, tt.want) {
				t.Fatalf("got %q, want %q", flat, tt.want)
			}
		})
	}
}

// TestBestAvailableCandidatesStartWithBestAvailable: on every 8-seat two-row pattern, the
// first candidate is BestAvailable's choice, and no candidate is a taken or ineligible seat.
func TestBestAvailableCandidatesStartWithBestAvailable(t *testing.T) {
	const n = 8
	for mask := 0; mask < 1<<(2*n); mask += 7 {
		rows := []string{"", ""}
		for r := range 2 {
			row := []byte(strings.Repeat(".", n))
			for i := range n {
				if mask&(1<<(r*n+i)) != 0 {
					row[i] = 'x'
				}
			}
			rows[r] = string(row)
		}
		seats := layout(rows...)
		free := map[string]bool{}
		for _, s := range seats {
			free[s.ID] = s.Status == SeatAvailable
		}
		for qty := 1; qty <= 4; qty++ {
			best, ok := BestAvailable(seats, qty, false)
			got := BestAvailableCandidates(seats, qty, false, 6)
			if !ok {
				if got != nil {
					t.Fatalf("rows %v qty %d: candidates %v, BestAvailable none", rows, qty, got)
				}
				continue
			}
			if len(got) == 0 || !reflect.DeepEqual(got[0], best) {
				t.Fatalf("rows %v qty %d: first candidate %v, BestAvailable %v", rows, qty, got, best)
			}
			for _, c := range got {
				if len(c) != qty {
					t.Fatalf("rows %v qty %d: candidate %v", rows, qty, c)
				}
				for _, id := range c {
					if !free[id] {
						t.Fatalf("rows %v qty %d: candidate %v takes %s", rows, qty, c, id)
					}
				}
			}
		}
	}
}

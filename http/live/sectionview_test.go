package live

import (
	"reflect"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestSectionViewApply(t *testing.T) {
	reserved := actors.SeatMap{SectionID: "A", Kind: actors.KindReserved, Version: 7, Seats: []actors.Seat{
		{ID: "A-1", Status: actors.SeatSold}, {ID: "A-2", Status: actors.SeatAvailable}, {ID: "A-3", Status: actors.SeatHeld},
	}}
	ga := actors.SeatMap{SectionID: "floor", Kind: actors.KindGeneralAdmission, Version: 3, Capacity: 500, Available: 490, Held: 6, Sold: 4}
	change := func(v int64, id string, st actors.SeatStatus) actors.SectionChanged {
		return actors.SectionChanged{Version: v, Kind: actors.KindReserved, Changes: []actors.SeatStatusChange{{ID: id, Status: st}}}
	}
	tests := []struct {
		name    string
		from    actors.SeatMap
		apply   []actors.SectionChanged
		results []applyResult
		want    any
	}{
		{
			name: "the next versions apply in order", from: reserved,
			apply:   []actors.SectionChanged{change(8, "A-2", actors.SeatHeld), change(9, "A-3", actors.SeatAvailable), change(10, "A-2", actors.SeatSold)},
			results: []applyResult{applied, applied, applied},
			want: reservedSectionJSON{SectionID: "A", Kind: "reserved", Version: 10, Seats: []seatJSON{
				{ID: "A-1", Status: "sold"}, {ID: "A-2", Status: "sold"}, {ID: "A-3", Status: "available"}}},
		},
		{
			name: "covered versions change nothing", from: reserved,
			apply:   []actors.SectionChanged{change(6, "A-2", actors.SeatHeld), change(7, "A-2", actors.SeatHeld)},
			results: []applyResult{covered, covered},
			want: reservedSectionJSON{SectionID: "A", Kind: "reserved", Version: 7, Seats: []seatJSON{
				{ID: "A-1", Status: "sold"}, {ID: "A-2", Status: "available"}, {ID: "A-3", Status: "held"}}},
		},
		{
			name: "a gap breaks the state", from: reserved,
			apply:   []actors.SectionChanged{change(9, "A-2", actors.SeatHeld)},
			results: []applyResult{broken},
		},
		{
			name: "an unknown seat breaks the state and changes nothing", from: reserved,
			apply: []actors.SectionChanged{{Version: 8, Kind: actors.KindReserved, Changes: []actors.SeatStatusChange{
				{ID: "A-2", Status: actors.SeatHeld}, {ID: "Z-9", Status: actors.SeatHeld}}}},
			results: []applyResult{broken},
			want: reservedSectionJSON{SectionID: "A", Kind: "reserved", Version: 7, Seats: []seatJSON{
				{ID: "A-1", Status: "sold"}, {ID: "A-2", Status: "available"}, {ID: "A-3", Status: "held"}}},
		},
		{
			name: "general admission takes the counters", from: ga,
			apply: []actors.SectionChanged{
				{Version: 4, Kind: actors.KindGeneralAdmission, Capacity: 500, Available: 488, Held: 8, Sold: 4},
				{Version: 5, Kind: actors.KindGeneralAdmission, Available: 487, Held: 8, Sold: 5},
			},
			results: []applyResult{applied, applied},
			want: capacitySectionJSON{SectionID: "floor", Kind: "general_admission", Version: 5,
				Capacity: 500, Available: 487, Held: 8, Sold: 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSectionView(tt.from)
			for i, ch := range tt.apply {
				if got := s.apply(ch); got != tt.results[i] {
					t.Fatalf("apply version %d = %d, want %d", ch.Version, got, tt.results[i])
				}
			}
			if tt.want == nil {
				return
			}
			if got := s.snapshotSection(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("state %+v, want %+v", got, tt.want)
			}
		})
	}
}

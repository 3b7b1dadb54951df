package scenario

import (
	"testing"
	"time"
)

func TestOrderViolations(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	sec := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	ms := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Millisecond) }
	fan := func(user string, pos int64, admitted, second, lastWaiting time.Time) QueueFanRecord {
		return QueueFanRecord{User: user, Position: pos, Admitted: admitted, AdmittedSecond: second, LastWaiting: lastWaiting}
	}
	tests := []struct {
		name string
		recs []QueueFanRecord
		want []OrderViolation
	}{
		{"in order", []QueueFanRecord{
			fan("a", 1, ms(10), sec(0), ms(5)),
			fan("b", 2, ms(1500), sec(1), ms(1200)),
			fan("c", 3, ms(1400), sec(1), ms(1300)), // seen before b, admitted in the same step: no proof
		}, nil},
		{"a later second for a smaller position", []QueueFanRecord{
			fan("a", 1, ms(2100), sec(2), time.Time{}),
			fan("b", 2, ms(1100), sec(1), time.Time{}),
			fan("c", 3, ms(2200), sec(2), time.Time{}),
		}, []OrderViolation{{Admitted: "b", Overtaken: "a", Evidence: "server"}}},
		{"still waiting after the other held its pass", []QueueFanRecord{
			fan("a", 1, ms(900), sec(0), ms(800)),
			fan("b", 2, ms(500), sec(0), time.Time{}),
		}, []OrderViolation{{Admitted: "b", Overtaken: "a", Evidence: "client"}}},
		{"never admitted, waiting after a larger position was let in", []QueueFanRecord{
			fan("a", 1, time.Time{}, time.Time{}, ms(3000)),
			fan("b", 2, ms(2000), sec(2), ms(100)),
		}, []OrderViolation{{Admitted: "b", Overtaken: "a", Evidence: "client"}}},
		{"no position: not judged", []QueueFanRecord{
			fan("a", 0, time.Time{}, time.Time{}, ms(3000)),
			fan("b", 2, ms(2000), sec(2), ms(100)),
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := OrderViolations(tt.recs)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("violation %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

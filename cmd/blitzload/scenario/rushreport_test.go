package scenario

import (
	"testing"
	"time"
)

func TestQueueRushFiguresAndAims(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	ms := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Millisecond) }
	// Two fans through the room: joins of 10 and 30 ms, holds of 5 and 50 ms, the
	// second done at 400 ms. Without the room: holds answered at 20 and 40 ms, done at
	// 100 ms.
	room := []QueueFanRecord{
		{User: "a", Position: 1, Follow: followWS, JoinStart: ms(0), JoinEnd: ms(10), JoinStatus: 201, Admitted: ms(100),
			HoldStart: ms(110), HoldEnd: ms(115), HoldID: "h_1", Done: ms(200)},
		{User: "b", Position: 2, Follow: followPoll, JoinStart: ms(0), JoinEnd: ms(30), JoinStatus: 201, Admitted: ms(300),
			HoldStart: ms(300), HoldEnd: ms(350), HoldCode: "SOLD_OUT", Done: ms(400), WSFailures: 1, WSError: "closed"},
	}
	plain := []QueueFanRecord{
		{User: "a", JoinStart: ms(0), JoinEnd: ms(20), JoinStatus: 201, HoldStart: ms(0), HoldEnd: ms(20), HoldID: "h_2", Done: ms(60)},
		{User: "b", JoinStart: ms(0), JoinEnd: ms(40), JoinStatus: 409, HoldStart: ms(0), HoldEnd: ms(40), Done: ms(100)},
	}
	tests := []struct {
		name     string
		bareP99  float64
		wantAims []bool
	}{
		// join p99 30 ms against 1.5 x 20 ms; hold p99 50 ms; makespan 400 ms against
		// 1.3 x 100 ms; no violation.
		{"a slow bare reference", 20, []bool{true, true, false, true}},
		{"a fast bare reference", 10, []bool{false, true, false, true}},
		{"no bare reference", 0, []bool{false, true, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &QueueRush{Order: "fifo", Fans: 2, Bare: BareResult{Latency: Spread{P99: tt.bareP99}}}
			q.summarize(room, plain, 1)
			if f := q.WithRoom.FirstAnswer; f.Count != 2 || f.P50 != 10 || f.P99 != 30 || f.Max != 30 {
				t.Errorf("joins %+v", f)
			}
			if h := q.WithRoom.Hold; h.P50 != 5 || h.P99 != 50 {
				t.Errorf("admitted holds %+v", h)
			}
			if q.WithRoom.MakespanMS != 400 || q.WithoutRoom.MakespanMS != 100 || q.WithRoom.Holds != 1 || q.WithoutRoom.Holds != 1 {
				t.Errorf("with the room %+v, without %+v", q.WithRoom, q.WithoutRoom)
			}
			// The room's one hold, answered at 115 ms, matches the one of the rush without it.
			if q.SameHoldsMS != 115 {
				t.Errorf("as many holds as without the room by %v ms, want 115", q.SameHoldsMS)
			}
			if q.Passes != 2 || q.AdmissionMS != 200 || q.WSFailures != 1 || q.Followed[followWS] != 1 || q.Followed[followPoll] != 1 {
				t.Errorf("passes %d over %v ms, ws failures %d, followed %v", q.Passes, q.AdmissionMS, q.WSFailures, q.Followed)
			}
			if len(q.Aims) != len(tt.wantAims) {
				t.Fatalf("aims %+v", q.Aims)
			}
			for i, a := range q.Aims {
				if a.Met != tt.wantAims[i] {
					t.Errorf("aim %q met=%v, want %v (%s)", a.Name, a.Met, tt.wantAims[i], a.Detail)
				}
			}
		})
	}
}

func TestSameHolds(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	ms := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Millisecond) }
	room := []QueueFanRecord{
		{JoinStart: ms(5), HoldID: "h_3", HoldEnd: ms(900)},
		{JoinStart: ms(0), HoldID: "h_1", HoldEnd: ms(300)},
		{JoinStart: ms(2), HoldCode: "SOLD_OUT", HoldEnd: ms(100)},
		{JoinStart: ms(1), HoldID: "h_2", HoldEnd: ms(500)},
	}
	for n, want := range map[int]float64{0: 0, 1: 300, 2: 500, 3: 900, 4: 0} {
		if got := sameHolds(room, firstJoin(room), n); got != want {
			t.Errorf("sameHolds(%d) = %v, want %v", n, got, want)
		}
	}
}

// The fans told sold out while they waited give when the room told it (the first of
// them) and when the last of them started following: the makespan's tail.
func TestSoldOutTellFigures(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	ms := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Millisecond) }
	told := func(user string, following, done int) QueueFanRecord {
		r := QueueFanRecord{User: user, JoinStart: ms(10), JoinEnd: ms(40), JoinStatus: 201, HoldCode: "SOLD_OUT", Done: ms(done)}
		if following > 0 {
			r.Following = ms(following)
		}
		return r
	}
	room := []QueueFanRecord{
		{User: "a", Position: 1, JoinStart: ms(0), JoinEnd: ms(30), JoinStatus: 201, Following: ms(30), Admitted: ms(500),
			HoldStart: ms(500), HoldEnd: ms(520), HoldID: "h_1", Done: ms(600)},
		told("b", 1000, 3000), // waited connected for the tell
		told("c", 3400, 3410), // followed after it
		told("d", 2000, 3020),
		told("e", 0, 40), // told at its join
	}
	q := &QueueRush{Order: "fifo", Fans: len(room)}
	q.summarize(room, nil, len(room))
	if q.SoldOutTold != 4 || q.SoldOutFirstMS != 40 || q.LastFollowMS != 3400 {
		t.Errorf("told %d, first told at %v ms, last following at %v ms; want 4, 40, 3400", q.SoldOutTold, q.SoldOutFirstMS, q.LastFollowMS)
	}
	q = &QueueRush{Order: "fifo", Fans: 1}
	q.summarize(room[:1], nil, 1)
	if q.SoldOutFirstMS != 0 || q.LastFollowMS != 0 {
		t.Errorf("nobody told: first told at %v ms, last following at %v ms; want 0, 0", q.SoldOutFirstMS, q.LastFollowMS)
	}
}

func TestJoinRankCorrelation(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	recs := func(positions ...int64) []QueueFanRecord {
		out := make([]QueueFanRecord, len(positions))
		for i, p := range positions { // fan i's join was answered i-th
			out[i] = QueueFanRecord{Position: p, JoinEnd: t0.Add(time.Duration(i) * time.Millisecond)}
		}
		return out
	}
	for _, tt := range []struct {
		positions []int64
		want      float64
	}{
		{[]int64{1, 2, 3, 4, 5}, 1},
		{[]int64{5, 4, 3, 2, 1}, -1},
		{[]int64{2, 1, 4, 3, 5}, 0.8},
		{[]int64{7}, 0},
	} {
		if got := joinRankCorrelation(recs(tt.positions...)); got != tt.want {
			t.Errorf("positions %v: %v, want %v", tt.positions, got, tt.want)
		}
	}
}

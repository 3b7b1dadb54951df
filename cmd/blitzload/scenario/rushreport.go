package scenario

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// The aims of a rush through the waiting room.
const (
	// AimJoinOverBare bounds the join's p99 by this multiple of the bare reference's.
	AimJoinOverBare = 1.5
	// AimAdmittedHoldP99 bounds the p99 of an admitted fan's hold, in milliseconds.
	AimAdmittedHoldP99 = 100.0
	// AimMakespanOverPlain bounds the room's makespan by this multiple of the rush's
	// without it.
	AimMakespanOverPlain = 1.3
)

// Spread is a latency distribution in milliseconds (nearest rank).
type Spread struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// spreadOf summarises ds.
func spreadOf(ds []time.Duration) Spread {
	if len(ds) == 0 {
		return Spread{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ds)))) - 1
		return msOf(ds[max(0, min(i, len(ds)-1))])
	}
	return Spread{Count: len(ds), P50: rank(0.50), P99: rank(0.99), Max: msOf(ds[len(ds)-1])}
}

func msOf(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// RushSide is one rush's figures: the room's or the plain one's.
type RushSide struct {
	// FirstAnswer is the time to first answer: the join through the room, the hold
	// without it.
	FirstAnswer Spread `json:"first_answer"`
	// Hold is the hold's latency, retries included (through the room: with the pass).
	Hold Spread `json:"hold"`
	// MakespanMS runs from the first fan's first request to the last fan done.
	MakespanMS float64 `json:"makespan_ms"`
	Holds      int     `json:"holds"`
	// Unanswered counts fans whose first request (retries included) got no answer.
	Unanswered int `json:"unanswered"`
}

// BareResult is the bare reference's rush: one JSON request per fan to a server that
// checks the token, decodes the body and answers from a map.
type BareResult struct {
	Answers     int     `json:"answers"`
	Errors      int     `json:"errors"`
	Latency     Spread  `json:"latency"`
	AnswersPerS float64 `json:"answers_per_s"`
}

// Aim is one aim with whether the run met it.
type Aim struct {
	Name   string `json:"name"`
	Met    bool   `json:"met"`
	Detail string `json:"detail"`
}

// QueueRush is the report of flash --queue.
type QueueRush struct {
	Order string          `json:"order"`
	Fans  int             `json:"fans"`
	Room  api.WaitingRoom `json:"room"`
	// Followed counts the fans by how they learned their pass: join, ws, poll.
	Followed map[string]int `json:"followed"`
	// WSFailures counts websocket connections that ended before their fan's pass (the
	// fan reconnected, or polled after cfg.Retries failures in a row); WSError is one
	// of their errors.
	WSFailures int    `json:"ws_failures"`
	WSError    string `json:"ws_error,omitempty"`
	// Watched is the room read once a second during the rush through it.
	Watched []RoomSample `json:"watched"`
	// AdmissionMS runs from the first fan holding a pass to the last.
	AdmissionMS float64 `json:"admission_ms"`
	// Passes counts the fans that got a pass; PassRefused the holds refused
	// QUEUE_REQUIRED despite one.
	Passes      int `json:"passes"`
	PassRefused int `json:"pass_refused"`
	// SoldOutTold counts the fans the room told the event was sold out before they got
	// a pass.
	SoldOutTold int `json:"sold_out_told"`
	// WalkedAway counts the fans admitted who walked away with their pass unused.
	WalkedAway int `json:"walked_away,omitempty"`
	// SoldOutFirstMS runs from the room's first join to the first of those fans told
	// so, about when the room told it; LastFollowMS to the last of them who started
	// following their tickets (their hints sent them): the makespan's tail is the
	// later of the two and the answer's way to the fans (zero when nobody was told).
	SoldOutFirstMS float64 `json:"sold_out_first_ms,omitempty"`
	LastFollowMS   float64 `json:"last_follow_ms,omitempty"`
	// Violations are the admission-order violations (OrderViolations).
	Violations []OrderViolation `json:"violations"`
	// ShuffleRank is, in a random room, the rank correlation between the order the
	// fans who joined before the opening joined in and their positions (near 0 when
	// shuffled, 1 in join order); JoinedBeforeOpening counts those fans.
	ShuffleRank         *float64 `json:"shuffle_rank,omitempty"`
	JoinedBeforeOpening int      `json:"joined_before_opening,omitempty"`
	// AfterOpenMS, in a room with an opens_at, runs from the opening to the last fan
	// done: the makespan without the wait the room imposes by design.
	AfterOpenMS float64 `json:"after_open_ms,omitempty"`
	// SameHoldsMS runs from the room's first join to the answer of the hold that
	// brought the room's holds to as many as the rush without it made in all (zero when
	// they never did): the room sells on as seats return (a winner's release, a
	// declined payment) to the fans still waiting, which the rush without it, whose
	// every fan was refused by then, does not, so its makespan covers more sales.
	SameHoldsMS float64    `json:"same_holds_ms,omitempty"`
	WithRoom    RushSide   `json:"with_room"`
	WithoutRoom RushSide   `json:"without_room"`
	Bare        BareResult `json:"bare"`
	Aims        []Aim      `json:"aims"`
}

// side summarises one rush's records.
func side(recs []QueueFanRecord) RushSide {
	var s RushSide
	var first, holds []time.Duration
	var start, end time.Time
	for _, r := range recs {
		if r.JoinStart.IsZero() {
			continue
		}
		if start.IsZero() || r.JoinStart.Before(start) {
			start = r.JoinStart
		}
		if r.Done.After(end) {
			end = r.Done
		}
		first = append(first, r.JoinEnd.Sub(r.JoinStart))
		if r.JoinStatus == 0 {
			s.Unanswered++
		}
		if !r.HoldEnd.IsZero() {
			holds = append(holds, r.HoldEnd.Sub(r.HoldStart))
		}
		if r.HoldID != "" {
			s.Holds++
		}
	}
	s.FirstAnswer, s.Hold = spreadOf(first), spreadOf(holds)
	s.MakespanMS = msOf(end.Sub(start))
	return s
}

// summarize fills the figures from the fans' records.
func (q *QueueRush) summarize(room, plain []QueueFanRecord, wsFans int) {
	q.WithRoom, q.WithoutRoom = side(room), side(plain)
	q.Followed = map[string]int{}
	var firstPass, lastPass, firstTold, lastFollow time.Time
	for _, r := range room {
		if r.Follow != "" {
			q.Followed[r.Follow]++
		}
		q.WSFailures += r.WSFailures
		if r.WSError != "" {
			q.WSError = r.WSError
		}
		if !r.Admitted.IsZero() {
			q.Passes++
			if firstPass.IsZero() || r.Admitted.Before(firstPass) {
				firstPass = r.Admitted
			}
			if r.Admitted.After(lastPass) {
				lastPass = r.Admitted
			}
		}
		if r.HoldCode == api.CodeQueueRequired {
			q.PassRefused++
		}
		if r.WalkedAway {
			q.WalkedAway++
		}
		if r.Admitted.IsZero() && r.HoldStart.IsZero() && r.HoldCode == api.CodeSoldOut {
			q.SoldOutTold++
			if firstTold.IsZero() || r.Done.Before(firstTold) {
				firstTold = r.Done
			}
			if r.Following.After(lastFollow) {
				lastFollow = r.Following
			}
		}
	}
	q.AdmissionMS = msOf(lastPass.Sub(firstPass))
	start := firstJoin(room)
	q.SameHoldsMS = sameHolds(room, start, q.WithoutRoom.Holds)
	if !start.IsZero() && !firstTold.IsZero() {
		q.SoldOutFirstMS = msOf(firstTold.Sub(start))
		if !lastFollow.IsZero() {
			q.LastFollowMS = msOf(lastFollow.Sub(start))
		}
	}
	q.Violations = OrderViolations(room)
	if q.Room.OpensAt != nil {
		var end time.Time
		for _, r := range room {
			if r.Done.After(end) {
				end = r.Done
			}
		}
		q.AfterOpenMS = msOf(end.Sub(*q.Room.OpensAt))
	}
	if q.Order == "random" && q.Room.OpensAt != nil {
		// Only the fans whose join was answered before the opening were shuffled; later
		// ones are placed after them in the order they join.
		var before []QueueFanRecord
		for _, r := range room {
			if r.JoinStatus != 0 && r.JoinEnd.Before(*q.Room.OpensAt) {
				before = append(before, r)
			}
		}
		rho := joinRankCorrelation(before)
		q.ShuffleRank, q.JoinedBeforeOpening = &rho, len(before)
	}
	bare := q.Bare.Latency.P99
	q.Aims = []Aim{
		{Name: fmt.Sprintf("join p99 <= %.1fx bare p99", AimJoinOverBare),
			Met:    bare > 0 && q.WithRoom.FirstAnswer.P99 <= AimJoinOverBare*bare,
			Detail: fmt.Sprintf("%.1f ms vs %.1f x %.1f ms = %.1f ms", q.WithRoom.FirstAnswer.P99, AimJoinOverBare, bare, AimJoinOverBare*bare)},
		{Name: fmt.Sprintf("admitted hold p99 <= %.0f ms", AimAdmittedHoldP99),
			Met:    q.WithRoom.Hold.Count > 0 && q.WithRoom.Hold.P99 <= AimAdmittedHoldP99,
			Detail: fmt.Sprintf("%.1f ms", q.WithRoom.Hold.P99)},
		{Name: fmt.Sprintf("makespan <= %.1fx without the room", AimMakespanOverPlain),
			Met: q.WithoutRoom.MakespanMS > 0 && q.WithRoom.MakespanMS <= AimMakespanOverPlain*q.WithoutRoom.MakespanMS,
			Detail: fmt.Sprintf("%.0f ms vs %.1f x %.0f ms = %.0f ms", q.WithRoom.MakespanMS, AimMakespanOverPlain,
				q.WithoutRoom.MakespanMS, AimMakespanOverPlain*q.WithoutRoom.MakespanMS)},
		{Name: "0 admission-order violations", Met: len(q.Violations) == 0 && q.Passes > 0,
			Detail: fmt.Sprintf("%d violations among %d admitted fans", len(q.Violations), q.Passes)},
	}
}

// firstJoin is when the first of the room's fans sent its join (zero for none).
func firstJoin(room []QueueFanRecord) time.Time {
	var start time.Time
	for _, r := range room {
		if !r.JoinStart.IsZero() && (start.IsZero() || r.JoinStart.Before(start)) {
			start = r.JoinStart
		}
	}
	return start
}

// sameHolds is how long after start, the first join, the room's holds came to n (zero
// when n is zero or they never did): the n-th hold answered.
func sameHolds(room []QueueFanRecord, start time.Time, n int) float64 {
	var held []time.Time
	for _, r := range room {
		if r.HoldID != "" {
			held = append(held, r.HoldEnd)
		}
	}
	if n <= 0 || len(held) < n {
		return 0
	}
	sort.Slice(held, func(i, j int) bool { return held[i].Before(held[j]) })
	return msOf(held[n-1].Sub(start))
}

// joinRankCorrelation is Spearman's rank correlation between the order the fans'
// joins were answered in and their positions.
func joinRankCorrelation(recs []QueueFanRecord) float64 {
	var placed []QueueFanRecord
	for _, r := range recs {
		if r.Position > 0 && !r.JoinEnd.IsZero() {
			placed = append(placed, r)
		}
	}
	n := len(placed)
	if n < 2 {
		return 0
	}
	sort.Slice(placed, func(i, j int) bool { return placed[i].Position < placed[j].Position })
	byJoin := make([]int, n)
	for i := range byJoin {
		byJoin[i] = i
	}
	sort.Slice(byJoin, func(a, b int) bool { return placed[byJoin[a]].JoinEnd.Before(placed[byJoin[b]].JoinEnd) })
	var d2 float64
	for joinRank, posRank := range byJoin {
		d := float64(joinRank - posRank)
		d2 += d * d
	}
	nf := float64(n)
	return math.Round((1-6*d2/(nf*(nf*nf-1)))*1000) / 1000
}

// report adds the facts and numbers of the run to res.
func (q *QueueRush) report(res *Result, room, plain *flashTally) {
	spread := func(s Spread) string {
		return fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)", s.P50, s.P99, s.Max, s.Count)
	}
	res.fact("fans", "%d, each through the room (%s) and then without it", q.Fans, q.Order)
	res.fact("followed", "%d admitted at join, %d by websocket, %d by polling, %d by reads that wait for a change", q.Followed[followJoin], q.Followed[followWS], q.Followed[followPoll], q.Followed[followRead])
	if q.WSFailures > 0 {
		res.fact("websocket failures", "%d connections ended before a pass (the fans reconnected or polled); the last: %s", q.WSFailures, q.WSError)
	}
	res.fact("room: join (time to first answer)", "%s", spread(q.WithRoom.FirstAnswer))
	res.fact("room: admitted hold", "%s", spread(q.WithRoom.Hold))
	res.fact("room: makespan", "%.0f ms (%d holds, %d passes, %d holds refused QUEUE_REQUIRED, %d fans told sold out while waiting)",
		q.WithRoom.MakespanMS, q.WithRoom.Holds, q.Passes, q.PassRefused, q.SoldOutTold)
	if q.WalkedAway > 0 {
		res.fact("room: walked away", "%d fans admitted left their pass unused (--queue-walk-away)", q.WalkedAway)
	}
	if q.Room.OpensAt != nil {
		res.fact("room: after opens_at", "%.0f ms from the opening (and shuffle) at %s to the last fan done",
			q.AfterOpenMS, q.Room.OpensAt.Format(time.RFC3339))
	}
	if q.SoldOutFirstMS > 0 {
		res.fact("room: sold out told", "from %.0f ms; the last fan told started following at %.0f ms, as its ticket's hint said",
			q.SoldOutFirstMS, q.LastFollowMS)
	}
	if q.SameHoldsMS > 0 {
		res.fact("room: as many holds as without it", "%d holds by %.0f ms (%.1f x the makespan without the room), then %d more as seats returned",
			q.WithoutRoom.Holds, q.SameHoldsMS, q.SameHoldsMS/max(q.WithoutRoom.MakespanMS, 1), q.WithRoom.Holds-q.WithoutRoom.Holds)
	}
	rate := 0.0
	if q.AdmissionMS > 0 {
		rate = float64(q.Passes) / (q.AdmissionMS / 1000)
	}
	res.fact("room: admission", "%d passes over %.0f ms, first to last (%.0f fans/s)", q.Passes, q.AdmissionMS, rate)
	if len(q.Watched) > 0 {
		peak, sum := 0.0, 0.0
		for _, w := range q.Watched {
			peak, sum = max(peak, w.AdmittingPerS), sum+w.AdmittingPerS
		}
		res.fact("room: controller rate", "mean %.0f, peak %.0f fans/s over %d reads of the room, once a second",
			sum/float64(len(q.Watched)), peak, len(q.Watched))
	}
	res.fact("room: admission-order violations", "%d", len(q.Violations))
	for i, v := range q.Violations {
		if i == 5 {
			res.fact("room: violations not listed", "%d", len(q.Violations)-5)
			break
		}
		res.fact(fmt.Sprintf("room: violation %d", i+1), "%s admitted before %s (%s evidence)", v.Admitted, v.Overtaken, v.Evidence)
	}
	if q.ShuffleRank != nil {
		res.fact("room: shuffle", "%d fans joined before the opening; rank correlation of their join order and position %.3f",
			q.JoinedBeforeOpening, *q.ShuffleRank)
	}
	res.fact("no room: hold (time to first answer)", "%s", spread(q.WithoutRoom.FirstAnswer))
	res.fact("no room: makespan", "%.0f ms (%d holds)", q.WithoutRoom.MakespanMS, q.WithoutRoom.Holds)
	res.fact("bare reference", "%s, %.0f answers/s, %d errors", spread(q.Bare.Latency), q.Bare.AnswersPerS, q.Bare.Errors)
	for _, a := range q.Aims {
		verdict := "missed"
		if a.Met {
			verdict = "met"
		}
		res.fact("aim: "+a.Name, "%s (%s)", verdict, a.Detail)
	}
	for i, t := range []*flashTally{room, plain} {
		res.fact([]string{"room", "no room"}[i]+": outcomes", "%d holds, %d lost, %d failed, %d orders kept, %d released, %d abandoned",
			t.fallbackWins.Load(), t.lost.Load(), t.failed.Load(), t.confirmed.Load(), t.released.Load(), t.abandoned.Load())
	}
	res.num("fans", float64(q.Fans))
	res.num("room_join_p99_ms", q.WithRoom.FirstAnswer.P99)
	res.num("room_hold_p99_ms", q.WithRoom.Hold.P99)
	res.num("room_makespan_ms", q.WithRoom.MakespanMS)
	res.num("plain_makespan_ms", q.WithoutRoom.MakespanMS)
	res.num("room_same_holds_ms", q.SameHoldsMS)
	res.num("room_sold_out_first_ms", q.SoldOutFirstMS)
	res.num("room_last_follow_ms", q.LastFollowMS)
	res.num("order_violations", float64(len(q.Violations)))
	res.num("bare_p99_ms", q.Bare.Latency.P99)
	res.num("bare_answers_per_s", q.Bare.AnswersPerS)
	res.num("winners", float64(room.fallbackWins.Load()+plain.fallbackWins.Load()))
	res.num("orders", float64(room.confirmed.Load()+plain.confirmed.Load()))
}

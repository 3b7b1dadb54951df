package actors

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
)

// soldOutActor is a section actor whose seats are all held, recording attempts: every
// best-available hold it decides is refused SOLD_OUT, as most of a rush's are.
func soldOutActor(t *testing.T) *sectionActor {
	t.Helper()
	store := reserved(2, 10)
	snap := store.snap
	for i := range snap.Seats {
		snap.Seats[i].Status, snap.Seats[i].HoldID = SeatHeld, "h_earlier"
	}
	snap.Held = len(snap.Seats)
	cfg := SectionConfig{Store: store, RecordAttempts: true}.withDefaults()
	a := &sectionActor{cfg: &cfg, key: snap.Key, paying: map[string]*payment{}, payingKeys: map[idemKey]*payment{}}
	a.st = newSectionState(&snap, cfg.Clock.Now())
	return a
}

// A SOLD_OUT refusal is one allocation on the section's side: the decision, which keeps
// its command's attempt in itself, and the shared SOLD_OUT reply (three before: the
// decision, its attempt and a reply of its own). What it decides is as before.
func TestSoldOutRefusalAllocations(t *testing.T) {
	a := soldOutActor(t)
	cmds := make([]*HoldCommand, 12) // AllocsPerRun runs once more than it counts
	for i := range cmds {
		cmds[i] = &HoldCommand{UserId: fmt.Sprint("fan", i), Quantity: 1, IdempotencyKey: fmt.Sprint("k", i), RequestHash: []byte{byte(i)}}
	}
	var d *decision
	next := 0
	got := testing.AllocsPerRun(len(cmds)-1, func() {
		d = a.decideHold(cmds[next])
		next++
	})
	if got > 1 {
		t.Errorf("%.0f allocations deciding a SOLD_OUT refusal, want 1", got)
	}
	if d.reply.Err() != ErrSoldOut || d.writes() || d.note == nil || d.note != &d.own ||
		d.note.UserID != "fan11" || d.note.Action != ActionHold || d.note.cmd != cmds[11] {
		t.Fatalf("decision = %+v, note %+v", d, d.note)
	}
	out := a.recordAttempts([]*decision{d}, 4, 2)
	want, err := proto.Marshal(cmds[11])
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Seq != 5 || out[0].Code != CodeSoldOut || !bytes.Equal(out[0].Command, want) || out[0].Kind != "HoldCommand" {
		t.Fatalf("recorded %+v", out)
	}
}

// Plain refusals share one reply each, made once; a refusal that carries more (the
// seats taken) still gets its own.
func TestErrorReplySharesPlainRefusals(t *testing.T) {
	for _, e := range plainRefusals {
		var r *Reply
		if n := testing.AllocsPerRun(10, func() { r = ErrorReply(e) }); n != 0 {
			t.Errorf("%s: %.0f allocations, want 0", e.Code, n)
		}
		if ErrorReply(e) != r {
			t.Errorf("%s: a reply of its own each time", e.Code)
		}
		if r.Err() != e || r.GetCode() != codeToProto[e.Code] || r.GetMessage() != e.Message {
			t.Errorf("%s: reply %v reads back as %v", e.Code, r, r.Err())
		}
	}
	taken := SeatsUnavailable([]string{"A-1"})
	if a, b := ErrorReply(taken), ErrorReply(taken); a == b || len(a.GetSeats()) != 1 {
		t.Errorf("a refusal naming seats shares its reply, or lost them: %v", a)
	}
	if r := ErrorReply(fmt.Errorf("boom")); r.GetCode() != ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("an error that is not a domain error: %v", r)
	}
}

// foldAttempts is FoldAttempt over each attempt in turn, with one allocation however
// many attempts the batch has (one an attempt before); the digest passed in is not
// written to.
func TestFoldAttemptsAllocatesOnce(t *testing.T) {
	attempts := make([]Attempt, 200)
	for i := range attempts {
		attempts[i] = Attempt{Seq: int64(i + 1), At: time.UnixMicro(int64(1_765_000_000_000_000 + i)), Version: 3,
			UserID: fmt.Sprint("fan", i), Action: ActionHold, Code: CodeSoldOut, CauseSeq: 1, Kind: "HoldCommand", Command: []byte{8, byte(i)}}
	}
	start := FoldAttempt(nil, Attempt{Seq: 0})
	orig := bytes.Clone(start)
	want := start
	for _, a := range attempts {
		want = FoldAttempt(want, a)
	}
	var got []byte
	if n := testing.AllocsPerRun(5, func() { got = foldAttempts(start, attempts) }); n > 1 {
		t.Errorf("%.0f allocations folding %d attempts, want 1", n, len(attempts))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("foldAttempts = %x, FoldAttempt in turn = %x", got, want)
	}
	if !bytes.Equal(start, orig) {
		t.Fatal("foldAttempts wrote to the digest it was given")
	}
	if got := foldAttempts(start, nil); !bytes.Equal(got, start) {
		t.Fatalf("no attempts: %x, want %x", got, start)
	}
}

// A request's first attempt sends its command itself, stamped with its deadline; the
// copies for later attempts are made by withDeadline and leave it as it was.
func TestStampDeadlineSetsTheCommandItself(t *testing.T) {
	deadline := time.UnixMicro(1_765_000_000_123_456)
	for _, cmd := range []proto.Message{&HoldCommand{}, &ReleaseCommand{}, &ExtendCommand{}, &ConfirmCommand{}, &CancelCommand{}} {
		cmd = filled(t, cmd)
		if got := stampDeadline(cmd, deadline); got != cmd {
			t.Fatalf("%T: stampDeadline made a copy", cmd)
		}
		if got := cmd.(interface{ GetDeadlineUnixMicro() int64 }).GetDeadlineUnixMicro(); got != deadline.UnixMicro() {
			t.Fatalf("%T: deadline %d, want %d", cmd, got, deadline.UnixMicro())
		}
		later := withDeadline(cmd, deadline.Add(time.Second))
		if got := cmd.(interface{ GetDeadlineUnixMicro() int64 }).GetDeadlineUnixMicro(); got != deadline.UnixMicro() || later == cmd {
			t.Fatalf("%T: a later attempt's copy changed the first's command (deadline %d)", cmd, got)
		}
	}
}

// The tally counts each decision into ticketblitz_decisions_total and its section's
// counters, without an allocation once it has met the decision's labels.
func TestDecisionTallyCounts(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	key := SectionKey{"ev", "S"}
	m.activated(key, func() int { return 0 })
	tally := newDecisionTally(m, key)
	tally.add("hold", "ok")
	if n := testing.AllocsPerRun(100, func() { tally.add("hold", "refused") }); n != 0 {
		t.Errorf("%.0f allocations counting a decision, want 0", n)
	}
	if got := testutil.ToFloat64(m.decisions.WithLabelValues("hold", "refused")); got != 101 {
		t.Errorf("hold refused counted %v, want 101", got)
	}
	if got := testutil.ToFloat64(m.decisions.WithLabelValues("hold", "ok")); got != 1 {
		t.Errorf("hold ok counted %v, want 1", got)
	}
	if s := m.SectionStats(); len(s) != 1 || s[0].Decisions != 102 {
		t.Errorf("section stats %+v, want 102 decisions", s)
	}
	var none *decisionTally
	none.add("hold", "ok") // no metrics: counts nothing
	if newDecisionTally(nil, key) != nil {
		t.Error("a tally without metrics")
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
)

// TestFlashQueueAgainstTheRealServer runs flash --queue fifo and random through the
// command line against the real server, and requires the audit to pass over both
// rushes and the report to carry every figure: the joins, the admitted holds, the
// rush without the room, the bare reference, and the aims with their verdicts; and of
// the records, that every fan followed its ticket no sooner than its follow_after_ms
// asked, fans of the random room (joined before its opening) told to wait. With
// TICKETBLITZ_QUEUE_ARTIFACTS naming a directory, each rush's report JSON and fan
// records are kept under it (the test's own directory is removed).
func TestFlashQueueAgainstTheRealServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	srv := startE2EServer(ctx, t, tmp, "actor")
	t.Setenv(asCommandEnv, "1") // the bare reference is this binary, run as blitzload bareref
	getenv := func(string) string { return "" }

	for _, tc := range []struct {
		name, order string
		fans        int
		late, wait  bool
		walkAway    string
		think       string
	}{{"fifo", "fifo", 300, false, false, "", ""}, {"random-think", "random", 120, false, false, "", "500ms"},
		{"fifo-follow-late", "fifo", 200, true, false, "", ""}, {"fifo-reads-wait-walk-away", "fifo", 200, false, true, "0.3", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			jsonPath := filepath.Join(tmp, tc.name+".json")
			recPath := filepath.Join(tmp, tc.name+".records.jsonl")
			keepQueueArtifacts(t, tc.name, jsonPath, recPath)
			var stdout, stderr bytes.Buffer
			fans := strconv.Itoa(tc.fans)
			args := []string{"flash", "--queue", tc.order, "--target", srv.Base, "--fans", fans, "--seats", "100",
				"--queue-opens-in", "3s", "--json", jsonPath, "--queue-records", recPath}
			if tc.late {
				args = append(args, "--queue-follow-late")
			}
			if tc.wait {
				// Every fan follows by reads that wait for its ticket's change.
				args = append(args, "--queue-ws", "0", "--queue-wait", "3s")
			}
			if tc.walkAway != "" {
				// Some fans admitted leave their passes unused: the room goes on.
				args = append(args, "--queue-walk-away", tc.walkAway)
			}
			if tc.think != "" {
				// The fans admitted take their time to hold.
				args = append(args, "--queue-think", tc.think)
			}
			code := run(ctx, args, getenv, &stdout, &stderr)
			if code != exitOK || !strings.Contains(stdout.String(), "audit PASS") {
				t.Fatalf("flash --queue exited %d\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", code, stdout.String(), stderr.String(), srv.LogTail(30))
			}
			if !strings.Contains(stdout.String(), "phantom holds") {
				t.Errorf("the report names no phantom-hold count:\n%s", stdout.String())
			}
			var doc struct {
				Audit   audit.Report `json:"audit"`
				Details struct {
					Queue scenario.QueueRush `json:"queue"`
				} `json:"details"`
			}
			data, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatalf("report JSON: %v", err)
			}
			if a := doc.Audit; !a.OK() || a.Holds == 0 || a.Orders == 0 || a.SeatsChecked != 200 {
				t.Errorf("the audit checked too little (both rushes' 100 seats each): %+v", a)
			}
			q := doc.Details.Queue
			if q.Order != tc.order || q.Fans != tc.fans || !q.Room.Enabled {
				t.Errorf("room %+v, order %q, fans %d", q.Room, q.Order, q.Fans)
			}
			// 100 seats for fans asking 1–4 each: the room admits fans until the seats
			// are taken and tells everyone still waiting that the event is sold out.
			if q.Passes == 0 || q.Passes+q.SoldOutTold != tc.fans || q.PassRefused != 0 {
				t.Errorf("%d passes, %d fans told sold out, %d holds refused QUEUE_REQUIRED; want passes, %d in all, and 0",
					q.Passes, q.SoldOutTold, q.PassRefused, tc.fans)
			}
			// The room admits one fan a seat left (more once, for the last few seats) and
			// one a seat that returns: a fifo rush of twice as many fans as seats leaves
			// some waiting, who are told it is sold out.
			if tc.order == "fifo" && q.SoldOutTold == 0 {
				t.Errorf("%d fans for 100 seats, %d passes, and nobody was told the event was sold out", tc.fans, q.Passes)
			}
			if n := q.Followed["join"] + q.Followed["ws"] + q.Followed["poll"] + q.Followed["wait"]; n != tc.fans {
				t.Errorf("followed %v: %d fans, want %d", q.Followed, n, tc.fans)
			}
			if tc.wait && (q.Followed["wait"] == 0 || q.Followed["ws"]+q.Followed["poll"] != 0) {
				t.Errorf("followed %v: want every fan not admitted at its join to follow by reads that wait", q.Followed)
			}
			if len(q.Violations) != 0 {
				t.Errorf("admission-order violations: %+v", q.Violations)
			}
			if (q.WalkedAway > 0) != (tc.walkAway != "") || q.WalkedAway >= q.Passes {
				t.Errorf("%d of %d fans admitted walked away, --queue-walk-away %q", q.WalkedAway, q.Passes, tc.walkAway)
			}
			if q.WithRoom.FirstAnswer.Count != tc.fans || q.WithRoom.Hold.Count != q.Passes-q.WalkedAway || q.WithRoom.Holds == 0 || q.WithRoom.MakespanMS <= 0 {
				t.Errorf("with the room: %+v", q.WithRoom)
			}
			if q.WithoutRoom.FirstAnswer.Count != tc.fans || q.WithoutRoom.Holds == 0 || q.WithoutRoom.MakespanMS <= 0 {
				t.Errorf("without the room: %+v", q.WithoutRoom)
			}
			if b := q.Bare; b.Answers != tc.fans || b.Errors != 0 || b.Latency.P99 <= 0 || b.AnswersPerS <= 0 {
				t.Errorf("bare reference: %+v", b)
			}
			if rushes := recordRushes(t, recPath); rushes[scenario.RushRoom] != tc.fans || rushes[scenario.RushPlain] != tc.fans {
				t.Errorf("--queue-records: %v lines a rush, want %d each", rushes, tc.fans)
			}
			if tc.late {
				checkFollowedLate(t, recPath)
			}
			// In the random room the fans join 3 s before its opening: their tickets ask
			// them to follow 2 s before it, and they wait as asked.
			checkFollowedAsTold(t, recPath, map[bool]int{true: tc.fans / 4}[tc.order == "random"])
			if (q.ShuffleRank != nil) != (tc.order == "random") {
				t.Errorf("shuffle rank %v in a %s room", q.ShuffleRank, tc.order)
			}
			// A random permutation of 120 has a rank correlation with sd 1/sqrt(119), under
			// 0.1; joining order kept would be 1.
			if r := q.ShuffleRank; r != nil && (q.JoinedBeforeOpening < tc.fans/2 || *r > 0.5 || *r < -0.5) {
				t.Errorf("%d fans joined before the opening, rank correlation %.3f: not shuffled", q.JoinedBeforeOpening, *r)
			}
			if len(q.Aims) != 4 {
				t.Fatalf("aims %+v", q.Aims)
			}
			for _, a := range q.Aims {
				verdict := "missed"
				if a.Met {
					verdict = "met"
				}
				if !strings.Contains(stdout.String(), "aim: "+a.Name) || !strings.Contains(stdout.String(), verdict+" ("+a.Detail+")") {
					t.Errorf("the text report lacks aim %q (%s)", a.Name, verdict)
				}
			}
		})
	}
}

// keepQueueArtifacts copies the files named, once the subtest ends, into a fresh
// directory under TICKETBLITZ_QUEUE_ARTIFACTS, when it is set, and logs where.
func keepQueueArtifacts(t *testing.T, name string, files ...string) {
	t.Helper()
	root := os.Getenv("TICKETBLITZ_QUEUE_ARTIFACTS")
	if root == "" {
		return
	}
	t.Cleanup(func() {
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Errorf("keep the artifacts: %v", err)
			return
		}
		verdict := "pass"
		if t.Failed() {
			verdict = "FAIL"
		}
		dir, err := os.MkdirTemp(root, name+"-"+time.Now().UTC().Format("150405")+"-"+verdict+"-")
		if err != nil {
			t.Errorf("keep the artifacts: %v", err)
			return
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644)
			}
			if err != nil {
				t.Logf("keep %s: %v", f, err)
			}
		}
		t.Logf("artifacts kept in %s", dir)
	})
}

// recordRushes counts the lines of a --queue-records file by rush, each a fan's record
// that names its user.
func recordRushes(t *testing.T, path string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var rec struct {
			Rush string `json:"rush"`
			User string `json:"user"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.User == "" {
			t.Fatalf("record %q: %v", line, err)
		}
		out[rec.Rush]++
	}
	return out
}

// roomRecords reads the records of the room's rush from a --queue-records file.
func roomRecords(t *testing.T, path string) []scenario.QueueFanRecord {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []scenario.QueueFanRecord
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var rec struct {
			Rush string `json:"rush"`
			scenario.QueueFanRecord
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		if rec.Rush == scenario.RushRoom {
			recs = append(recs, rec.QueueFanRecord)
		}
	}
	return recs
}

// checkFollowedLate requires of a --queue-follow-late run's records that no fan of the
// room's rush who was not admitted in its join's answer held before every join was
// answered.
func checkFollowedLate(t *testing.T, path string) {
	t.Helper()
	recs := roomRecords(t, path)
	var lastJoin time.Time
	for _, r := range recs {
		if r.JoinEnd.After(lastJoin) {
			lastJoin = r.JoinEnd
		}
	}
	held := 0
	for _, r := range recs {
		if r.Follow == "join" || r.HoldStart.IsZero() {
			continue
		}
		held++
		if r.HoldStart.Before(lastJoin) {
			t.Errorf("fan %s followed by %s and held at %s, before the last join was answered at %s",
				r.User, r.Follow, r.HoldStart.Format(time.RFC3339Nano), lastJoin.Format(time.RFC3339Nano))
		}
	}
	if held == 0 {
		t.Errorf("no fan of the room held after following its ticket")
	}
}

// checkFollowedAsTold requires of a run's records that every fan of the room's rush
// that followed its ticket started following no sooner than its join's answer plus
// the follow_after_ms it carried, and that at least told of them were told to wait.
func checkFollowedAsTold(t *testing.T, path string, told int) {
	t.Helper()
	waited, following := 0, 0
	for _, r := range roomRecords(t, path) {
		if r.Following.IsZero() {
			continue
		}
		following++
		hint := time.Duration(r.FollowAfterMS) * time.Millisecond
		if early := r.JoinEnd.Add(hint).Sub(r.Following); early > 0 {
			t.Errorf("fan %s was told to follow %v after its join's answer and followed %v sooner", r.User, hint, early)
		}
		if hint > 0 {
			waited++
		}
	}
	if following == 0 {
		t.Errorf("no fan of the room followed its ticket")
	}
	if waited < told {
		t.Errorf("%d of the %d fans following were told to wait before following; want %d at least", waited, following, told)
	}
}

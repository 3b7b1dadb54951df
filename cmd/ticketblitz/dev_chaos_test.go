package main

import (
	"errors"
	"fmt"
	nethttp "net/http"
	"os"
	"strings"
	"testing"
	"time"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// chaosRateLimit lifts the per-user rate limit of a dev cluster under test: the admin
// reads the chaos state and the cluster while it waits for a fault's effect, and the
// fan holds again and again.
const chaosRateLimit = "TICKETBLITZ_RATE_LIMIT=100000/min"

// chaosNodes reads GET /api/v1/admin/chaos: each node's state and process id by name.
func chaosNodes(t *testing.T, admin *api) (states map[string]string, pids map[string]int, body response) {
	t.Helper()
	r := admin.do("GET", "/api/v1/admin/chaos", nil)
	want(t, r, 200, "")
	states, pids = map[string]string{}, map[string]int{}
	nodes, _ := r.Body["nodes"].([]any)
	for _, x := range nodes {
		n, _ := x.(map[string]any)
		name, _ := n["name"].(string)
		states[name], _ = n["state"].(string)
		pid, _ := n["pid"].(float64)
		pids[name] = int(pid)
	}
	return states, pids, r
}

// processState is the state letter of /proc/<pid>/stat ("T" stopped, "S" sleeping…),
// or "" when there is no such process.
func processState(pid int) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) state …: comm may hold spaces, the state follows its last ')'.
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+3 > len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// waitProcessState waits until the process's state is want ("T", stopped), or, with
// "not T", until it runs again: a signal is delivered asynchronously.
func waitProcessState(t *testing.T, pid int, want string) {
	t.Helper()
	testenv.Eventually(t, 5*time.Second, func() error {
		st := processState(pid)
		if st == "" {
			return fmt.Errorf("process %d is gone", pid)
		}
		if (want == "not T") == (st == "T") {
			return fmt.Errorf("process %d is in state %q, want %s", pid, st, want)
		}
		return nil
	})
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			b.WriteString(line)
		}
	}
	return b.String()
}

// timedHold holds one seat in section and releases it, and returns how long the hold
// took to be answered.
func timedHold(t *testing.T, fan *api, section string) time.Duration {
	t.Helper()
	began := time.Now()
	r := fan.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": section, "quantity": 1})
	took := time.Since(began)
	want(t, r, 201, "")
	want(t, fan.do("DELETE", "/api/v1/holds/"+r.str("id"), nil), 200, "")
	return took
}

// TestDevChaosControls drives the fault controls of a real "ticketblitz dev --nodes 2"
// through node1's API: a slow database shows in a hold's latency, slow payments in a
// confirm's; SIGSTOP and SIGCONT
// reach node2's process; kill -9 ends it and node1 takes its sections; start brings
// it back; a new node starts and drains; the broker pauses (the outbox keeps the
// records) and resumes (the relay publishes them); fans are
// refused and impossible actions change nothing.
func TestDevChaosControls(t *testing.T) {
	d := startDev(t, chaosRateLimit)
	began := time.Now()
	phase := func(name string) { t.Logf("%6.1fs %s", time.Since(began).Seconds(), name) }
	admin := &api{t: t, base: d.url(0), token: adminToken(t), c: &nethttp.Client{Timeout: 60 * time.Second}}
	fanTok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), "chaos-fan", "fan", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fan := &api{t: t, base: d.url(0), token: fanTok, c: &nethttp.Client{Timeout: 60 * time.Second}}
	chaos := func(body map[string]any) response {
		t.Helper()
		return admin.do("POST", "/api/v1/admin/chaos", body)
	}

	states, pids, _ := chaosNodes(t, admin)
	if states["node1"] != "running" || states["node2"] != "running" || pids["node2"] == 0 {
		t.Fatalf("before any fault: states %v pids %v", states, pids)
	}
	want(t, fan.do("POST", "/api/v1/admin/chaos", map[string]any{"action": "kill", "node": "node2"}), 403, "FORBIDDEN")
	want(t, chaos(map[string]any{"action": "resume", "node": "node2"}), 400, "VALIDATION_FAILED")
	want(t, chaos(map[string]any{"action": "kill", "node": "node7"}), 404, "NOT_FOUND")

	// Slow database: every batch commit of every node waits 600 ms first. The switch
	// reaches node2 through the supervisor within a poll; a hold on each demo section
	// then takes at least that long, whichever node hosts it.
	sections := []string{"floor", "A", "B", "arena"}
	for _, s := range sections {
		timedHold(t, fan, s) // activate every section before the delay
	}
	const slow = 600 * time.Millisecond
	r := chaos(map[string]any{"action": "slow-database", "delay_ms": slow.Milliseconds()})
	want(t, r, 200, "")
	testenv.Eventually(t, 10*time.Second, func() error {
		for _, s := range sections {
			if took := timedHold(t, fan, s); took < slow {
				return fmt.Errorf("a hold in %s took %v with the database slowed by %v", s, took, slow)
			}
		}
		return nil
	})
	want(t, chaos(map[string]any{"action": "slow-database", "delay_ms": 0}), 200, "")
	if !strings.Contains(d.logs.String(), "slow-database 600ms by root via node1") {
		t.Errorf("the supervisor did not log the fault with who asked\n%s", d.logs.tail(20))
	}

	phase("slow database done")

	// Slow payments: a confirm waits for the charge, which every node now delays; the
	// hold before it does not.
	r = chaos(map[string]any{"action": "slow-payments", "delay_ms": slow.Milliseconds()})
	want(t, r, 200, "")
	if sw, _ := r.Body["switches"].(map[string]any); sw["payment_delay_ms"] != float64(slow.Milliseconds()) || sw["store_delay_ms"] != float64(0) {
		t.Fatalf("after slow-payments: %s", r.Raw)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		h := fan.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": "A", "quantity": 1})
		want(t, h, 201, "")
		began := time.Now()
		o := fan.do("POST", "/api/v1/holds/"+h.str("id")+"/confirm", map[string]any{"payment_token": "tok_ok"})
		took := time.Since(began)
		want(t, o, 201, "")
		want(t, fan.do("POST", "/api/v1/orders/"+o.str("id")+"/cancel", nil), 200, "")
		if took < slow {
			return fmt.Errorf("a confirm took %v with payments slowed by %v", took, slow)
		}
		return nil
	})
	want(t, chaos(map[string]any{"action": "slow-payments", "delay_ms": 0}), 200, "")
	phase("slow payments done")
	// Pause and resume node2: its process stops and continues.
	counts, _ := sectionCounts(t, admin)
	t.Logf("sections per node before the faults: %v", counts)
	want(t, chaos(map[string]any{"action": "pause", "node": "node2"}), 200, "")
	waitProcessState(t, pids["node2"], "T")
	states, _, _ = chaosNodes(t, admin)
	if states["node2"] != "paused" {
		t.Fatalf("after pause: %v", states)
	}
	want(t, chaos(map[string]any{"action": "resume", "node": "node2"}), 200, "")
	waitProcessState(t, pids["node2"], "not T")
	if err := testenv.Try(10*time.Second, readyzOK(d.url(1))); err != nil {
		t.Fatalf("node2 after resume: %v", err)
	}

	phase("pause and resume done")
	// kill -9 node2: the process is gone and node1 serves every section.
	want(t, chaos(map[string]any{"action": "kill", "node": "node2"}), 200, "")
	testenv.Eventually(t, 10*time.Second, func() error {
		if st := processState(pids["node2"]); st != "" {
			return fmt.Errorf("node2's process %d is still there (state %s)", pids["node2"], st)
		}
		return nil
	})
	states, _, _ = chaosNodes(t, admin)
	if states["node2"] != "killed" {
		t.Fatalf("after kill: %v", states)
	}
	for _, s := range sections {
		timedHold(t, fan, s) // the client retries while node2's sections move
	}
	testenv.EventuallyEvery(t, 20*time.Second, clusterPoll, func() error {
		counts, _ = sectionCounts(t, admin)
		if counts["node1"] != len(sections) {
			return fmt.Errorf("section counts %v: node1 does not host all %d demo sections", counts, len(sections))
		}
		return nil
	})

	phase("kill and takeover done")
	// start node2 again: it rejoins and serves.
	want(t, chaos(map[string]any{"action": "start", "node": "node2"}), 200, "")
	if err := testenv.Try(60*time.Second, readyzOK(d.url(1))); err != nil {
		t.Fatalf("node2 started again: %v\n%s", err, d.logs.tail(30))
	}
	states, pids2, _ := chaosNodes(t, admin)
	if states["node2"] != "running" || pids2["node2"] == pids["node2"] || processState(pids2["node2"]) == "" {
		t.Fatalf("after start: states %v pids %v (before %v)", states, pids2, pids)
	}

	phase("restart done")
	// Start a new node: node3, on free ports, joins; drained, it hands its sections
	// over and exits.
	r = chaos(map[string]any{"action": "start"})
	want(t, r, 200, "")
	var node3 string
	nodes, _ := r.Body["nodes"].([]any)
	for _, x := range nodes {
		if n, _ := x.(map[string]any); n["name"] == "node3" {
			node3, _ = n["url"].(string)
		}
	}
	if node3 == "" {
		t.Fatalf("after start without a node: %s", r.Raw)
	}
	if err := testenv.Try(60*time.Second, readyzOK(node3)); err != nil {
		t.Fatalf("node3 at %s: %v\n%s", node3, err, d.logs.tail(30))
	}
	want(t, chaos(map[string]any{"action": "drain", "node": "node3"}), 200, "")
	testenv.EventuallyEvery(t, 30*time.Second, clusterPoll, func() error {
		if states, _, _ := chaosNodes(t, admin); states["node3"] != "exited" {
			return fmt.Errorf("node3 is %s after its drain, want exited", states["node3"])
		}
		return nil
	})
	if !strings.Contains(d.logs.String(), "node3  | exited: ok (drained") {
		t.Errorf("node3 did not exit as drained\n%s", grepLines(d.logs.String(), "node3"))
	}

	phase("new node and drain done")
	// The broker pauses: a hold still commits, but its records stay in the outbox;
	// resumed, the relay publishes them.
	const lag = "ticketblitz_outbox_lag_records"
	r = chaos(map[string]any{"action": "broker-pause"})
	want(t, r, 200, "")
	if b, _ := r.Body["broker"].(map[string]any); b["paused"] != true {
		t.Fatalf("after broker-pause: %s", r.Raw)
	}
	timedHold(t, fan, "A")
	testenv.EventuallyEvery(t, 15*time.Second, 200*time.Millisecond, func() error {
		if n := metricValue(t, d.url(0), lag); n == 0 {
			return errors.New("the outbox has no unpublished record while the broker is paused")
		}
		return nil
	})
	r = chaos(map[string]any{"action": "broker-resume"})
	want(t, r, 200, "")
	if b, _ := r.Body["broker"].(map[string]any); b["paused"] != false {
		t.Fatalf("after broker-resume: %s", r.Raw)
	}
	testenv.EventuallyEvery(t, 30*time.Second, 200*time.Millisecond, func() error {
		if n := metricValue(t, d.url(0), lag); n != 0 {
			return fmt.Errorf("%v records still unpublished after the broker resumed", n)
		}
		return nil
	})
	phase("broker pause and resume done")
	d.stop()
	if strings.Count(d.logs.String(), "exited: ok") < 3 {
		t.Fatal(errors.New("the running nodes did not stop cleanly\n" + d.logs.tail(30)))
	}
}

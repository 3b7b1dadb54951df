package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// wakeSections is how many sections the cross-node expiry test spreads over two nodes.
const wakeSections = 12

// TestDevClusterExpiresAndLimitsAcrossNodes runs "ticketblitz dev --nodes 2" with a 6 s
// hold TTL and sections passivating after 1 s idle.
//
// The per-user limit holds across nodes: 100 fans each send two 8-ticket holds at once,
// to two sections hosted on different nodes, through both nodes' APIs; each gets exactly
// one, every refusal is LIMIT_EXCEEDED, nothing fails.
//
// The expiry reminder's WakeCommand crosses nodes: one hold per section, then the
// sections hosted on the node that does not run the reminder passivate with their holds
// live; at expiry the reminder on the other node wakes them, across the process boundary
// (a plain struct would be dropped there), and the holds expire with nobody calling.
func TestDevClusterExpiresAndLimitsAcrossNodes(t *testing.T) {
	d := startDev(t, "TICKETBLITZ_HOLD_TTL=6s", "TICKETBLITZ_PASSIVATE_AFTER=1s", "TICKETBLITZ_LOG_FORMAT=json",
		"TICKETBLITZ_RATE_LIMIT=100000/min")
	root := &api{t: t, base: d.url(0), token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	var sections []any
	for i := range wakeSections {
		sections = append(sections, map[string]any{"id": fmt.Sprintf("s%02d", i), "name": fmt.Sprintf("S%02d", i),
			"kind": "general_admission", "price_cents": 500, "capacity": 1000})
	}
	ev := root.do("POST", "/api/v1/events", map[string]any{
		"name": "Across", "venue": "Hall", "starts_at": "2027-03-01T20:00:00Z", "currency": "USD", "sections": sections,
	})
	want(t, ev, 201, "")
	eventID := ev.str("id")

	type probe struct{ user, hold, section string }
	var probes []probe
	// hostOf is each section's node, from the nodes' mailbox gauges, read after each
	// hold: a section passivates 1 s after its hold, and on a busy machine the twelve
	// holds together can take longer than that.
	hostOf := map[string]int{}
	for i := range wakeSections {
		p := probe{user: fmt.Sprintf("probe-%02d", i), section: fmt.Sprintf("s%02d", i)}
		r := fanAPI(t, d.url(i%2), p.user).do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": p.section, "quantity": 1})
		want(t, r, 201, "")
		p.hold = r.str("id")
		probes = append(probes, p)
		for n := range 2 {
			for _, s := range activeSections(t, d.url(n), eventID) {
				hostOf[s] = n
			}
		}
	}
	probed := time.Now()
	if len(hostOf) != wakeSections {
		t.Fatalf("placement of %d sections found in the nodes' metrics, want %d: %v", len(hostOf), wakeSections, hostOf)
	}
	holder := reminderHolder(t, d)
	other := 1 - holder
	t.Logf("placement %v; node%d runs the expiry reminder", hostOf, holder+1)

	// The limit across nodes: a section of each node.
	pair := [2]string{}
	for s, n := range hostOf {
		if pair[n] == "" {
			pair[n] = s
		}
	}
	if pair[0] == "" || pair[1] == "" {
		t.Fatalf("all %d sections on one node: %v", wakeSections, hostOf)
	}
	limitAcrossNodes(t, d, eventID, pair)

	// Expiry across nodes: the other node's sections, those the limit run did not keep
	// busy, passivate before their holds' time.
	var cross []string
	for s, n := range hostOf {
		if n == other && !slices.Contains(pair[:], s) {
			cross = append(cross, s)
		}
	}
	if len(cross) == 0 {
		t.Fatalf("no section of node%d to wake from node%d: %v", other+1, holder+1, hostOf)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		if left := intersect(activeSections(t, d.url(other), eventID), cross); len(left) > 0 {
			return fmt.Errorf("sections %v still active on node%d", left, other+1)
		}
		return nil
	})
	activations := metricValue(t, d.url(other), "ticketblitz_activations_total")
	if time.Since(probed) > 5*time.Second {
		t.Fatalf("the sections passivated %v after their holds were made, too late to tell a wake from their own timers",
			time.Since(probed).Round(time.Millisecond))
	}
	testenv.EventuallyEvery(t, 30*time.Second, 250*time.Millisecond, func() error {
		for _, p := range probes {
			if !slices.Contains(cross, p.section) {
				continue
			}
			r := fanAPI(t, d.url(holder), p.user).do("GET", "/api/v1/holds/"+p.hold, nil)
			if r.str("status") != "expired" {
				return fmt.Errorf("hold %s in %s is %q", p.hold, p.section, r.str("status"))
			}
		}
		return nil
	})
	if woken := metricValue(t, d.url(other), "ticketblitz_activations_total") - activations; woken < float64(len(cross)) {
		t.Fatalf("node%d activated %v sections after they passivated, want the %d woken across from node%d", other+1, woken, len(cross), holder+1)
	}
	t.Logf("node%d's reminder woke %d sections on node%d; their holds expired %v after they were made",
		holder+1, len(cross), other+1, time.Since(probed).Round(time.Millisecond))
	d.stop()
	if n := strings.Count(d.logs.String(), "exited: ok"); n != 2 {
		t.Fatalf("%d nodes exited cleanly, want 2\n%s", n, d.logs.tail(40))
	}
}

// limitAcrossNodes has 100 fans each send two 8-ticket holds at once, one to each
// section of pair (hosted on different nodes), each through another node: exactly one of
// each fan's holds is granted and every refusal is LIMIT_EXCEEDED.
func limitAcrossNodes(t *testing.T, d *devCluster, eventID string, pair [2]string) {
	t.Helper()
	const fans = 100
	client := &nethttp.Client{Timeout: 60 * time.Second}
	var mu sync.Mutex
	granted := map[string]int{}
	var problems []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	for f := range fans {
		user := fmt.Sprintf("limit-%03d", f)
		tok := fanAPI(t, d.url(0), user).token
		for i, section := range pair {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status, body := send(client, "POST", d.url((f+i)%2)+"/api/v1/events/"+eventID+"/holds", tok,
					map[string]any{"section_id": section, "quantity": 8})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case status == 201:
					granted[user]++
				case status == 422 && strings.Contains(string(body), "LIMIT_EXCEEDED"):
				default:
					problems = append(problems, fmt.Sprintf("%s in %s: %d %s", user, section, status, body))
				}
			}()
		}
	}
	began := time.Now()
	close(start)
	wg.Wait()
	for f := range fans {
		if user := fmt.Sprintf("limit-%03d", f); granted[user] != 1 {
			problems = append(problems, fmt.Sprintf("%s was granted %d of its two 8-ticket holds, want 1", user, granted[user]))
		}
	}
	if len(problems) > 0 {
		t.Fatalf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	t.Logf("%d fans, two 8-ticket holds each at once on two nodes: one granted each, in %v", fans, time.Since(began).Round(time.Millisecond))
}

// activeSections lists the sections of the event active on the node at url: those with a
// mailbox gauge in its metrics (set on a section's first decision, deleted when it stops).
func activeSections(t *testing.T, url, eventID string) []string {
	t.Helper()
	var out []string
	prefix := `ticketblitz_mailbox_depth{section="` + eventID + "/"
	for _, line := range metricLines(t, url) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			if s, _, ok := strings.Cut(rest, `"`); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// metricValue reads an unlabelled metric from the node at url.
func metricValue(t *testing.T, url, name string) float64 {
	t.Helper()
	for _, line := range metricLines(t, url) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s at %s", name, url)
	return 0
}

// metricLines fetches the node's /metrics.
func metricLines(t *testing.T, url string) []string {
	t.Helper()
	res, err := nethttp.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// reminderHolder returns the index of the dev node whose last word on the expiry
// reminder is that it runs it.
func reminderHolder(t *testing.T, d *devCluster) int {
	t.Helper()
	holder := -1
	for _, line := range strings.Split(d.logs.String(), "\n") {
		name, rest, ok := strings.Cut(line, "|")
		if !ok {
			continue
		}
		var e logEntry
		if json.Unmarshal([]byte(strings.TrimSpace(rest)), &e) != nil {
			continue
		}
		switch e.Msg {
		case "this member runs the cluster's expiry reminder", "took the expiry reminder over from a member that is no longer alive":
			n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(name), "node"))
			if err == nil {
				holder = n - 1
			}
		}
	}
	if holder < 0 || holder > 1 {
		t.Fatalf("no node logged that it runs the expiry reminder:\n%s", d.logs.tail(40))
	}
	return holder
}

// intersect returns the elements of a that are in b.
func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

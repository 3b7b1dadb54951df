package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// drainSections is how many sections the drain test spreads over the two nodes.
const drainSections = 12

// TestDevDrain drains one node of a two-node dev cluster through the API while fans keep
// holding and releasing seats through the other: the drain answers 202 at once, the
// drained node turns unready and exits 0, the survivor serves every section (holds made
// on either node can be confirmed or released through it) and no fan's request failed.
func TestDevDrain(t *testing.T) {
	d := startDev(t, "TICKETBLITZ_DRAIN_DELAY=500ms", "TICKETBLITZ_LOG_FORMAT=json", "TICKETBLITZ_RATE_LIMIT=100000/min")
	root := &api{t: t, base: d.url(0), token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	var sections []any
	for i := range drainSections {
		sections = append(sections, map[string]any{"id": fmt.Sprintf("s%02d", i), "name": fmt.Sprintf("S%02d", i),
			"kind": "general_admission", "price_cents": 500, "capacity": 100})
	}
	ev := root.do("POST", "/api/v1/events", map[string]any{
		"name": "Drain", "venue": "Hall", "starts_at": "2027-03-01T20:00:00Z", "currency": "USD", "sections": sections,
	})
	want(t, ev, 201, "")
	eventID := ev.str("id")

	// One hold per section, through alternating nodes: every section is active somewhere.
	fan := func(node int, user string) *api {
		tok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), user, "fan", time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return &api{t: t, base: d.url(node), token: tok, c: &nethttp.Client{Timeout: 60 * time.Second}}
	}
	type placed struct {
		user, hold string
	}
	var holds []placed
	for i := range drainSections {
		user := fmt.Sprintf("early-%02d", i)
		r := fan(i%2, user).do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": fmt.Sprintf("s%02d", i), "quantity": 1})
		want(t, r, 201, "")
		holds = append(holds, placed{user: user, hold: r.str("id")})
	}
	var counts map[string]int
	testenv.EventuallyEvery(t, 10*time.Second, clusterPoll, func() error {
		counts, _ = sectionCounts(t, root)
		if n := counts["node1"] + counts["node2"]; n != drainSections {
			return fmt.Errorf("section counts %v: %d sections on the two nodes, want %d", counts, n, drainSections)
		}
		return nil
	})
	t.Logf("sections per node before the drain, as node1 reports them: %v", counts)
	if counts["node2"] == 0 {
		t.Fatalf("no section on node2 (%v): the drain would hand nothing over", counts)
	}

	// Fans keep coming to node1 during the whole drain.
	load := startDrainLoad(t, d.url(0), eventID)

	drainer := &api{t: t, base: d.url(1), token: adminToken(t), c: &nethttp.Client{Timeout: 10 * time.Second}}
	began := time.Now()
	r := drainer.do("POST", "/api/v1/cluster/drain", nil)
	if r.Status != 202 || r.str("status") != "draining" {
		t.Fatalf("drain: %d %s", r.Status, r.Raw)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("the drain answered after %v; it must answer at once", took)
	}
	want(t, drainer.do("POST", "/api/v1/cluster/drain", nil), 202, "")
	ready := drainer.do("GET", "/readyz", nil)
	if ready.Status != 503 || !strings.Contains(fmt.Sprint(ready.details()["checks"]), "draining") {
		t.Fatalf("readyz during the drain: %d %s", ready.Status, ready.Raw)
	}

	exited := waitLog(t, d, 30*time.Second, "node2  | exited: ok")
	t.Logf("node2 exited %v after the drain request", exited.Sub(began).Round(time.Millisecond))
	for _, line := range strings.Split(d.logs.String(), "\n") {
		if strings.HasPrefix(line, "node2") && (strings.Contains(line, `"sections handed over"`) || strings.Contains(line, `"drained"`)) {
			t.Logf("%s", line)
		}
	}
	if !strings.Contains(d.logs.String(), `"msg":"drained"`) {
		t.Errorf("node2 did not log that it drained\n%s", d.logs.tail(40))
	}

	// node1 now hosts every section: earlier holds from both nodes are confirmed or
	// released through it, and new holds succeed everywhere.
	for i, h := range holds {
		a := fan(0, h.user)
		if i%2 == 0 {
			want(t, a.do("POST", "/api/v1/holds/"+h.hold+"/confirm", map[string]any{"payment_token": "tok_ok"}), 201, "")
		} else {
			want(t, a.do("DELETE", "/api/v1/holds/"+h.hold, nil), 200, "")
		}
		want(t, fan(0, fmt.Sprintf("late-%02d", i)).do("POST", "/api/v1/events/"+eventID+"/holds",
			map[string]any{"section_id": fmt.Sprintf("s%02d", i), "quantity": 1}), 201, "")
	}
	sent, failures := load.stop()
	t.Logf("%d fan requests to node1 during the drain", sent)
	if sent == 0 {
		t.Fatal("no fan request was sent during the drain, so the test proved nothing")
	}
	if len(failures) > 0 {
		t.Fatalf("%d of %d fan requests failed during the drain, first: %s", len(failures), sent, failures[0])
	}
	testenv.EventuallyEvery(t, 10*time.Second, clusterPoll, func() error {
		if counts, _ := sectionCounts(t, root); counts["node1"] != drainSections {
			return fmt.Errorf("section counts %v, want all %d sections on node1", counts, drainSections)
		}
		return nil
	})
	if _, statuses := sectionCounts(t, root); statuses["node2"] != "left" {
		t.Errorf("node1 sees node2 as %q, want left", statuses["node2"])
	}

	d.stop()
	if n := strings.Count(d.logs.String(), "exited: ok"); n != 2 {
		t.Fatalf("%d nodes exited cleanly, want 2\n%s", n, d.logs.tail(40))
	}
}

// waitLog waits for a line containing s in dev's output and returns when it saw it.
func waitLog(t *testing.T, d *devCluster, timeout time.Duration, s string) time.Time {
	t.Helper()
	if err := testenv.Try(timeout, func() error {
		if !strings.Contains(d.logs.String(), s) {
			return fmt.Errorf("no %q in the logs", s)
		}
		return nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, d.logs.tail(60))
	}
	return time.Now()
}

// drainLoad is a few fans holding and releasing seats through one node in a loop.
type drainLoad struct {
	quit     chan struct{}
	wg       sync.WaitGroup
	sent     atomic.Int64
	mu       sync.Mutex
	failures []string
}

func startDrainLoad(t *testing.T, base, eventID string) *drainLoad {
	t.Helper()
	l := &drainLoad{quit: make(chan struct{})}
	client := &nethttp.Client{Timeout: 60 * time.Second}
	for w := range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.quit:
					return
				default:
				}
				user := fmt.Sprintf("load-%d-%d", w, i)
				tok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), user, "fan", time.Hour, time.Now())
				if err != nil {
					l.fail(err.Error())
					return
				}
				section := fmt.Sprintf("s%02d", (w*7+i)%drainSections)
				status, body := send(client, "POST", base+"/api/v1/events/"+eventID+"/holds", tok,
					map[string]any{"section_id": section, "quantity": 1})
				l.sent.Add(1)
				if status != 201 {
					l.fail(fmt.Sprintf("hold in %s: %d %s", section, status, body))
					continue
				}
				var h struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(body, &h)
				status, body = send(client, "DELETE", base+"/api/v1/holds/"+h.ID, tok, nil)
				l.sent.Add(1)
				if status != 200 {
					l.fail(fmt.Sprintf("release in %s: %d %s", section, status, body))
				}
			}
		}()
	}
	return l
}

func (l *drainLoad) fail(msg string) {
	l.mu.Lock()
	l.failures = append(l.failures, msg)
	l.mu.Unlock()
}

// stop ends the load and returns how many requests went out and which failed.
func (l *drainLoad) stop() (int64, []string) {
	close(l.quit)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent.Load(), append([]string(nil), l.failures...)
}

// send is one request from a goroutine that must not call t.Fatal; a transport error
// comes back as status 0.
func send(c *nethttp.Client, method, url, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, []byte(err.Error())
		}
		rd = bytes.NewReader(raw)
	}
	req, err := nethttp.NewRequest(method, url, rd)
	if err != nil {
		return 0, []byte(err.Error())
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

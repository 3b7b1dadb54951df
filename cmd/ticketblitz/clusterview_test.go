package main

import (
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// vizWatcher reads /ws/visualizer in the background and keeps what it saw.
type vizWatcher struct {
	mu   sync.Mutex
	msgs []map[string]any
	err  error
}

func watchVisualizer(t *testing.T, base string) *vizWatcher {
	t.Helper()
	ws, resp, err := fws.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws/visualizer", nil)
	if err != nil {
		t.Fatalf("dial /ws/visualizer on %s: %v", base, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { _ = ws.Close() })
	w := &vizWatcher{}
	go func() {
		for {
			_, raw, err := ws.ReadMessage()
			var m map[string]any
			if err == nil {
				err = json.Unmarshal(raw, &m)
			}
			w.mu.Lock()
			if err != nil {
				w.err = err
				w.mu.Unlock()
				return
			}
			w.msgs = append(w.msgs, m)
			w.mu.Unlock()
		}
	}()
	return w
}

// find returns the first message match accepts.
func (w *vizWatcher) find(what string, match func(m map[string]any) bool) func() error {
	return func() error {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, m := range w.msgs {
			if match(m) {
				return nil
			}
		}
		if w.err != nil {
			return fmt.Errorf("no %s among %d messages; the stream ended: %w", what, len(w.msgs), w.err)
		}
		return fmt.Errorf("no %s among %d messages yet", what, len(w.msgs))
	}
}

// hostsSections reports whether m says node hosts at least one section: a sections
// trace of that node, or a hello that lists it with sections.
func hostsSections(m map[string]any, node string) bool {
	switch m["type"] {
	case "sections":
		s, _ := m["sections"].([]any)
		return m["node"] == node && len(s) > 0
	case "hello":
		nodes, _ := m["nodes"].([]any)
		for _, x := range nodes {
			n, _ := x.(map[string]any)
			if s, _ := n["sections"].([]any); n["name"] == node && len(s) > 0 {
				return true
			}
		}
	}
	return false
}

// vizSections is how many extra sections the cluster-view test sells in: with the four
// demo sections, the chance that placement puts none of them on node1 is 2^-16.
const vizSections = 12

// TestVisualizerSeesTheWholeCluster runs two nodes as two processes: a visualizer open on
// node2 is shown node1's batches and the sections node1 hosts, which only node1 traces.
func TestVisualizerSeesTheWholeCluster(t *testing.T) {
	d := startDev(t)
	w := watchVisualizer(t, d.url(1))
	// Sales through node1 on every demo section and on a dozen more: the sections node1
	// hosts commit their batches there, and node2 hears of them only through the broker.
	for _, section := range []string{"floor", "A", "B", "arena"} {
		crossNodeFlow(t, d.url(0), section, "viz-"+section)
	}
	root := &api{t: t, base: d.url(0), token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	var sections []any
	for i := range vizSections {
		sections = append(sections, map[string]any{"id": fmt.Sprintf("v%02d", i), "name": fmt.Sprintf("V%02d", i),
			"kind": "general_admission", "price_cents": 500, "capacity": 10})
	}
	ev := root.do("POST", "/api/v1/events", map[string]any{
		"name": "Viz", "venue": "Hall", "starts_at": "2027-03-01T20:00:00Z", "currency": "USD", "sections": sections,
	})
	want(t, ev, 201, "")
	for i := range vizSections {
		fan := fanAPI(t, d.url(0), fmt.Sprintf("viz-extra-%02d", i))
		want(t, fan.do("POST", "/api/v1/events/"+ev.str("id")+"/holds", map[string]any{"section_id": fmt.Sprintf("v%02d", i), "quantity": 1}), 201, "")
	}
	var counts map[string]int
	testenv.EventuallyEvery(t, 10*time.Second, clusterPoll, func() error {
		counts, _ = sectionCounts(t, root)
		if n := counts["node1"] + counts["node2"]; n < vizSections {
			return fmt.Errorf("section counts %v: %d sections on the two nodes, want at least %d", counts, n, vizSections)
		}
		return nil
	})
	t.Logf("sections per node, as node1 reports them: %v", counts)
	if counts["node1"] == 0 {
		t.Fatalf("placement put no section on node1 (%v): nothing for node2 to hear of", counts)
	}
	testenv.Eventually(t, 30*time.Second, w.find("batch traced by node1", func(m map[string]any) bool {
		return m["type"] == "batch" && m["node"] == "node1"
	}))
	testenv.Eventually(t, 30*time.Second, w.find("list of the sections node1 hosts", func(m map[string]any) bool {
		return hostsSections(m, "node1")
	}))
	// A page opened later starts with the last minute: node1's batches replayed.
	late := watchVisualizer(t, d.url(1))
	testenv.Eventually(t, 10*time.Second, late.find("replayed batch of node1", func(m map[string]any) bool {
		return m["type"] == "batch" && m["node"] == "node1"
	}))
	testenv.Eventually(t, 10*time.Second, late.find("hello listing node1's sections", func(m map[string]any) bool {
		return hostsSections(m, "node1")
	}))
	d.stop()
}

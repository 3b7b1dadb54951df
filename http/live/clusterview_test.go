package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// sharedTraces collects what a hub shares with the other nodes.
type sharedTraces struct {
	mu  sync.Mutex
	raw [][]byte
}

func (s *sharedTraces) share(raw []byte) {
	s.mu.Lock()
	s.raw = append(s.raw, append([]byte(nil), raw...))
	s.mu.Unlock()
}

func (s *sharedTraces) types() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.raw {
		var t actors.Trace
		if json.Unmarshal(r, &t) == nil && t.Type != actors.TraceSections { // those come on a timer
			out = append(out, t.Type)
		}
	}
	return out
}

func decode(t *testing.T, m testMessage) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(m.raw), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVisualizerShowsTheClusterToALateViewer: a hub that keeps the last minute and
// hears another node greets a viewer who comes later with both nodes' sections, then
// replays what both nodes traced, then goes on live; it shares only its own traces.
func TestVisualizerShowsTheClusterToALateViewer(t *testing.T) {
	shared := &sharedTraces{}
	le := newLiveEnv(t, liveOptions{traceHub: func(c *TraceHubConfig) {
		c.Replay = time.Minute
		c.Share = shared.share
		c.SectionsEvery = time.Hour // no sections trace on a timer between the ones the test reads
	}})
	le.traces.Trace(traceOf(actors.TraceActivation, "e1/A"))
	le.traces.Trace(actors.Trace{Type: actors.TraceBatch, At: time.Now(), Actor: "e1/A", Decisions: 3, Outcome: "commit"})
	remote := func(tr actors.Trace) {
		raw, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		le.traces.Receive(raw)
	}
	remote(actors.Trace{Type: actors.TraceActivation, At: time.Now(), Node: "n2", Actor: "e1/B"})
	remote(actors.Trace{Type: actors.TraceBatch, At: time.Now(), Node: "n2", Actor: "e1/B", Decisions: 5, Outcome: "commit"})
	remote(actors.Trace{Type: actors.TraceBatch, At: time.Now(), Node: "n1", Actor: "e1/A", Decisions: 99, Outcome: "commit"}) // its own, echoed: ignored
	le.traces.Receive([]byte("not json"))
	testenv.Eventually(t, 10*time.Second, func() error {
		le.traces.viewerMu.Lock()
		n := le.traces.ring.n
		le.traces.viewerMu.Unlock()
		if n != 4 {
			return fmt.Errorf("ring holds %d traces, want 4", n)
		}
		return nil
	})
	if got, want := shared.types(), []string{"activation", "batch"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("shared %v, want this node's own %v", got, want)
	}

	c := le.dial(t, "/ws/visualizer", 0)
	hello := decode(t, c.next())
	wantNodes := []any{
		map[string]any{"name": "n1", "sections": []any{"e1/A"}},
		map[string]any{"name": "n2", "sections": []any{"e1/B"}},
	}
	if hello["type"] != "hello" || !reflect.DeepEqual(hello["nodes"], wantNodes) {
		t.Fatalf("hello = %v, want nodes %v", hello, wantNodes)
	}
	var replay []string
	for range 4 {
		m := decode(t, c.next())
		replay = append(replay, fmt.Sprintf("%s/%s/%v", m["node"], m["type"], m["actor"]))
	}
	want := []string{"n1/activation/e1/A", "n1/batch/e1/A", "n2/activation/e1/B", "n2/batch/e1/B"}
	if !reflect.DeepEqual(replay, want) {
		t.Fatalf("replay = %v, want %v", replay, want)
	}
	testenv.Eventually(t, 10*time.Second, le.wantViewers(1))

	// Sections move: n1 takes e1/B over, and n2 leaving takes nothing with it.
	le.traces.Trace(actors.Trace{Type: actors.TraceActivation, Actor: "e1/B", Action: actors.ActivationTakeover})
	if m := decode(t, c.next()); m["type"] != "activation" || m["node"] != "n1" || m["actor"] != "e1/B" {
		t.Fatalf("live trace = %v, want n1's activation of e1/B", m)
	}
	remote(actors.Trace{Type: actors.TraceMember, At: time.Now(), Node: "n2", Action: "leave", Member: "n2"})
	got := le.traces.NodeSections()
	if wantNS := []NodeSections{{Name: "n1", Sections: []string{"e1/A", "e1/B"}}}; !reflect.DeepEqual(got, wantNS) {
		t.Fatalf("node sections = %v, want %v", got, wantNS)
	}
}

// TestSharingHubTracesItsSections: every SectionsEvery a sharing hub tells the others
// which sections it hosts, and a receiving hub adopts the list.
func TestSharingHubTracesItsSections(t *testing.T) {
	shared := &sharedTraces{}
	le := newLiveEnv(t, liveOptions{traceHub: func(c *TraceHubConfig) {
		c.Share = shared.share
		c.SectionsEvery = 20 * time.Millisecond
	}})
	le.traces.Trace(traceOf(actors.TraceActivation, "e1/A"))
	var got actors.Trace
	testenv.Eventually(t, 10*time.Second, func() error {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		for _, r := range shared.raw {
			if err := json.Unmarshal(r, &got); err == nil && got.Type == actors.TraceSections {
				return nil
			}
		}
		return errors.New("no sections trace shared yet")
	})
	if got.Node != "n1" || !reflect.DeepEqual(got.Sections, []string{"e1/A"}) {
		t.Fatalf("sections trace = %+v, want n1 hosting [e1/A]", got)
	}
	other := newLiveEnv(t, liveOptions{traceHub: func(c *TraceHubConfig) { c.Node = "n2" }})
	raw, _ := json.Marshal(got)
	other.traces.Receive(raw)
	if ns := other.traces.NodeSections(); len(ns) != 2 || ns[1].Name != "n1" || !reflect.DeepEqual(ns[1].Sections, []string{"e1/A"}) {
		t.Fatalf("receiving hub's node sections = %v, want n1 hosting [e1/A]", ns)
	}
}

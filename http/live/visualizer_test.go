package live

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

func traceOf(typ, actor string) actors.Trace {
	return actors.Trace{Type: typ, At: time.Now(), Node: "n1", Actor: actor}
}

func TestVisualizerHelloThenTraces(t *testing.T) {
	le := newLiveEnv(t, liveOptions{})
	le.traces.Trace(traceOf(actors.TraceActivation, "e1/B"))
	le.traces.Trace(traceOf(actors.TraceActivation, "e1/A"))
	le.traces.Trace(traceOf(actors.TraceActivation, "e1/C"))
	le.traces.Trace(traceOf(actors.TracePassivation, "e1/B"))
	le.traces.Trace(actors.Trace{Type: actors.TraceBatch, At: time.Now(), Actor: "e1/C", Outcome: "fenced"})

	c := le.dial(t, "/ws/visualizer", 0)
	var hello map[string]any
	m := c.next()
	if err := json.Unmarshal([]byte(m.raw), &hello); err != nil {
		t.Fatal(err)
	}
	if hello["type"] != "hello" || hello["node"] != "n1" || hello["at"] == nil ||
		!reflect.DeepEqual(hello["sections"], []any{"e1/A"}) {
		t.Fatalf("hello = %s, want node n1 and sections [e1/A]", m.raw)
	}

	testenv.Eventually(t, 10*time.Second, le.wantViewers(1))
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.FixedZone("X", 3600))
	le.traces.Trace(actors.Trace{Type: actors.TraceBatch, At: at, Actor: "e1/A", Decisions: 12, Outcome: "commit", Millis: 1.5, Version: 9})
	var got map[string]any
	m = c.next()
	if err := json.Unmarshal([]byte(m.raw), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "batch", "at": "2026-06-01T11:00:00Z", "node": "n1", "actor": "e1/A",
		"decisions": 12.0, "outcome": "commit", "ms": 1.5, "version": 9.0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("trace = %s\nwant %v", m.raw, want)
	}
}

// TestTraceNeverBlocks: with a viewer that reads nothing and a dispatcher that does not
// run, Trace still returns at once; every trace is either accepted or counted dropped.
func TestTraceNeverBlocks(t *testing.T) {
	le := newLiveEnv(t, liveOptions{noTraceRun: true, traceHub: func(c *TraceHubConfig) {
		c.Queue = 16
		c.Rates = map[string]int{actors.TraceBatch: 1000000, actors.TraceMailbox: 10}
	}})
	stuck := le.dial(t, "/ws/visualizer", 0)
	_ = stuck // connected, never read
	testenv.Eventually(t, 10*time.Second, le.wantViewers(1))

	const calls = 50000
	done := make(chan struct{})
	at := time.Now()
	go func() {
		defer close(done)
		for i := range calls {
			typ := actors.TraceBatch
			if i%2 == 1 {
				typ = actors.TraceMailbox
			}
			le.traces.Trace(actors.Trace{Type: typ, At: at, Actor: "e1/A"})
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Trace blocked")
	}
	st := le.traces.Stats()
	if st.Accepted != 16 || st.DroppedRate != calls/2-10 || st.Accepted+st.DroppedRate+st.DroppedQueue != calls {
		t.Fatalf("stats %+v: want 16 accepted (the queue), %d over the mailbox budget, the rest queue drops", st, calls/2-10)
	}
	if n := metricValue(t, le.reg, "ticketblitz_visualizer_traces_dropped_total", map[string]string{"reason": "queue"}); n != float64(st.DroppedQueue) {
		t.Errorf("queue drops in metrics = %v, stats say %d", n, st.DroppedQueue)
	}
}

// TestSlowViewerLosesTracesNotTheSale: the dispatcher runs, the viewer reads nothing;
// its buffer stays bounded, the oldest traces go, and Trace never waits.
func TestSlowViewerLosesTracesNotTheSale(t *testing.T) {
	le := newLiveEnv(t, liveOptions{visualizer: EndpointConfig{SendBuffer: 4}, sendBuffer: 4096, traceHub: func(c *TraceHubConfig) {
		c.Rates = map[string]int{actors.TraceBatch: 1 << 30}
	}})
	c := le.dial(t, "/ws/visualizer", 4096)
	testenv.Eventually(t, 10*time.Second, le.wantViewers(1))
	big := actors.Trace{Type: actors.TraceBatch, Actor: "e1/A", Outcome: "commit", Key: string(make([]byte, 2000))}
	deadline := time.Now().Add(30 * time.Second)
	for metricValue(t, le.reg, "ticketblitz_ws_messages_dropped_total", map[string]string{"endpoint": "visualizer"}) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stuck viewer never lost a trace")
		}
		for range 100 {
			le.traces.Trace(big)
		}
		time.Sleep(time.Millisecond)
	}
	if le.traces.Viewers() != 1 {
		t.Fatal("a slow viewer was disconnected instead of losing traces")
	}
	// It still reads the hello and whatever survived, in order.
	if m := c.next(); m.Type != "hello" {
		t.Fatalf("first message %s, want the hello", m.raw)
	}
}

func TestTraceSamplingBudgets(t *testing.T) {
	h, err := NewTraceHub(TraceHubConfig{Node: "n1", Logger: zap.NewNop(), Rates: map[string]int{actors.TraceBatch: 5}, DefaultRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is sampled while nobody watches, but activations are still followed.
	h.Trace(traceOf(actors.TraceActivation, "e1/A"))
	if st := h.Stats(); st != (TraceStats{}) {
		t.Fatalf("stats %+v without viewers", st)
	}
	if got := h.ActiveSections(); !reflect.DeepEqual(got, []string{"e1/A"}) {
		t.Fatalf("active sections %v", got)
	}
	h.viewers.Add(1) // as if a viewer watched
	second := time.Unix(1_800_000_000, 0)
	for range 20 {
		h.Trace(actors.Trace{Type: actors.TraceBatch, At: second})
		h.Trace(actors.Trace{Type: "custom", At: second})
	}
	h.Trace(actors.Trace{Type: actors.TraceBatch, At: second.Add(time.Second)}) // a new second, a new budget
	if st := h.Stats(); st.Accepted != 5+2+1 || st.DroppedRate != 15+18 || st.DroppedQueue != 0 {
		t.Fatalf("stats %+v, want 8 accepted and 33 over budget", st)
	}
	if len(h.in) != 8 {
		t.Fatalf("%d traces queued, want 8", len(h.in))
	}
	if (<-h.in).t.Node != "n1" {
		t.Fatal("a trace without a node did not get this node's name")
	}
}

func TestNewTraceHubValidates(t *testing.T) {
	for name, cfg := range map[string]TraceHubConfig{
		"no logger":     {},
		"negative rate": {Logger: zap.NewNop(), Rates: map[string]int{"batch": -1}},
		"pong wait":     {Logger: zap.NewNop(), Endpoint: EndpointConfig{PingInterval: time.Second, PongWait: time.Second}},
	} {
		if _, err := NewTraceHub(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// liveEnv is a server over fakes with the live layer mounted, listening on a free port.
type liveEnv struct {
	*env
	feed   *EventFeed
	traces *TraceHub
	base   string // ws://127.0.0.1:port
}

// liveOptions tune a liveEnv.
type liveOptions struct {
	events     WSConfig
	visualizer WSConfig
	traceHub   func(*TraceHubConfig)
	catalog    Catalog // default: the env's fake catalog
	// sendBuffer, when set, shrinks the kernel send buffer of every accepted connection,
	// so that a client that does not read fills it quickly.
	sendBuffer int
	// noTraceRun leaves the trace hub's dispatcher stopped.
	noTraceRun bool
}

func newLiveEnv(t *testing.T, opts liveOptions) *liveEnv {
	t.Helper()
	e := newEnv(t)
	cat := opts.catalog
	if cat == nil {
		cat = e.cat
	}
	feed, err := NewEventFeed(EventFeedConfig{Catalog: cat, Logger: zap.NewNop(), Registerer: e.reg, WS: opts.events})
	if err != nil {
		t.Fatal(err)
	}
	hcfg := TraceHubConfig{Node: "n1", Logger: zap.NewNop(), Registerer: e.reg, WS: opts.visualizer}
	if opts.traceHub != nil {
		opts.traceHub(&hcfg)
	}
	traces, err := NewTraceHub(hcfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.MountLive(feed, traces)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var l net.Listener = ln
	if opts.sendBuffer > 0 {
		l = smallSendBuffers{Listener: ln, size: opts.sendBuffer}
	}
	served := make(chan error, 1)
	go func() { served <- e.srv.Listener(l) }()
	ctx, stopTraces := context.WithCancel(context.Background())
	traced := make(chan error, 1)
	if opts.noTraceRun {
		traced <- nil
	} else {
		go func() { traced <- traces.Run(ctx) }()
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := feed.Close(cctx); err != nil {
			t.Errorf("close event feed: %v", err)
		}
		if err := traces.Close(cctx); err != nil {
			t.Errorf("close trace hub: %v", err)
		}
		stopTraces()
		if err := <-traced; err != nil {
			t.Errorf("trace hub run: %v", err)
		}
		if err := e.srv.Shutdown(cctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &liveEnv{env: e, feed: feed, traces: traces, base: "ws://" + ln.Addr().String()}
}

// smallSendBuffers shrinks the kernel send buffer of each accepted connection.
type smallSendBuffers struct {
	net.Listener
	size int
}

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetWriteBuffer(l.size); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// wsClient is a test client of one websocket.
type wsClient struct {
	t    testing.TB
	conn *fws.Conn
}

// dialWS opens path on the live env; readBuffer > 0 shrinks the client's kernel
// receive buffer.
func (le *liveEnv) dialWS(t testing.TB, path string, readBuffer int) *wsClient {
	t.Helper()
	c, err := le.tryDialWS(path, readBuffer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.conn.Close() })
	c.t = t
	return c
}

// tryDialWS opens path; it may run outside the test goroutine.
func (le *liveEnv) tryDialWS(path string, readBuffer int) (*wsClient, error) {
	d := fws.Dialer{HandshakeTimeout: 10 * time.Second}
	if readBuffer > 0 {
		d.NetDial = func(network, addr string) (net.Conn, error) {
			c, err := net.Dial(network, addr)
			if err != nil {
				return nil, err
			}
			if err := c.(*net.TCPConn).SetReadBuffer(readBuffer); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		}
	}
	conn, resp, err := d.Dial(le.base+path, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("dial %s: %w (status %d)", path, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", path, err)
	}
	return &wsClient{conn: conn}, nil
}

// wsMsg is any message of the two websockets, decoded loosely.
type wsMsg struct {
	Type      string          `json:"type"`
	EventID   string          `json:"event_id"`
	SectionID string          `json:"section_id"`
	Version   int64           `json:"version"`
	Changes   []wsSeatJSON    `json:"changes"`
	Sections  json.RawMessage `json:"sections"`
	Available *int            `json:"available"`
	Held      *int            `json:"held"`
	Sold      *int            `json:"sold"`
	Node      string          `json:"node"`
	Actor     string          `json:"actor"`
	raw       string
}

// next reads one message, failing the test on anything but a message.
func (c *wsClient) next() wsMsg {
	c.t.Helper()
	m, err := c.read(10 * time.Second)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// read reads one message within timeout.
func (c *wsClient) read(timeout time.Duration) (wsMsg, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return wsMsg{}, err
	}
	_, raw, err := c.conn.ReadMessage()
	if err != nil {
		return wsMsg{}, err
	}
	var m wsMsg
	if err := json.Unmarshal(raw, &m); err != nil {
		return wsMsg{}, fmt.Errorf("message %q: %w", raw, err)
	}
	m.raw = string(raw)
	return m, nil
}

// expectClose reads until the server's close frame and returns its code and text.
func (c *wsClient) expectClose(timeout time.Duration) (int, string) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.read(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce *fws.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		c.t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// closeCleanly sends a close frame and waits for the server's answer.
func (c *wsClient) closeCleanly() error {
	msg := fws.FormatCloseMessage(fws.CloseNormalClosure, "bye")
	if err := c.conn.WriteControl(fws.CloseMessage, msg, time.Now().Add(5*time.Second)); err != nil {
		return err
	}
	for {
		if _, err := c.read(5 * time.Second); err != nil {
			c.conn.Close()
			if fws.IsCloseError(err, fws.CloseNormalClosure) {
				return nil
			}
			return err
		}
	}
}

// pollUntil polls cond until it holds or timeout passes.
func pollUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// metricValue returns the value of the series name{labels} in reg, or 0.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				switch {
				case m.Counter != nil:
					return m.Counter.GetValue()
				case m.Gauge != nil:
					return m.Gauge.GetValue()
				}
			}
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, lp := range m.GetLabel() {
		if v, ok := want[lp.GetName()]; ok {
			if v != lp.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

// reservedDelta is a committed version of a reserved section changing the given seats.
func reservedDelta(version int64, seats ...string) actors.SectionChanged {
	ch := actors.SectionChanged{Version: version, Kind: actors.KindReserved}
	for _, s := range seats {
		ch.Changes = append(ch.Changes, actors.SeatStatusChange{ID: s, Status: actors.SeatHeld})
	}
	return ch
}

// capacityDelta is a committed version of a general-admission section.
func capacityDelta(version int64, held, sold int) actors.SectionChanged {
	return actors.SectionChanged{Version: version, Kind: actors.KindGeneralAdmission, Capacity: 500,
		Available: 500 - held - sold, Held: held, Sold: sold}
}

// versionsSeen collects the versions one client receives, per section, in a goroutine.
type versionsSeen struct {
	mu       sync.Mutex
	bySec    map[string][]int64
	snapshot *wsMsg
	err      error
	done     chan struct{}
}

func watchVersions(c *wsClient) *versionsSeen {
	v := &versionsSeen{bySec: make(map[string][]int64), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		for {
			m, err := c.read(30 * time.Second)
			v.mu.Lock()
			if err != nil {
				v.err = err
				v.mu.Unlock()
				return
			}
			switch m.Type {
			case "snapshot":
				v.snapshot = &m
			case "seats", "capacity":
				v.bySec[m.SectionID] = append(v.bySec[m.SectionID], m.Version)
			}
			v.mu.Unlock()
		}
	}()
	return v
}

func (v *versionsSeen) last(section string) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.bySec[section]
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

func (v *versionsSeen) versions(section string) []int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]int64(nil), v.bySec[section]...)
}

// consecutive reports whether vs is from, from+1, …, to.
func consecutive(vs []int64, from, to int64) bool {
	if int64(len(vs)) != to-from+1 {
		return false
	}
	for i, v := range vs {
		if v != from+int64(i) {
			return false
		}
	}
	return true
}

func seatIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Z-%d", i+1)
	}
	return out
}

// snapshotVersions returns the version of each section of a snapshot message.
func snapshotVersions(t *testing.T, snap wsMsg) map[string]int64 {
	t.Helper()
	var secs []struct {
		SectionID string `json:"section_id"`
		Version   int64  `json:"version"`
	}
	if err := json.Unmarshal(snap.Sections, &secs); err != nil {
		t.Fatalf("snapshot sections %s: %v", snap.Sections, err)
	}
	out := make(map[string]int64, len(secs))
	for _, s := range secs {
		out[s.SectionID] = s.Version
	}
	return out
}
